// Package testutil holds helpers shared by moobox's tests.
package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moobox/moobox/internal/applet"
)

// extraDirs are searched after PATH: Debian puts fortune, cowsay and lolcat
// in /usr/games and some admin tools in sbin, none of which are on root's
// PATH everywhere.
var extraDirs = []string{"/usr/games", "/usr/local/games", "/usr/sbin", "/sbin", "/usr/local/sbin"}

// FindTool returns the path of an external program, looking in PATH and
// then in the directories Debian uses for games and admin tools.
func FindTool(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, d := range extraDirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// Required reports whether missing tools must fail the test run instead of
// skipping it (set by .ci/run).
func Required() bool { return os.Getenv("MOOBOX_REQUIRE_TOOLS") == "1" }

// RequireTool returns the path of the external program name, provided by the
// Debian package pkg. When it is absent the test is skipped with a message
// naming the package, or fails when MOOBOX_REQUIRE_TOOLS=1.
func RequireTool(t testing.TB, name, pkg string) string {
	t.Helper()
	if p, ok := FindTool(name); ok {
		return p
	}
	Missing(t, name+" not found; install Debian package "+pkg)
	return ""
}

// Missing skips (or, under MOOBOX_REQUIRE_TOOLS=1, fails) a test whose
// prerequisite is absent.
func Missing(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatalf("MOOBOX_REQUIRE_TOOLS=1: %s", why)
	}
	t.Skip(why)
}

// RequireRoot skips (or fails under MOOBOX_REQUIRE_TOOLS=1) a test that needs
// root, such as a loop mount or a new PID namespace.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root")
	}
}

// Result is what a command printed and its exit status.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Exec runs argv (argv[0] a path or a name on PATH) in dir with env (nil:
// this process's environment) and stdin, and returns what it printed and
// its exit status. A program that cannot be started fails the test.
func Exec(t testing.TB, dir string, env []string, stdin string, argv ...string) Result {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s: %v", argv[0], err)
		}
		code = ee.ExitCode()
	}
	return Result{out.String(), errb.String(), code}
}

// Applet runs an applet in-process with the same inputs as Exec, so a test
// can compare the two.
func Applet(f applet.Func, dir string, env []string, stdin string, argv ...string) Result {
	var out, errb bytes.Buffer
	code := f(&applet.Ctx{Args: argv, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Env: env, Dir: dir})
	return Result{out.String(), errb.String(), code}
}
