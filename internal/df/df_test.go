package df

import (
	"regexp"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/testutil"
)

// usageRE matches a usage text from its header on: moobox words its
// usage texts itself, so only the error line before it is compared, and
// that a usage follows.
var usageRE = regexp.MustCompile(`(?s)(BusyBox|moobox) v\S+ .*multi-call binary\..*`)

func normUsage(s string) string { return usageRE.ReplaceAllString(s, "<usage>\n") }

func run(t *testing.T, bb string, args ...string) (string, string, int, string, string, int) {
	w := testutil.Exec(t, "/", nil, "", append([]string{bb, "df"}, args...)...)
	g := testutil.Applet(Main, "/", nil, "", append([]string{"df"}, args...)...)
	return g.Stdout, normUsage(g.Stderr), g.Code, w.Stdout, normUsage(w.Stderr), w.Code
}

// Used and free blocks of a busy file system move between two runs, so
// those cases compare all but the numbers of writable disks; -t on
// pseudo file systems must match exactly.
func TestDifferential(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	exact := [][]string{
		{"-t", "proc", "-a"},
		{"-a", "-t", "sysfs", "-T"},
		{"-t", "tmpfs"},
		{"-h", "-t", "tmpfs"},
		{"-T", "-t", "devtmpfs"},
		{"-i", "-t", "tmpfs"},
		{"-P", "-t", "tmpfs"},
		{"-m", "-t", "tmpfs"},
		{"-B", "4k", "-t", "tmpfs"},
		{"/proc", "/sys", "/dev"},
		{"-k", "/proc/self"},
		{"/nonexistent"},
		{"-z"},
		{"-B"},
	}
	for _, args := range exact {
		name := strings.Join(args, " ")
		go_, ge, grc, wo, we, wrc := run(t, bb, args...)
		if go_ != wo {
			// Another program may have written to a tmpfs between the
			// two runs; a real difference persists on a second try.
			go_, ge, grc, wo, we, wrc = run(t, bb, args...)
		}
		if go_ != wo || grc != wrc || ge != we {
			t.Errorf("df %s: rc %d want %d\n--- got\n%s%s--- want\n%s%s", name, grc, wrc, go_, ge, wo, we)
		}
	}
	// Whole tables: same lines, same columns; numbers of disks in use
	// may tick between runs.
	num := regexp.MustCompile(` *[0-9.]+[KMGT]?`)
	for _, args := range [][]string{{}, {"-h"}, {"-T"}, {"-a"}, {"-ahT"}, {"/"}} {
		go_, _, grc, wo, _, wrc := run(t, bb, args...)
		gl, wl := strings.Split(go_, "\n"), strings.Split(wo, "\n")
		if len(gl) != len(wl) || grc != wrc {
			t.Errorf("df %v: %d lines rc %d, want %d lines rc %d\n%s---\n%s", args, len(gl), grc, len(wl), wrc, go_, wo)
			continue
		}
		for i := range gl {
			g, w := num.ReplaceAllString(gl[i], " N"), num.ReplaceAllString(wl[i], " N")
			if g != w {
				t.Errorf("df %v line %d:\n got %q\nwant %q", args, i, gl[i], wl[i])
			}
		}
	}
}
