// Command strfile is moobox's strfile; the logic lives in internal/fortune.
package main

import (
	"os"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/fortune"
)

func main() { os.Exit(fortune.StrfileMain(applet.OS())) }
