package coreutils

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/version"
)

// helpHeader opens every --help text, in busybox's layout so that users
// and scripts recognise it.
const helpHeader = "moobox v" + version.Version + " multi-call binary.\n\n"

// wantsHelp prints the usage when the first argument is --help, which is
// the only place busybox looks for it. Help goes to stderr, status 0.
func wantsHelp(c *applet.Ctx, usage string) bool {
	if len(c.Args) > 1 && c.Args[1] == "--help" {
		io.WriteString(c.Stderr, helpHeader+usage+"\n")
		return true
	}
	return false
}

// opts is the result of parsing options busybox-style: GNU getopt with
// argument permutation, clustered short options and "--".
type opts struct {
	n    [128]int      // how many times each option was given
	vals [128][]string // arguments of options that take one
}

func (o *opts) has(b byte) bool { return o.n[b] > 0 }

// val returns the last argument given to option b, or def.
func (o *opts) val(b byte, def string) string {
	if v := o.vals[b]; len(v) > 0 {
		return v[len(v)-1]
	}
	return def
}

// parseOpts parses c.Args[1:] against spec ("ab:c": b takes an argument).
// On a bad option it prints the error and the usage and returns ok=false;
// the caller then exits 1 as busybox does.
func parseOpts(c *applet.Ctx, spec, usage string) (o *opts, operands []string, ok bool) {
	o = new(opts)
	args := c.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			operands = append(operands, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			operands = append(operands, a)
			continue
		}
		if a[1] == '-' {
			errorf(c, "unrecognized option '%s'", a)
			io.WriteString(c.Stderr, helpHeader+usage+"\n")
			return nil, nil, false
		}
		for j := 1; j < len(a); j++ {
			b := a[j]
			k := strings.IndexByte(spec, b)
			if b >= 128 || b == ':' || k < 0 {
				errorf(c, "invalid option -- '%c'", b)
				io.WriteString(c.Stderr, helpHeader+usage+"\n")
				return nil, nil, false
			}
			o.n[b]++
			if k+1 < len(spec) && spec[k+1] == ':' {
				var v string
				if j+1 < len(a) {
					v = a[j+1:]
				} else if i+1 < len(args) {
					i++
					v = args[i]
				} else {
					errorf(c, "option requires an argument -- '%c'", b)
					io.WriteString(c.Stderr, helpHeader+usage+"\n")
					return nil, nil, false
				}
				o.vals[b] = append(o.vals[b], v)
				break
			}
		}
	}
	return o, operands, true
}

// errorf prints "name: message" on stderr.
func errorf(c *applet.Ctx, format string, a ...any) {
	fmt.Fprintf(c.Stderr, "%s: %s\n", c.Name(), fmt.Sprintf(format, a...))
}

// errText is the C library's wording of err's errno ("No such file or
// directory"), which Go spells the same but in lower case.
func errText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// isEPIPE reports a write to a pipe nobody reads any more; applets stop
// quietly then, as a process killed by SIGPIPE would.
func isEPIPE(err error) bool { return errors.Is(err, syscall.EPIPE) }

// openIn opens an input operand: "-" is stdin. The returned closer is a
// no-op for stdin.
func openIn(c *applet.Ctx, name string) (io.Reader, func(), error) {
	if name == "-" {
		return c.Stdin, func() {}, nil
	}
	f, err := os.Open(c.Path(name))
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// out wraps stdout in a buffer; finish flushes it and turns a write error
// into the exit status.
type outBuf struct {
	*bufio.Writer
	c *applet.Ctx
}

func newOut(c *applet.Ctx) outBuf {
	return outBuf{bufio.NewWriterSize(c.Stdout, 32<<10), c}
}

// finish flushes and returns rc, or 1 if the output could not be written.
func (w outBuf) finish(rc int) int {
	if err := w.Flush(); err != nil {
		if !isEPIPE(err) {
			errorf(w.c, "write error: %s", errText(err))
		}
		return 1
	}
	return rc
}

// failed reports whether an earlier write failed (bufio keeps the error).
func (w outBuf) failed() bool {
	_, err := w.Write(nil)
	return err != nil
}
