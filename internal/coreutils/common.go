package coreutils

import (
	"bufio"
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/bbopt"
)

// helpHeader opens every --help text, in busybox's layout.
const helpHeader = bbopt.HelpHeader

// wantsHelp prints the usage when the first argument is --help, which is
// the only place busybox looks for it. Help goes to stderr, status 0.
// usageFail prints the usage to stderr, as busybox does for missing
// operands, and returns the failure status.
func usageFail(c *applet.Ctx, usage string) int {
	io.WriteString(c.Stderr, helpHeader+usage+"\n")
	return 1
}

func wantsHelp(c *applet.Ctx, usage string) bool {
	return bbopt.Help(c, &bbopt.Spec{Usage: usage + "\n"})
}

// opts is what parseOpts found; the applets adjust the counts (cat -A
// sets -v, -t and -e), so it is a plain copy of bbopt's result.
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

// parseOpts parses c.Args[1:] against spec ("ab:c": b takes an argument)
// with the shared busybox-style parser. On a bad option it has printed the
// error and the usage; the caller then exits 1 as busybox does.
func parseOpts(c *applet.Ctx, spec, usage string) (*opts, []string, bool) {
	b, operands, ok := bbopt.Parse(c, &bbopt.Spec{Short: spec, Usage: usage + "\n"})
	if !ok {
		return nil, nil, false
	}
	o := new(opts)
	for i := range spec {
		k := spec[i]
		if k != ':' && k < 128 {
			o.n[k] = b.Count(k)
			o.vals[k] = b.Vals(k)
		}
	}
	return o, operands, true
}

// errorf prints "name: message" on stderr.
func errorf(c *applet.Ctx, format string, a ...any) { bbopt.Errorf(c, format, a...) }

// errText is the C library's wording of err's errno ("No such file or
// directory").
func errText(err error) string { return bbopt.ErrText(err) }

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
