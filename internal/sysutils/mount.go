package sysutils

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
	"github.com/moobox/moobox/internal/procfs"
)

var mountSpec = bbopt.Spec{Short: "afinrvwt:T:O:o:", Usage: `Usage: mount [-t FSTYPE]

List the mounted file systems (this moobox mount only lists; mounting
needs the host's tools)

	-t FSTYPE	Only file systems of this type
`}

// Mount is the mount applet, list mode only.
func Mount(c *applet.Ctx) int {
	if bbopt.Help(c, &mountSpec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &mountSpec)
	if !ok {
		return 1
	}
	if len(args) > 0 || o.Has('a') {
		bbopt.Errorf(c, "mounting is not supported; only listing")
		return 1
	}
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		bbopt.Errorf(c, "/proc/self/mounts: %s", bbopt.ErrText(err))
		return 1
	}
	only := o.Val('t', "")
	w := bufio.NewWriter(c.Stdout)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		src, dir, typ := procfs.Unescape(f[0]), procfs.Unescape(f[1]), procfs.Unescape(f[2])
		if only != "" && typ != only {
			continue
		}
		fmt.Fprintf(w, "%s on %s type %s (%s)\n", src, dir, typ, procfs.Unescape(f[3]))
	}
	return finish(c, w, 0)
}
