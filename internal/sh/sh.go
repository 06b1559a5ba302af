// Package sh is moobox's POSIX shell: mvdan.cc/sh's parser and interpreter
// with moobox applets run in-process, busybox's command line, and an
// interactive mode with line editing.
package sh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/moobox/moobox/internal/applet"
	"github.com/moobox/moobox/internal/version"
)

// LookupFunc finds an applet by name. The registry passes its own lookup
// in at call time: it imports this package, so this package cannot import
// it.
type LookupFunc func(name string) (applet.Func, bool)

// NoInProcEnv names the variable that, set to a non-empty value other than
// 0, makes the shell exec every command instead of running applets
// in-process.
const NoInProcEnv = "MOOBOX_NOINPROC"

// arg0Var holds $0 when commands are run one statement at a time (stdin
// and interactive mode), where the interpreter itself has no file name.
const arg0Var = "MOOBOX_SH_ARG0"

const usage = `Usage: sh [-/+OPTIONS] [-/+o OPT]... [-c 'SCRIPT' [ARG0 ARGS] | FILE ARGS | -s ARGS]

Unix shell interpreter (POSIX sh, with in-process moobox applets)

	-c SCRIPT	Run SCRIPT; ARG0 becomes $0
	-s		Read commands from stdin (the default without FILE)
	-i		Interactive, even if stdin is not a terminal
	-e		Exit when a command fails
	-u		Fail on unset variables
	-x		Print commands as they run
	-f		No pathname expansion
	-n		Read commands but do not run them
	-a		Export every variable assigned
	-o OPT	Set option OPT by name (errexit, nounset, xtrace, pipefail...)

Set ` + NoInProcEnv + `=1 to exec applets as separate processes.`

// shell is one running sh.
type shell struct {
	c      *applet.Ctx
	lookup LookupFunc
	name   string // for error messages, like busybox's "sh"
	// onTTY: interactive, Ctrl-C cancels commands, and applets reading the
	// terminal must stop reading it then (see ttyReader).
	onTTY bool

	mu sync.Mutex
	// shadowed names the routed builtins the script defines functions
	// for; those calls are left to the interpreter.
	shadowed map[string]bool
}

// asBuiltin are the interpreter builtins replaced by moobox's applets, run
// in-process whatever MOOBOX_NOINPROC says, as busybox ash's builtins are
// its applets: the interpreter's own lack printf's %g, %*d and more.
var asBuiltin = map[string]bool{"echo": true, "printf": true, "test": true, "[": true}

// builtinMark prefixes a command name the call handler routed to an
// applet; no real command name contains a NUL.
const builtinMark = "\x00"

// callHandler routes echo, printf, test and [ to the applets, and umask
// and kill to ownBuiltins, unless the script defines a function of that
// name. (It runs concurrently in pipelines, so it reads no interpreter
// state: functions are found in the parsed code beforehand, see
// noteFuncs.)
func (s *shell) callHandler(ctx context.Context, args []string) ([]string, error) {
	name := args[0]
	if ownBuiltins[name] == nil && !asBuiltin[name] {
		return args, nil
	}
	s.mu.Lock()
	shadowed := s.shadowed[name]
	s.mu.Unlock()
	if shadowed {
		return args, nil
	}
	if ownBuiltins[name] == nil {
		if _, ok := s.lookup(name); !ok {
			return args, nil
		}
	}
	return append([]string{builtinMark + name}, args[1:]...), nil
}

// noteFuncs records the routed builtins that code about to run defines as
// functions.
func (s *shell) noteFuncs(n syntax.Node) {
	syntax.Walk(n, func(n syntax.Node) bool {
		if fd, ok := n.(*syntax.FuncDecl); ok && fd.Name != nil {
			name := fd.Name.Value
			if asBuiltin[name] || ownBuiltins[name] != nil {
				s.mu.Lock()
				if s.shadowed == nil {
					s.shadowed = make(map[string]bool)
				}
				s.shadowed[name] = true
				s.mu.Unlock()
			}
		}
		return true
	})
}

// Main runs the sh applet.
func Main(c *applet.Ctx, lookup LookupFunc) int {
	s := &shell{c: c, lookup: lookup, name: c.Name()}
	if s.name == "" {
		s.name = "sh"
	}
	args := c.Args[1:]
	if len(args) > 0 && args[0] == "--help" {
		io.WriteString(c.Stderr, "moobox v"+version.Version+" multi-call binary.\n\n"+usage+"\n")
		return 0
	}
	var params []string // options for interp.Params
	hasC, forceStdin, forceInteractive := false, false, false
	i := 0
opts:
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" || a == "-" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' && a[0] != '+' {
			break
		}
		for j := 1; j < len(a); j++ {
			switch f := a[j]; f {
			case 'c':
				hasC = true
			case 's':
				forceStdin = true
			case 'i':
				forceInteractive = true
			case 'l', 'm', 'v', 'C', 'b':
				// Login shells, job control, verbose and noclobber are
				// accepted and ignored.
			case 'e', 'u', 'x', 'f', 'n', 'a':
				params = append(params, string(a[0])+string(f))
			case 'o':
				if i+1 >= len(args) {
					fmt.Fprintf(c.Stderr, "%s: -o requires an option name\n", s.name)
					return 2
				}
				i++
				params = append(params, string(a[0])+"o", args[i])
				continue opts
			default:
				fmt.Fprintf(c.Stderr, "%s: invalid option -- '%c'\n%s\n", s.name, f, usage)
				return 2
			}
		}
	}
	rest := args[i:]
	switch {
	case hasC:
		if len(rest) == 0 {
			fmt.Fprintf(c.Stderr, "%s: -c requires an argument\n", s.name)
			return 2
		}
		arg0 := c.Args[0]
		if len(rest) > 1 {
			arg0 = rest[1]
		}
		var extra []string
		if len(rest) > 2 {
			extra = rest[2:]
		}
		return s.runString(rest[0], arg0, params, extra)
	case len(rest) > 0 && !forceStdin:
		data, err := os.ReadFile(c.Path(rest[0]))
		if err != nil {
			fmt.Fprintf(c.Stderr, "%s: can't open '%s': %s\n", s.name, rest[0], errText(err))
			return 2
		}
		return s.runString(string(data), rest[0], params, rest[1:])
	}
	interactive := forceInteractive || applet.IsTerminal(c.Stdin) && applet.IsTerminal(c.Stderr)
	if interactive {
		if f, ok := c.Stdin.(*os.File); ok && applet.IsTerminal(f) {
			return s.interactive(f, params, rest)
		}
	}
	return s.runStdin(params, rest)
}

// newRunner makes an interpreter over the applet's streams, environment
// and directory. stdin may differ from c.Stdin.
func (s *shell) newRunner(stdin io.Reader, params, args []string) (*interp.Runner, error) {
	env := s.c.Env
	if _, ok := s.c.LookupEnv("PATH"); !ok {
		// busybox's default, so applets and /bin tools are found.
		env = append(env[:len(env):len(env)], "PATH=/sbin:/usr/sbin:/bin:/usr/bin")
	}
	p := append(append(params[:len(params):len(params)], "--"), args...)
	r, err := interp.New(
		interp.StdIO(stdin, s.c.Stdout, s.c.Stderr),
		interp.Env(expand.ListEnviron(env...)),
		interp.Dir(s.c.Dir),
		interp.ExecHandlers(s.execMiddleware),
		interp.CallHandler(s.callHandler),
		interp.Params(p...),
	)
	return r, err
}

// runString runs a whole script (sh -c or sh FILE) as one file, so $0,
// traps and exit work as in a script.
func (s *shell) runString(src, arg0 string, params, args []string) int {
	f, err := syntax.NewParser().Parse(strings.NewReader(src), arg0)
	if err != nil {
		fmt.Fprintf(s.c.Stderr, "%s: %s\n", s.name, parseErrorText(err))
		return 2
	}
	r, err := s.newRunner(s.c.Stdin, params, args)
	if err != nil {
		fmt.Fprintf(s.c.Stderr, "%s: %v\n", s.name, err)
		return 2
	}
	s.noteFuncs(f)
	return s.status(r.Run(context.Background(), f))
}

// status turns the interpreter's result into an exit status.
func (s *shell) status(err error) int {
	if err == nil {
		return 0
	}
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es)
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	fmt.Fprintf(s.c.Stderr, "%s: %v\n", s.name, err)
	return 2
}

// runStdin reads commands from a non-terminal stdin and runs each complete
// statement as soon as it is read, like other shells (so a pipe feeding sh
// slowly sees its commands run as they come).
func (s *shell) runStdin(params, args []string) int {
	// Commands run by the shell share its stdin when it is a real file;
	// a Go reader (tests, in-process pipes) is consumed by the parser only.
	var stdin io.Reader
	if f, ok := s.c.Stdin.(*os.File); ok {
		stdin = f
	}
	r, err := s.newRunner(stdin, params, args)
	if err != nil {
		fmt.Fprintf(s.c.Stderr, "%s: %v\n", s.name, err)
		return 2
	}
	s.setArg0(r, s.c.Args[0])
	ctx := context.Background()
	rc := 0
	p := syntax.NewParser()
	perr := p.Interactive(s.c.Stdin, func(stmts []*syntax.Stmt) bool {
		if p.Incomplete() {
			return true
		}
		for _, st := range stmts {
			s.noteFuncs(st)
			rc = s.status(r.Run(ctx, renameArg0(st)))
			if r.Exited() {
				return false
			}
		}
		return true
	})
	if perr != nil {
		fmt.Fprintf(s.c.Stderr, "%s: %s\n", s.name, parseErrorText(perr))
		return 2
	}
	if !r.Exited() {
		// End of input: the EXIT trap runs, as at the end of a script;
		// the status stays the last command's.
		r.Run(ctx, &syntax.File{Name: s.c.Args[0]})
	}
	return rc
}

// setArg0 stores the name $0 expands to when statements run one by one.
func (s *shell) setArg0(r *interp.Runner, arg0 string) {
	q, err := syntax.Quote(arg0, syntax.LangPOSIX)
	if err != nil {
		return
	}
	f, err := syntax.NewParser().Parse(strings.NewReader(arg0Var+"="+q), "")
	if err == nil {
		r.Run(context.Background(), f.Stmts[0])
	}
}

// renameArg0 points $0 at arg0Var: the interpreter only knows a script's
// name when it runs a whole file, which would also fire the EXIT trap
// after every line.
func renameArg0(st *syntax.Stmt) *syntax.Stmt {
	syntax.Walk(st, func(n syntax.Node) bool {
		if pe, ok := n.(*syntax.ParamExp); ok && pe.Param != nil && pe.Param.Value == "0" {
			pe.Param.Value = arg0Var
		}
		return true
	})
	return st
}

// execMiddleware runs applets in-process with the command's streams,
// environment and directory; everything else is exec'd through PATH.
func (s *shell) execMiddleware(next interp.ExecHandlerFunc) interp.ExecHandlerFunc {
	return func(ctx context.Context, args []string) error {
		hc := interp.HandlerCtx(ctx)
		name := args[0]
		if strings.HasPrefix(name, builtinMark) {
			name = name[len(builtinMark):]
			if b := ownBuiltins[name]; b != nil {
				return s.runOwnBuiltin(ctx, hc, b, append([]string{name}, args[1:]...))
			}
			if f, ok := s.lookup(name); ok {
				// As builtins they speak as the shell ("sh: invalid
				// number"), like ash's; "[" keeps its name, which tells
				// the applet to expect the closing "]".
				argv0 := s.name
				if name == "[" {
					argv0 = name
				}
				return s.runApplet(ctx, hc, f, append([]string{argv0}, args[1:]...))
			}
		}
		if !strings.Contains(name, "/") && s.lookup != nil && !noInProc(hc.Env) {
			if f, ok := s.lookup(name); ok {
				return s.runApplet(ctx, hc, f, args)
			}
		}
		if _, err := interp.LookPathDir(hc.Dir, hc.Env, name); err != nil {
			if strings.Contains(name, "/") {
				fmt.Fprintf(hc.Stderr, "%s: %s: %s\n", s.name, name, errText(err))
				if errors.Is(err, os.ErrNotExist) {
					return interp.ExitStatus(127)
				}
				return interp.ExitStatus(126)
			}
			fmt.Fprintf(hc.Stderr, "%s: %s: not found\n", s.name, name)
			return interp.ExitStatus(127)
		}
		err := next(ctx, args)
		if err != nil && ctx.Err() != nil {
			// Interrupted: a status, not a fatal error that would end
			// the interpreter.
			return interp.ExitStatus(130)
		}
		return err
	}
}

func noInProc(env expand.Environ) bool {
	v := env.Get(NoInProcEnv)
	return v.IsSet() && v.String() != "" && v.String() != "0"
}

// runApplet calls an applet in a goroutine so that an interrupt (the
// context being cancelled by Ctrl-C) returns control to the shell at once.
// Applets take no context, so one that ignores its closed streams finishes
// in the background.
func (s *shell) runApplet(ctx context.Context, hc interp.HandlerContext, f applet.Func, args []string) error {
	var env []string
	hc.Env.Each(func(name string, vr expand.Variable) bool {
		if vr.Exported && vr.Kind == expand.String {
			env = append(env, name+"="+vr.Str)
		} else if !vr.IsSet() {
			env = unset(env, name)
		}
		return true
	})
	ac := &applet.Ctx{Args: args, Stdin: hc.Stdin, Stdout: hc.Stdout, Stderr: hc.Stderr, Env: env, Dir: hc.Dir}
	if ac.Stdin == nil || isNilFile(ac.Stdin) {
		ac.Stdin = bytes.NewReader(nil)
	}
	if s.onTTY && args[0] != "sh" {
		if f, ok := ac.Stdin.(*os.File); ok && applet.IsTerminal(f) {
			ac.Stdin = &ttyReader{f: f, ctx: ctx}
		}
		// Output to the terminal goes through copies of its descriptor,
		// closed when the command ends or is interrupted, so an applet
		// left running after Ctrl-C can no longer write over the prompt.
		var closeOut, closeErr func()
		ac.Stdout, closeOut = dupTTY(ac.Stdout)
		ac.Stderr, closeErr = dupTTY(ac.Stderr)
		defer closeOut()
		defer closeErr()
	}
	// A process writing to a pipe nobody reads dies of SIGPIPE, and so does
	// the shell loop around it; an applet only gets EPIPE, so watch for it
	// (terminals are left unwrapped: applets check them for colour).
	var pw *pipeWatch
	if f, ok := hc.Stdout.(*os.File); ok && f != nil && !applet.IsTerminal(f) {
		pw = &pipeWatch{w: f}
		ac.Stdout = pw
	}
	done := make(chan int, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(hc.Stderr, "%s: %s: internal error: %v\n", s.name, args[0], p)
				done <- 2
			}
		}()
		done <- f(ac)
	}()
	var rc int
	select {
	case rc = <-done:
	case <-ctx.Done():
		return interp.ExitStatus(130)
	}
	if pw != nil && pw.broken.Load() {
		// Leave this (sub)shell with SIGPIPE's status, as the exit builtin
		// would: a loop feeding a closed pipe ends, the parent goes on.
		if err := hc.Builtin(ctx, []string{"exit", strconv.Itoa(128 + int(syscall.SIGPIPE))}); err != nil {
			return err
		}
		return interp.ExitStatus(128 + int(syscall.SIGPIPE))
	}
	if rc == 0 {
		return nil
	}
	return interp.ExitStatus(uint8(rc))
}

// pipeWatch notes EPIPE on writes to the command's stdout.
type pipeWatch struct {
	w      *os.File
	broken atomic.Bool
}

func (p *pipeWatch) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if err != nil && errors.Is(err, syscall.EPIPE) {
		p.broken.Store(true)
	}
	return n, err
}

// ttyReader reads the terminal for an in-process applet until its command
// is interrupted. An applet cannot be stopped, so after Ctrl-C it runs on
// in the background; this keeps it from taking the next lines typed at
// the prompt. (Terminals read in blocking mode, so it polls.)
type ttyReader struct {
	f   *os.File
	ctx context.Context
}

func (t *ttyReader) Read(p []byte) (int, error) {
	fd := int32(t.f.Fd())
	for {
		if t.ctx.Err() != nil {
			return 0, io.EOF
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: fd, Events: unix.POLLIN}}, 100)
		if err != nil && err != unix.EINTR {
			return 0, err
		}
		if n > 0 {
			if t.ctx.Err() != nil {
				return 0, io.EOF
			}
			return t.f.Read(p)
		}
	}
}

// dupTTY returns a copy of w's descriptor when w is a terminal, and the
// function that closes the copy.
func dupTTY(w io.Writer) (io.Writer, func()) {
	f, ok := w.(*os.File)
	if !ok || !applet.IsTerminal(f) {
		return w, func() {}
	}
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return w, func() {}
	}
	nf := os.NewFile(uintptr(fd), f.Name())
	return nf, func() { nf.Close() }
}

func isNilFile(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && f == nil
}

func unset(env []string, name string) []string {
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// errText is the C library's wording of an error ("No such file or
// directory").
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}
