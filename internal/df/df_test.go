package df

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/applet"
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
	// may tick between runs, and tests in other packages mount and
	// unmount file systems meanwhile, so a difference must persist
	// over a few tries to count.
	num := regexp.MustCompile(` *[0-9.]+[KMGT]?`)
	for _, args := range [][]string{{}, {"-h"}, {"-T"}, {"-a"}, {"-ahT"}, {"/"}} {
		var diff string
		for try := 0; try < 5; try++ {
			if try > 0 {
				time.Sleep(200 * time.Millisecond)
			}
			diff = tableDiff(t, bb, num, args)
			if diff == "" {
				break
			}
		}
		if diff != "" {
			t.Errorf("df %v: %s", args, diff)
		}
	}
}

// tableDiff compares one whole-table run of busybox df with moobox's,
// numbers masked; "" when they agree.
func tableDiff(t *testing.T, bb string, num *regexp.Regexp, args []string) string {
	go_, _, grc, wo, _, wrc := run(t, bb, args...)
	gl, wl := strings.Split(go_, "\n"), strings.Split(wo, "\n")
	if len(gl) != len(wl) || grc != wrc {
		return fmt.Sprintf("%d lines rc %d, want %d lines rc %d\n%s---\n%s", len(gl), grc, len(wl), wrc, go_, wo)
	}
	for i := range gl {
		g, w := num.ReplaceAllString(gl[i], " N"), num.ReplaceAllString(wl[i], " N")
		if g != w {
			return fmt.Sprintf("line %d:\n got %q\nwant %q", i, gl[i], wl[i])
		}
	}
	return ""
}

// TestMain lets the test binary stand in for df (MOOBOX_DF_TEST_MAIN=1),
// so a test can run it in a mount namespace of its own.
func TestMain(m *testing.M) {
	if os.Getenv("MOOBOX_DF_TEST_MAIN") == "1" {
		os.Exit(Main(applet.OS()))
	}
	os.Exit(m.Run())
}

// TestBindMountOfRootDevice: a bind mount of the root file system's device
// made after "/" (as container engines make them) does not stand for "/":
// like busybox, df PATH takes the first matching mount table entry.
func TestBindMountOfRootDevice(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	testutil.RequireRoot(t)
	unshare := testutil.RequireTool(t, "unshare", "util-linux")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Both directories on the file system that holds the test's temp dir,
	// which is then mounted a second time, later in the table.
	a, b := t.TempDir(), t.TempDir()
	script := `mount --bind "$1" "$2" || exit 1
for p in / "$2" "$3"; do
	echo "== $p"; "$4" df "$p"; echo "rc=$?"
	echo "-- moobox"; MOOBOX_DF_TEST_MAIN=1 "$5" "$p"; echo "rc=$?"
done`
	out, err := exec.Command(unshare, "-m", "sh", "-c", script, "sh", a, b, filepath.Dir(a), bb, exe).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	num := regexp.MustCompile(` +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+%`)
	for _, part := range strings.Split(string(out), "== ")[1:] {
		want, got, ok := strings.Cut(num.ReplaceAllString(part, " N"), "-- moobox\n")
		if !ok {
			t.Fatalf("output:\n%s", out)
		}
		_, want, _ = strings.Cut(want, "\n") // drop the path line
		if got != want {
			t.Errorf("df %s\n--- moobox\n%s--- busybox\n%s", strings.SplitN(part, "\n", 2)[0], got, want)
		}
	}
}
