// Command busybox is moobox's multicall binary: it runs the applet named by
// the name it is invoked under, or by its first argument.
package main

import (
	"os"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/applets"
)

func main() { os.Exit(applets.Busybox(applet.OS())) }
