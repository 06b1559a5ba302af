// Package sysutils holds moobox's small system applets: which, id,
// whoami, uname, hostname, uptime, free, mount and date. Each prints what
// Debian's busybox prints.
package sysutils

import (
	"bufio"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
)

// finish flushes w and turns a write error into status 1.
func finish(c *applet.Ctx, w *bufio.Writer, rc int) int {
	if err := w.Flush(); err != nil {
		if !bbopt.IsEPIPE(err) {
			bbopt.Errorf(c, "write error: %s", bbopt.ErrText(err))
		}
		return 1
	}
	return rc
}

// usageErr prints the usage as for a bad invocation and returns 1.
func usageErr(c *applet.Ctx, s *bbopt.Spec) int {
	c.Stderr.Write([]byte(bbopt.HelpHeader + s.Usage))
	return 1
}
