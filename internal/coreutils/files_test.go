package coreutils

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

var fileApplets = map[string]applet.Func{
	"mkdir": Mkdir, "rm": Rm, "rmdir": Rmdir, "cp": Cp, "mv": Mv, "ln": Ln,
	"readlink": Readlink, "touch": Touch, "cat": Cat,
}

// makeTree builds the same small tree in dir each time.
func makeTree(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "d/sub"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "empty"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "f"), []byte("file f\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "g"), []byte("file g\n"), 0o600))
	must(os.WriteFile(filepath.Join(dir, "d/a"), []byte("a\n"), 0o640))
	must(os.WriteFile(filepath.Join(dir, "d/sub/b"), []byte("b\n"), 0o755))
	must(os.Symlink("f", filepath.Join(dir, "lf")))
	must(os.Symlink("d", filepath.Join(dir, "ld")))
	must(os.Symlink("nowhere", filepath.Join(dir, "dangling")))
}

// snapshot describes a tree: names, types, permissions, sizes, link
// targets and contents (not times, which differ between the two runs).
func snapshot(t *testing.T, dir string) string {
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			lines = append(lines, fmt.Sprintf("error %v", err))
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		s := fmt.Sprintf("%s %v", rel, fi.Mode())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			s += " -> " + target
		case fi.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			s += fmt.Sprintf(" %d %x", len(data), sha256.Sum256(data))
		}
		lines = append(lines, s)
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestFileAppletsDifferential runs command sequences on two copies of a
// tree, one with these applets and one with Debian's busybox, and compares
// output, statuses and the resulting trees.
func TestFileAppletsDifferential(t *testing.T) {
	bb := testutil.RequireTool(t, "busybox", "busybox-static")
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	seqs := [][]string{
		{"mkdir new", "mkdir new", "mkdir -p x/y/z", "mkdir q/r", "mkdir -m 700 m", "mkdir -p d/sub", "mkdir -m 1777 st"},
		{"rmdir empty", "rmdir d", "rmdir nosuch", "mkdir -p p/q/r", "rmdir -p p/q/r", "rmdir", "rmdir --ignore-fail-on-non-empty d"},
		{"rm f", "rm nosuch", "rm -f nosuch", "rm d", "rm -r d", "rm lf ld dangling", "rm -f", "rm", "rm -rf empty g"},
		{"cp f f2", "cp f d", "cp d e", "cp -r d e", "cp f f", "cp nosuch x", "cp -a d e2", "cp lf lf2", "cp -d lf lf3", "cp -R ld ld2", "cp f g empty", "cp f g nodir", "cp -p g g2", "cp"},
		{"mv f f2", "mv nosuch x", "mv g d", "mv d empty", "mv lf lf2", "mv f2 g2 nodir", "mv empty/d/sub ./sub2", "mv"},
		{"ln f hard", "ln -s f soft", "ln -s f soft", "ln -sf g soft", "ln f", "ln -s d/a d/sub", "ln -s f g empty", "ln -s x y z", "ln -sn d ld", "ln"},
		{"readlink lf", "readlink f", "readlink dangling", "readlink -f lf", "readlink -f ld/a", "readlink -f nosuch", "readlink -f nodir/x", "readlink"},
		{"touch f new", "touch -c nosuch", "touch nodir/x", "touch -d 2001-02-03 f", "touch -t 200102030405.06 g", "touch -r g f", "cat f new", "touch"},
	}
	for i, seq := range seqs {
		t.Run(strings.Fields(seq[0])[0], func(t *testing.T) {
			ours, theirs := t.TempDir(), t.TempDir()
			makeTree(t, ours)
			makeTree(t, theirs)
			for _, line := range seq {
				args := strings.Fields(line)
				out, errs, rc := run(fileApplets[args[0]], ours, nil, args...)
				cmd := exec.Command(bb, args...)
				cmd.Dir = theirs
				cmd.Env = []string{"PATH=/usr/bin:/bin", "TZ=UTC"}
				var bout, berr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &bout, &berr
				brc := 0
				if err := cmd.Run(); err != nil {
					ee, ok := err.(*exec.ExitError)
					if !ok {
						t.Fatal(err)
					}
					brc = ee.ExitCode()
				}
				// Output may name the directory; make it relative.
				bo := strings.ReplaceAll(bout.String(), theirs, "DIR")
				oo := strings.ReplaceAll(out, ours, "DIR")
				if oo != bo || rc != brc {
					t.Errorf("seq %d %q: got %q status %d, busybox %q status %d", i, line, oo, rc, bo, brc)
				}
				if !strings.Contains(berr.String(), "Usage:") && errs != berr.String() {
					t.Errorf("seq %d %q: stderr %q, busybox %q", i, line, errs, berr.String())
				}
			}
			if a, b := snapshot(t, ours), snapshot(t, theirs); a != b {
				t.Errorf("trees differ after %q:\nours:\n%s\nbusybox:\n%s", seq, a, b)
			}
		})
	}
}

// TestTouchTimes checks the times touch sets, which the tree comparison
// leaves out.
func TestTouchTimes(t *testing.T) {
	dir := t.TempDir()
	if _, errs, rc := run(Touch, dir, nil, "touch", "-t", "200102030405.06", "x"); rc != 0 {
		t.Fatal(errs)
	}
	fi, err := os.Stat(filepath.Join(dir, "x"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.ModTime().Format("2006-01-02 15:04:05"); got != "2001-02-03 04:05:06" {
		t.Errorf("touch -t: mtime %s", got)
	}
	run(Touch, dir, nil, "touch", "-d", "@1000000000", "x")
	fi, _ = os.Stat(filepath.Join(dir, "x"))
	if fi.ModTime().Unix() != 1000000000 {
		t.Errorf("touch -d @N: mtime %d", fi.ModTime().Unix())
	}
}

// TestConcurrentApplets runs the applets from many goroutines at once, each
// with its own streams and directory; under -race this shows they share no
// state.
func TestConcurrentApplets(t *testing.T) {
	input := []byte(strings.Repeat("moo cow\nabc 123\n\n", 50))
	type job struct {
		f    applet.Func
		args []string
	}
	jobs := []job{
		{Cat, []string{"cat", "-n"}}, {Wc, []string{"wc"}}, {Head, []string{"head", "-n", "3"}},
		{Tail, []string{"tail", "-c", "20"}}, {Grep, []string{"grep", "-c", "cow"}},
		{Grep, []string{"grep", "-Eo", "[0-9]+"}}, {Printf, []string{"printf", "%s-%d\n", "a", "1", "b", "2"}},
		{Echo, []string{"echo", "-e", `x\ty`}}, {Basename, []string{"basename", "/a/b.c", ".c"}},
		{Dirname, []string{"dirname", "/a/b"}}, {Env, []string{"env"}}, {Pwd, []string{"pwd"}},
		{Test, []string{"test", "-d", "."}},
	}
	want := make([]string, len(jobs))
	dir := t.TempDir()
	for i, j := range jobs {
		out, _, _ := run(j.f, dir, input, j.args...)
		want[i] = out
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			own := filepath.Join(dir, fmt.Sprint(g))
			for round := 0; round < 5; round++ {
				for i, j := range jobs {
					if out, _, _ := run(j.f, dir, input, j.args...); out != want[i] {
						t.Errorf("goroutine %d: %v: %q, want %q", g, j.args, out, want[i])
						return
					}
				}
				// File applets, each goroutine in its own tree.
				for _, args := range [][]string{{"mkdir", "-p", own + "/a/b"}, {"touch", own + "/a/f"}, {"cp", "-r", own + "/a", own + "/c"}, {"mv", own + "/c", own + "/d"}, {"ln", "-s", "d", own + "/l"}, {"rm", "-r", own}} {
					if _, errs, rc := run(fileApplets[args[0]], dir, nil, args...); rc != 0 {
						t.Errorf("goroutine %d: %v: %s", g, args, errs)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestTailFollow: tail -f prints what is appended and ends when its output
// goes away.
func TestTailFollow(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	if err := os.WriteFile(log, []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		c := &applet.Ctx{Args: []string{"tail", "-f", "-s", "0.05", "log"}, Stdin: bytes.NewReader(nil), Stdout: pw, Stderr: io.Discard, Dir: dir}
		done <- Tail(c)
		pw.Close()
	}()
	rd := bufio.NewReader(pr)
	expect := func(want string) {
		t.Helper()
		line, err := rd.ReadString('\n')
		if err != nil || line != want {
			t.Fatalf("read %q, %v; want %q", line, err, want)
		}
	}
	expect("one\n")
	appendLine := func(s string) {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
	}
	appendLine("two\n")
	expect("two\n")
	appendLine("three\n")
	expect("three\n")
	pr.Close()
	appendLine("four\n")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("tail -f did not end when its reader went away")
	}
}
