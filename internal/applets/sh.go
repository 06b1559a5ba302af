package applets

import (
	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/sh"
)

// shMain runs the shell with this registry's applets in-process. It is
// not in the table itself: the table would then refer to itself through
// Lookup, an initialization cycle, so sh's entry is nil and Lookup
// resolves it here.
func shMain(c *applet.Ctx) int { return sh.Main(c, shLookup) }

// shLookup is what the shell runs in-process: every applet, and busybox
// itself so "busybox ls" spawns nothing either.
func shLookup(name string) (applet.Func, bool) {
	if name == "busybox" {
		return Busybox, true
	}
	return Lookup(name)
}
