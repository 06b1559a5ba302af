// Command lolcat is moobox's lolcat; the logic lives in internal/lolcat.
package main

import (
	"os"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/lolcat"
)

func main() { os.Exit(lolcat.Main(applet.OS())) }
