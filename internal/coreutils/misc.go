package coreutils

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moobox/moobox/internal/applet"
)

const envUsage = `Usage: env [-i] [-u NAME]... [-] [NAME=VALUE]... [PROG ARGS]

Run PROG with a modified environment, or print the environment

	-, -i	Start with an empty environment
	-u NAME	Remove NAME from the environment`

// Env prints the environment or runs a program in a changed one.
func Env(c *applet.Ctx) int {
	if wantsHelp(c, envUsage) {
		return 0
	}
	args := c.Args[1:]
	env := append([]string(nil), c.Env...)
	// Options end at the first NAME=VALUE or program name, unlike other
	// applets: "env ls -l" must not take -l.
	for len(args) > 0 {
		a := args[0]
		if a == "-" || a == "-i" || a == "--ignore-environment" {
			env = nil
			args = args[1:]
			continue
		}
		if a == "--" {
			args = args[1:]
			break
		}
		if a == "-u" || strings.HasPrefix(a, "-u") && len(a) > 2 {
			name := strings.TrimPrefix(a, "-u")
			args = args[1:]
			if name == "" {
				if len(args) == 0 {
					errorf(c, "option requires an argument -- 'u'")
					return usageFail(c, envUsage)
				}
				name, args = args[0], args[1:]
			}
			env = unsetEnv(env, name)
			continue
		}
		if len(a) > 1 && a[0] == '-' {
			if strings.Trim(a[1:], "i") == "" {
				env = nil
				args = args[1:]
				continue
			}
			errorf(c, "invalid option -- '%c'", strings.Trim(a[1:], "i")[0])
			return usageFail(c, envUsage)
		}
		break
	}
	for len(args) > 0 && strings.Contains(args[0], "=") {
		name, _, _ := strings.Cut(args[0], "=")
		env = append(unsetEnv(env, name), args[0])
		args = args[1:]
	}
	if len(args) == 0 {
		w := newOut(c)
		for _, kv := range env {
			w.WriteString(kv)
			w.WriteByte('\n')
		}
		return w.finish(0)
	}
	nc := &applet.Ctx{Args: args, Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr, Env: env, Dir: c.Dir}
	return runProgram(nc)
}

func unsetEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return out
}

// runProgram execs c.Args[0], found through c's PATH, with c's streams,
// environment and directory, and returns its exit status the way a shell
// would (127 not found, 126 not executable, 128+N killed by signal N).
func runProgram(c *applet.Ctx) int {
	path, err := lookPath(c, c.Args[0])
	if err != nil {
		errorf(c, "can't execute '%s': %s", c.Args[0], errText(err))
		if errors.Is(err, fs.ErrNotExist) {
			return 127
		}
		return 126
	}
	cmd := &exec.Cmd{Path: path, Args: c.Args, Env: c.Env, Dir: c.Dir, Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		errorf(c, "can't execute '%s': %s", c.Args[0], errText(err))
		return 126
	}
	return 0
}

// lookPath finds an executable through c's PATH (not the process's).
func lookPath(c *applet.Ctx, name string) (string, error) {
	if strings.Contains(name, "/") {
		p := c.Path(name)
		if _, err := os.Stat(p); err != nil {
			return "", err
		}
		return p, nil
	}
	path, ok := c.LookupEnv("PATH")
	if !ok {
		path = "/sbin:/usr/sbin:/bin:/usr/bin"
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := c.Path(filepath.Join(d, name))
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fs.ErrNotExist
}

const printenvUsage = `Usage: printenv [VARIABLE]...

Print the values of VARIABLEs, or the whole environment`

// Printenv prints environment variables; it fails if one is unset.
func Printenv(c *applet.Ctx) int {
	if wantsHelp(c, printenvUsage) {
		return 0
	}
	_, names, ok := parseOpts(c, "", printenvUsage)
	if !ok {
		return 2
	}
	w := newOut(c)
	if len(names) == 0 {
		for _, kv := range c.Env {
			w.WriteString(kv + "\n")
		}
		return w.finish(0)
	}
	rc := 0
	for _, n := range names {
		if v, ok := c.LookupEnv(n); ok {
			w.WriteString(v + "\n")
		} else {
			rc = 1
		}
	}
	return w.finish(rc)
}

const pwdUsage = `Usage: pwd

Print the absolute name of the working directory`

// Pwd prints the working directory.
func Pwd(c *applet.Ctx) int {
	if wantsHelp(c, pwdUsage) {
		return 0
	}
	if _, _, ok := parseOpts(c, "LP", pwdUsage); !ok {
		return 1
	}
	w := newOut(c)
	w.WriteString(c.Dir + "\n")
	return w.finish(0)
}

const sleepUsage = `Usage: sleep [N]...

Wait for the sum of the Ns, each a number of seconds or, with a suffix,
(s)econds, (m)inutes, (h)ours or (d)ays; fractions are allowed`

// Sleep waits.
func Sleep(c *applet.Ctx) int {
	if wantsHelp(c, sleepUsage) {
		return 0
	}
	args := c.Args[1:]
	if len(args) == 0 {
		return usageFail(c, sleepUsage)
	}
	var total time.Duration
	for _, a := range args {
		s, mult := a, 1.0
		if s != "" {
			switch s[len(s)-1] {
			case 's':
				s = s[:len(s)-1]
			case 'm':
				s, mult = s[:len(s)-1], 60
			case 'h':
				s, mult = s[:len(s)-1], 3600
			case 'd':
				s, mult = s[:len(s)-1], 86400
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || strings.Trim(s, "0123456789.eE+-") != "" {
			errorf(c, "invalid number '%s'", a)
			return 1
		}
		total += time.Duration(f * mult * float64(time.Second))
	}
	time.Sleep(total)
	return 0
}

const basenameUsage = `Usage: basename FILE [SUFFIX] | -a FILE... | -s SUFFIX FILE...

Print FILE without its leading directories and trailing SUFFIX

	-a		Every argument is a FILE
	-s SUFFIX	Remove SUFFIX too (implies -a)`

// Basename strips directories and a suffix.
func Basename(c *applet.Ctx) int {
	if wantsHelp(c, basenameUsage) {
		return 0
	}
	o, args, ok := parseOpts(c, "as:", basenameUsage)
	if !ok {
		return 1
	}
	suffix := o.val('s', "")
	all := o.has('a') || o.has('s')
	if len(args) == 0 || !all && len(args) > 2 {
		return usageFail(c, basenameUsage)
	}
	if !all && len(args) == 2 {
		suffix = args[1]
		args = args[:1]
	}
	w := newOut(c)
	for _, a := range args {
		b := baseName(a)
		if suffix != "" && b != suffix && strings.HasSuffix(b, suffix) {
			b = strings.TrimSuffix(b, suffix)
		}
		w.WriteString(b + "\n")
	}
	return w.finish(0)
}

// baseName is POSIX basename(1) without the suffix step.
func baseName(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		if s == "" {
			return ""
		}
		return "/"
	}
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		t = t[i+1:]
	}
	return t
}

const dirnameUsage = `Usage: dirname FILENAME

Print FILENAME without its last component`

// Dirname strips the last path component.
func Dirname(c *applet.Ctx) int {
	if wantsHelp(c, dirnameUsage) {
		return 0
	}
	_, args, ok := parseOpts(c, "", dirnameUsage)
	if !ok {
		return 1
	}
	if len(args) != 1 {
		return usageFail(c, dirnameUsage)
	}
	w := newOut(c)
	w.WriteString(dirName(args[0]) + "\n")
	return w.finish(0)
}

// dirName is POSIX dirname(1).
func dirName(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		if strings.HasPrefix(s, "/") {
			return "/"
		}
		return "."
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return "."
	}
	t = strings.TrimRight(t[:i], "/")
	if t == "" {
		return "/"
	}
	return t
}

const clearUsage = `Usage: clear

Clear the screen`

// Clear homes the cursor and erases the screen.
func Clear(c *applet.Ctx) int {
	if wantsHelp(c, clearUsage) {
		return 0
	}
	if _, err := io.WriteString(c.Stdout, "\033[H\033[J"); err != nil {
		return 1
	}
	return 0
}
