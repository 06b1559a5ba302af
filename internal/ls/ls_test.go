package ls

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

// fixture builds a tree with fixed names, modes, sizes and times, so that
// busybox and moobox describe the same bytes.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	recent := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	type file struct {
		name string
		size int
		mode os.FileMode
		when time.Time
	}
	files := []file{
		{"a.txt", 6, 0o644, old},
		{"big", 5000, 0o755 | os.ModeSetuid, recent},
		{"huge", 2000000, 0o640 | os.ModeSetgid, old},
		{"Zeta", 0, 0o600, recent.Add(-time.Hour)},
		{".hidden", 1, 0o644, old},
		{"sp ace", 3, 0o444, recent},
		{"sub/x.c", 10, 0o644, old},
		{"sub/deep/y", 1234567, 0o664, recent},
		{"sub/.dot", 0, 0o644, old},
		{"v10", 1, 0o644, old},
		{"v9", 1, 0o644, old},
		{"sticky/f", 1, 0o644, old},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, bytes.Repeat([]byte{'x'}, f.size), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("a.txt", filepath.Join(dir, "link")))
	must(os.Symlink("nowhere", filepath.Join(dir, "dangling")))
	must(os.Link(filepath.Join(dir, "a.txt"), filepath.Join(dir, "hard")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	must(os.Chmod(filepath.Join(dir, "sticky"), os.ModeSticky|0o777))
	if os.Geteuid() == 0 {
		must(os.Lchown(filepath.Join(dir, "huge"), 4242, 4343)) // no names
		must(os.Lchown(filepath.Join(dir, "Zeta"), 0, 0))
	}
	// Directories last, children first, so setting a file's time does not
	// move its parent's.
	for _, f := range files {
		must(os.Chtimes(filepath.Join(dir, f.name), f.when, f.when))
	}
	for _, d := range []string{"sub/deep", "sub", "sticky", "."} {
		must(os.Chtimes(filepath.Join(dir, d), old, old))
	}
	return dir
}

func runOurs(dir string, env []string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	c := &applet.Ctx{Args: append([]string{"ls"}, args...), Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: env, Dir: dir}
	rc := Main(c)
	return out.String(), errb.String(), rc
}

func runBusybox(t *testing.T, bb, dir string, env []string, args ...string) (string, string, int) {
	cmd := exec.Command(bb, append([]string{"ls"}, args...)...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	rc := 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), rc
}

// usageRE matches a usage text from its header on: moobox words its
// usage texts itself, so only the error line before it is compared, and
// that a usage follows.
var usageRE = regexp.MustCompile(`(?s)(BusyBox|moobox) v\S+ .*multi-call binary\..*`)

func normUsage(s string) string { return usageRE.ReplaceAllString(s, "<usage>\n") }

func TestDifferential(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	dir := fixture(t)
	env := []string{"TZ=UTC", "LANG=C"}
	cases := [][]string{
		{},
		{"-l"},
		{"-la"},
		{"-lA"},
		{"-i"},
		{"-n"},
		{"-ln"},
		{"-R"},
		{"-lR"},
		{"-laR"},
		{"-1"},
		{"-a"},
		{"-d", ".", "sub"},
		{"-ld", ".", "sub", "link"},
		{"-lh"},
		{"-lt"},
		{"-ltr"},
		{"-r"},
		{"-S"},
		{"-lS"},
		{"-X"},
		{"-v"},
		{"-s"},
		{"-ls"},
		{"-lhR"},
		{"-li"},
		{"-F"},
		{"-p"},
		{"-lF"},
		{"-C"},
		{"-Ci"},
		{"-x"},
		{"-C", "-w", "30"},
		{"-x", "-w", "20"},
		{"-l", "--full-time"},
		{"--group-directories-first"},
		{"a.txt", "sub", "link", "sticky"},
		{"-l", "a.txt", "nosuch", "sub"},
		{"nosuch"},
		{"link"},
		{"-l", "link"},
		{"-lL"},
		{"-lc"},
		{"-lu"},
		{"-R", "sub/"},
		{"-z"},
		{"--bogus"},
		{"-lR", "--color=never", "sticky"},
		{"--color=always", "-l"},
		{"--color=always"},
	}
	for _, args := range cases {
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			wo, we, wrc := runBusybox(t, bb, dir, env, args...)
			go_, ge, grc := runOurs(dir, env, args...)
			if go_ != wo || grc != wrc {
				t.Errorf("ls %s: rc %d want %d\n--- got\n%s--- want\n%s", name, grc, wrc, go_, wo)
			}
			// Usage texts differ only in the header naming moobox.
			if normUsage(ge) != normUsage(we) {
				t.Errorf("ls %s: stderr %q want %q", name, ge, we)
			}
		})
	}
}
