// Package applet defines what every moobox tool is: a function of its
// arguments, standard streams, environment and working directory that
// returns an exit status. The standalone mains, the multicall busybox, the
// shell and the tests all call applets the same way.
package applet

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"
)

// Ctx is everything an applet may touch. Applets run concurrently inside
// the shell, so they must not read os.Args, os.Environ, os.Stdout or the
// process working directory, nor call os.Exit.
type Ctx struct {
	Args   []string // Args[0] is the name the applet was invoked under
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Env    []string // KEY=VALUE; the last entry for a key wins
	Dir    string   // working directory, absolute
}

// Func is an applet's entry point. It returns the exit status.
type Func func(c *Ctx) int

// OS returns the context of the running process.
func OS() *Ctx {
	dir, err := os.Getwd()
	if err != nil {
		dir = "/"
	}
	return &Ctx{
		Args:   os.Args,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Env:    os.Environ(),
		Dir:    dir,
	}
}

// Name is the base name the applet was invoked under.
func (c *Ctx) Name() string {
	if len(c.Args) == 0 {
		return ""
	}
	return filepath.Base(c.Args[0])
}

// LookupEnv returns the value of key in c.Env.
func (c *Ctx) LookupEnv(key string) (string, bool) {
	for i := len(c.Env) - 1; i >= 0; i-- {
		kv := c.Env[i]
		if len(kv) > len(key) && kv[len(key)] == '=' && strings.HasPrefix(kv, key) {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

// Getenv returns the value of key in c.Env, or "".
func (c *Ctx) Getenv(key string) string {
	v, _ := c.LookupEnv(key)
	return v
}

// Path resolves p against the applet's working directory.
func (c *Ctx) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Dir == "" {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// IsTerminal reports whether the stream is a terminal. Streams that are not
// *os.File (pipes inside the shell, buffers in tests) never are.
func IsTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
