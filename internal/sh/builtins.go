package sh

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// ownBuiltins are builtins busybox ash has and the interpreter lacks.
var ownBuiltins = map[string]func(s *shell, hc interp.HandlerContext, args []string) int{
	"umask": umaskBuiltin,
	"kill":  killBuiltin,
}

// umaskBuiltin prints or sets the file mode creation mask. The mask
// belongs to the process, which is the shell.
func umaskBuiltin(s *shell, hc interp.HandlerContext, args []string) int {
	symbolic := false
	if len(args) > 1 && args[1] == "-S" {
		symbolic = true
		args = args[1:]
	}
	if len(args) < 2 {
		m := syscall.Umask(0)
		syscall.Umask(m)
		if symbolic {
			perm := func(shift uint) string {
				b := ^m >> shift & 7
				out := ""
				for i, c := range "rwx" {
					if b&(4>>i) != 0 {
						out += string(c)
					}
				}
				return out
			}
			fmt.Fprintf(hc.Stdout, "u=%s,g=%s,o=%s\n", perm(6), perm(3), perm(0))
		} else {
			fmt.Fprintf(hc.Stdout, "%04o\n", m)
		}
		return 0
	}
	v, err := strconv.ParseUint(args[1], 8, 32)
	if err != nil || v > 0o777 {
		fmt.Fprintf(hc.Stderr, "%s: umask: invalid mode '%s'\n", s.name, args[1])
		return 1
	}
	syscall.Umask(int(v))
	return 0
}

// killBuiltin sends signals to processes: kill [-s SIG | -SIG] PID...,
// kill -l.
func killBuiltin(s *shell, hc interp.HandlerContext, args []string) int {
	sig := unix.SIGTERM
	args = args[1:]
	if len(args) > 0 && args[0] == "-l" {
		for n := 1; n < 32; n++ {
			if name := unix.SignalName(syscall.Signal(n)); name != "" {
				fmt.Fprintf(hc.Stdout, "%2d) %s\n", n, strings.TrimPrefix(name, "SIG"))
			}
		}
		return 0
	}
	if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && args[0] != "--" {
		name := args[0][1:]
		if name == "s" && len(args) > 1 {
			name = args[1]
			args = args[1:]
		}
		args = args[1:]
		if n, err := strconv.Atoi(name); err == nil {
			sig = syscall.Signal(n)
		} else {
			sig = unix.SignalNum("SIG" + strings.TrimPrefix(strings.ToUpper(name), "SIG"))
			if sig == 0 {
				fmt.Fprintf(hc.Stderr, "%s: kill: bad signal name '%s'\n", s.name, name)
				return 1
			}
		}
	} else if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintf(hc.Stderr, "%s: kill: usage: kill [-s SIGNAL | -SIGNAL] PID...\n", s.name)
		return 1
	}
	rc := 0
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintf(hc.Stderr, "%s: kill: invalid number '%s'\n", s.name, a)
			rc = 1
			continue
		}
		if err := syscall.Kill(pid, sig); err != nil {
			fmt.Fprintf(hc.Stderr, "%s: can't kill pid %d: %s\n", s.name, pid, errText(err))
			rc = 1
		}
	}
	return rc
}

// runOwnBuiltin runs one of ownBuiltins for the exec handler.
func (s *shell) runOwnBuiltin(ctx context.Context, hc interp.HandlerContext, f func(*shell, interp.HandlerContext, []string) int, args []string) error {
	if rc := f(s, hc, args); rc != 0 {
		return interp.ExitStatus(uint8(rc))
	}
	return nil
}

// parseErrorText words a syntax error like busybox: "line N: message".
func parseErrorText(err error) string {
	var pe syntax.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: syntax error: %s", pe.Pos.Line(), pe.Text)
	}
	return err.Error()
}
