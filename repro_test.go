package moobox_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproducibleBinaries builds every command twice, from two copies of
// the source in different directories, under different umasks, time zones
// and locales, the second with an empty build cache, and requires
// byte-identical binaries.
func TestReproducibleBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole module twice")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	cmds, err := filepath.Glob("cmd/*")
	if err != nil || len(cmds) == 0 {
		t.Fatalf("no commands: %v", err)
	}
	build := func(name, umask, tz, cache string) string {
		src := filepath.Join(t.TempDir(), name, "src")
		copyTree(t, ".", src)
		out := filepath.Join(t.TempDir(), "bin")
		args := []string{"build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out + "/"}
		for _, c := range cmds {
			args = append(args, "./"+filepath.ToSlash(c))
		}
		line := "umask " + umask + " && exec " + shellQuote(gobin)
		for _, a := range args {
			line += " " + shellQuote(a)
		}
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "TZ="+tz, "LC_ALL=C", "LANG="+tz, "GOFLAGS=-mod=mod")
		if cache != "" {
			cmd.Env = append(cmd.Env, "GOCACHE="+cache)
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build in %s: %v\n%s", src, err, b)
		}
		return out
	}
	a := build("a", "022", "UTC", "")
	b := build("bb/deeper", "077", "Asia/Kathmandu", t.TempDir())
	for _, c := range cmds {
		n := filepath.Base(c)
		x, err := os.ReadFile(filepath.Join(a, n))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, n))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between the two builds (%d vs %d bytes)", n, len(x), len(y))
		}
	}
}

// copyTree copies the module's source files, skipping build outputs and VCS
// data so the copies differ only in where they are.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		top := strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]
		if d.IsDir() && (top == ".git" || top == "bin" || top == "out") {
			return filepath.SkipDir
		}
		dst := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, b, 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
