// Command cowsay is moobox's cowsay; the logic lives in internal/cowsay.
package main

import (
	"os"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/cowsay"
)

func main() { os.Exit(cowsay.Main(applet.OS())) }
