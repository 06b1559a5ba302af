// Command fortune is moobox's fortune; the logic lives in internal/fortune.
package main

import (
	"os"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/fortune"
)

func main() { os.Exit(fortune.Main(applet.OS())) }
