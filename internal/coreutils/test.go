package coreutils

import (
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/moobox/moobox/internal/applet"
)

// Test evaluates a conditional expression, as test and [ do. (The shell
// has its own builtin; this one serves "busybox test", find -exec and
// other programs that exec it.)
func Test(c *applet.Ctx) int {
	args := c.Args[1:]
	if c.Name() == "[" && len(args) == 1 && args[0] == "--help" {
		// busybox's "[" has a --help, without a text.
		io.WriteString(c.Stderr, helpHeader+"No help available\n")
		return 0
	}
	if c.Name() == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			errorf(c, "missing ]")
			return 2
		}
		args = args[:len(args)-1]
	}
	t := tester{c: c, args: args}
	v := t.top()
	if t.err != "" {
		errorf(c, "%s", t.err)
		return 2
	}
	if v {
		return 0
	}
	return 1
}

type tester struct {
	c    *applet.Ctx
	args []string
	pos  int
	err  string
}

func (t *tester) top() bool {
	// POSIX decides by the number of arguments for up to four of them,
	// so that "test -n" and "test = = =" mean what they look like.
	switch n := len(t.args); n {
	case 0:
		return false
	case 1:
		return t.args[0] != ""
	case 2:
		if t.args[0] == "!" {
			return t.args[1] == ""
		}
		if isUnary(t.args[0]) {
			return t.unary(t.args[0], t.args[1])
		}
	case 3:
		if isBinary(t.args[1]) {
			return t.binary(t.args[0], t.args[1], t.args[2])
		}
		if t.args[0] == "!" {
			t.args = t.args[1:]
			return !t.top()
		}
		if t.args[0] == "(" && t.args[2] == ")" {
			return t.args[1] != ""
		}
	case 4:
		if t.args[0] == "!" {
			t.args = t.args[1:]
			return !t.top()
		}
		if t.args[0] == "(" && t.args[3] == ")" {
			t.args = t.args[1:3]
			return t.top()
		}
	}
	v := t.or()
	if t.err == "" && t.pos < len(t.args) {
		t.err = t.args[t.pos] + ": unknown operand"
	}
	return v
}

func (t *tester) peek() string {
	if t.pos < len(t.args) {
		return t.args[t.pos]
	}
	return ""
}

func (t *tester) or() bool {
	v := t.and()
	for t.err == "" && t.peek() == "-o" {
		t.pos++
		w := t.and()
		v = v || w
	}
	return v
}

func (t *tester) and() bool {
	v := t.not()
	for t.err == "" && t.peek() == "-a" {
		t.pos++
		w := t.not()
		v = v && w
	}
	return v
}

func (t *tester) not() bool {
	if t.peek() == "!" && t.pos+1 < len(t.args) {
		t.pos++
		return !t.not()
	}
	return t.primary()
}

func (t *tester) primary() bool {
	if t.pos >= len(t.args) {
		t.err = "argument expected"
		return false
	}
	a := t.args[t.pos]
	if a == "(" && t.pos+1 < len(t.args) {
		t.pos++
		v := t.or()
		if t.peek() != ")" {
			if t.err == "" {
				t.err = "closing paren expected"
			}
			return false
		}
		t.pos++
		return v
	}
	if t.pos+2 == len(t.args) && isBinary(t.args[t.pos+1]) {
		t.err = t.args[t.pos+1] + ": argument expected"
		return false
	}
	if t.pos+2 < len(t.args) && isBinary(t.args[t.pos+1]) {
		v := t.binary(a, t.args[t.pos+1], t.args[t.pos+2])
		t.pos += 3
		return v
	}
	if isUnary(a) && t.pos+1 < len(t.args) {
		v := t.unary(a, t.args[t.pos+1])
		t.pos += 2
		return v
	}
	t.pos++
	return a != ""
}

func isUnary(op string) bool {
	return len(op) == 2 && op[0] == '-' && strings.IndexByte("bcdefghkLnOGprsStuwxz", op[1]) >= 0
}

func isBinary(op string) bool {
	switch op {
	case "=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef":
		return true
	}
	return false
}

func (t *tester) unary(op, a string) bool {
	switch op {
	case "-n":
		return a != ""
	case "-z":
		return a == ""
	case "-t":
		fd, err := strconv.Atoi(a)
		if err != nil {
			t.err = a + ": bad number"
			return false
		}
		switch fd {
		case 0:
			return applet.IsTerminal(t.c.Stdin)
		case 1:
			return applet.IsTerminal(t.c.Stdout)
		case 2:
			return applet.IsTerminal(t.c.Stderr)
		}
		_, err = unix.IoctlGetTermios(fd, unix.TCGETS)
		return err == nil
	case "-r", "-w", "-x":
		mode := map[string]uint32{"-r": unix.R_OK, "-w": unix.W_OK, "-x": unix.X_OK}[op]
		return unix.Faccessat(unix.AT_FDCWD, t.c.Path(a), mode, unix.AT_EACCESS) == nil
	}
	p := t.c.Path(a)
	var fi os.FileInfo
	var err error
	if op == "-h" || op == "-L" {
		fi, err = os.Lstat(p)
	} else {
		fi, err = os.Stat(p)
	}
	if err != nil {
		return false
	}
	m := fi.Mode()
	st, _ := fi.Sys().(*syscall.Stat_t)
	switch op {
	case "-e":
		return true
	case "-f":
		return m.IsRegular()
	case "-d":
		return m.IsDir()
	case "-b":
		return m&os.ModeDevice != 0 && m&os.ModeCharDevice == 0
	case "-c":
		return m&os.ModeCharDevice != 0
	case "-p":
		return m&os.ModeNamedPipe != 0
	case "-S":
		return m&os.ModeSocket != 0
	case "-h", "-L":
		return m&os.ModeSymlink != 0
	case "-s":
		return fi.Size() > 0
	case "-g":
		return m&os.ModeSetgid != 0
	case "-u":
		return m&os.ModeSetuid != 0
	case "-k":
		return m&os.ModeSticky != 0
	case "-O":
		return st != nil && int(st.Uid) == os.Geteuid()
	case "-G":
		return st != nil && int(st.Gid) == os.Getegid()
	}
	return false
}

func (t *tester) binary(a, op, b string) bool {
	switch op {
	case "=", "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case ">":
		return a > b
	case "-nt", "-ot", "-ef":
		fa, ea := os.Stat(t.c.Path(a))
		fb, eb := os.Stat(t.c.Path(b))
		switch op {
		case "-nt":
			return ea == nil && eb == nil && fa.ModTime().After(fb.ModTime())
		case "-ot":
			return ea == nil && eb == nil && fa.ModTime().Before(fb.ModTime())
		}
		return ea == nil && eb == nil && os.SameFile(fa, fb)
	}
	x, ok1 := t.num(a)
	y, ok2 := t.num(b)
	if !ok1 || !ok2 {
		return false
	}
	switch op {
	case "-eq":
		return x == y
	case "-ne":
		return x != y
	case "-lt":
		return x < y
	case "-le":
		return x <= y
	case "-gt":
		return x > y
	}
	return x >= y
}

func (t *tester) num(s string) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		if t.err == "" {
			t.err = s + ": bad number"
		}
		return 0, false
	}
	return v, true
}
