package stat

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

// fixture makes files of each type with fixed times. Access times lie in
// the future so that reading a symlink (relatime) does not move them
// between busybox's run and ours.
func fixture(t *testing.T) string {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "file"), []byte("hello\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600))
	must(os.WriteFile(filepath.Join(dir, "suid"), make([]byte, 9000), 0o755))
	must(os.Chmod(filepath.Join(dir, "suid"), 0o755|os.ModeSetuid|os.ModeSetgid|os.ModeSticky))
	must(os.Symlink("file", filepath.Join(dir, "link")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o640))
	must(os.Mkdir(filepath.Join(dir, "dir"), 0o750))
	if os.Geteuid() == 0 {
		must(os.Lchown(filepath.Join(dir, "empty"), 4242, 4343))
	}
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 123456789, time.UTC)
	atime := time.Now().Add(time.Hour)
	for _, n := range []string{"file", "empty", "suid", "link", "fifo", "dir"} {
		ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
		must(unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(dir, n), ts, unix.AT_SYMLINK_NOFOLLOW))
	}
	return dir
}

func run(t *testing.T, bb, dir string, env []string, args ...string) (string, string, int, string, string, int) {
	w := testutil.Exec(t, dir, env, "", append([]string{bb, "stat"}, args...)...)
	g := testutil.Applet(Main, dir, env, "", append([]string{"stat"}, args...)...)
	return g.Stdout, g.Stderr, g.Code, w.Stdout, w.Stderr, w.Code
}

// usageRE matches a usage text from its header on: moobox words its
// usage texts itself, so only the error line before it is compared, and
// that a usage follows.
var usageRE = regexp.MustCompile(`(?s)(BusyBox|moobox) v\S+ .*multi-call binary\..*`)

func normUsage(s string) string { return usageRE.ReplaceAllString(s, "<usage>\n") }

const allFile = "%a|%A|%b|%B|%d|%D|%f|%F|%g|%G|%h|%i|%n|%N|%o|%s|%t|%T|%u|%U|%x|%X|%y|%Y|%z|%Z|%%|%q|%10s|%-5h|%08i|%5.3s|%#o|%-12U|% d|end%"

const allFS = "%a %b %c %d %f %l %n %s %S %t %T %q %% %5l|%-6s|"

func TestDifferential(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	dir := fixture(t)
	files := []string{"file", "empty", "suid", "link", "fifo", "dir", "/dev/null", "."}
	var cases [][]string
	cases = append(cases, append([]string{}, files...))
	cases = append(cases, append([]string{"-L"}, files...))
	cases = append(cases, append([]string{"-t"}, files...))
	cases = append(cases, append([]string{"-c", allFile}, files...))
	cases = append(cases, append([]string{"-L", "-c", allFile}, files...))
	cases = append(cases,
		[]string{"nosuch", "file"},
		[]string{"-c", "plain"},
		[]string{"-f", "/proc", "/sys"},
		[]string{"-f", "-t", "/proc"},
		[]string{"-f", "-c", allFS, "/proc", "/sys", "/dev/pts", "."},
		[]string{"-f", "-c", "%i %-12T|%10t", "/", "."},
		[]string{"-f", "nosuch"},
		[]string{"-z", "file"},
	)
	for _, tz := range []string{"TZ=UTC", "TZ=Asia/Kolkata"} {
		env := []string{tz}
		for _, args := range cases {
			name := tz + " " + strings.Join(args, " ")
			go_, ge, grc, wo, we, wrc := run(t, bb, dir, env, args...)
			if go_ != wo || grc != wrc {
				t.Errorf("stat %s: rc %d want %d\n--- got\n%s--- want\n%s", name, grc, wrc, go_, wo)
			}
			if normUsage(ge) != normUsage(we) {
				t.Errorf("stat %s: stderr %q want %q", name, ge, we)
			}
		}
	}
}

func FuzzFormat(f *testing.F) {
	f.Add(allFile)
	f.Add("%")
	f.Add("%-")
	f.Add("%5.2s %#x %+d %q")
	dir := f.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("x"), 0o644)
	f.Fuzz(func(t *testing.T, format string) {
		var out, errb bytes.Buffer
		rc := Main(&applet.Ctx{Args: []string{"stat", "-c", format, p}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: []string{"TZ=UTC"}, Dir: dir})
		if rc != 0 {
			t.Fatalf("rc %d: %s", rc, errb.String())
		}
		rc = Main(&applet.Ctx{Args: []string{"stat", "-f", "-c", format, dir}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Dir: dir})
		if rc != 0 {
			t.Fatalf("-f rc %d: %s", rc, errb.String())
		}
	})
}
