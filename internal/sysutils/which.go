package sysutils

import (
	"bufio"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
)

var whichSpec = bbopt.Spec{Short: "a", Usage: `Usage: which [-a] COMMAND...

Print the path of the program each COMMAND runs, searching $PATH

	-a	Print every match, not only the first
`}

// defaultPath is what busybox searches when PATH is unset.
const defaultPath = "/sbin:/usr/sbin:/bin:/usr/bin"

// Which is the which applet.
func Which(c *applet.Ctx) int {
	if bbopt.Help(c, &whichSpec) {
		return 0
	}
	o, args, ok := bbopt.Parse(c, &whichSpec)
	if !ok {
		return 1
	}
	if len(args) == 0 {
		return usageErr(c, &whichSpec)
	}
	path, ok := c.LookupEnv("PATH")
	if !ok {
		path = defaultPath
	}
	w := bufio.NewWriter(c.Stdout)
	rc := 0
	for _, name := range args {
		found := false
		if strings.IndexByte(name, '/') >= 0 {
			if executable(c.Path(name)) {
				w.WriteString(name + "\n")
				found = true
			}
		} else {
			for _, dir := range strings.Split(path, ":") {
				p := dir + "/" + name
				if strings.HasSuffix(dir, "/") {
					p = dir + name
				}
				if executable(c.Path(p)) {
					w.WriteString(p + "\n")
					found = true
					if !o.Has('a') {
						break
					}
				}
			}
		}
		if !found {
			rc = 1
		}
	}
	return finish(c, w, rc)
}

// executable is busybox's file_is_executable: a regular file we may run.
func executable(p string) bool {
	var st unix.Stat_t
	if unix.Stat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	return unix.Access(p, unix.X_OK) == nil
}
