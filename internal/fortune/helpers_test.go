package fortune

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/testutil"
)

const sysDir = "/usr/share/games/fortunes"

type result struct {
	stdout, stderr string
	code           int
}

// runApplet runs an applet in-process and fails the test if it panics or
// does not return within a generous bound (a hang is a bug).
func runApplet(t testing.TB, f applet.Func, dir string, env []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	c := &applet.Ctx{Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Env: env, Dir: dir}
	done := make(chan int, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%v panicked: %v", args, r)
				done <- -1
			}
		}()
		done <- f(c)
	}()
	select {
	case code := <-done:
		return result{out.String(), errb.String(), code}
	case <-time.After(30 * time.Second):
		t.Fatalf("%v did not return (hang)", args)
		return result{}
	}
}

// runTool runs a reference program with argv[0] set to name, so its
// messages name the program as moobox's do.
func runTool(t testing.TB, path, name, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Args[0] = name
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if code < 0 {
			code = -1 // killed by a signal
		}
	} else if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %v timed out", path, args)
	}
	return result{out.String(), errb.String(), code}
}

func debianTool(t testing.TB, name string) string {
	t.Helper()
	pkg := "fortune-mod"
	p := testutil.RequireTool(t, name, pkg)
	return p
}

func requireSysFortunes(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(sysDir, "fortunes.dat")); err != nil {
		testutil.Missing(t, sysDir+" not found; install Debian packages fortunes-min fortunes")
	}
}

// sysFiles lists the fortune text files of the Debian set.
func sysFiles(t testing.TB) []string {
	t.Helper()
	requireSysFortunes(t)
	ents, err := os.ReadDir(sysDir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".dat") || strings.HasSuffix(n, ".u8") || e.IsDir() {
			continue
		}
		files = append(files, filepath.Join(sysDir, n))
	}
	return files
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
