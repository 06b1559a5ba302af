package sh

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/term"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// ctrlReader passes terminal input to the line editor, noting Ctrl-C:
// x/term's editor reports it like Ctrl-D, as io.EOF, but at a prompt it
// must only abandon the line.
type ctrlReader struct {
	f    *os.File
	mu   sync.Mutex
	intr bool
}

func (r *ctrlReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	for _, b := range p[:n] {
		if b == 3 {
			r.mu.Lock()
			r.intr = true
			r.mu.Unlock()
		}
	}
	return n, err
}

// interrupted reports and clears a pending Ctrl-C.
func (r *ctrlReader) interrupted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.intr
	r.intr = false
	return v
}

// interactive runs a terminal session: a prompt from PS1, line editing and
// history, Ctrl-C stopping the running command but not the shell, Ctrl-D
// (or exit) ending it.
func (s *shell) interactive(tty *os.File, params, args []string) int {
	r, err := s.newRunner(tty, params, args)
	if err != nil {
		fmt.Fprintf(s.c.Stderr, "%s: %v\n", s.name, err)
		return 2
	}
	s.setArg0(r, s.c.Args[0])
	s.onTTY = true
	fd := int(tty.Fd())
	// The prompt and the echo go to stderr, as in other shells, when it is
	// the terminal; otherwise to stdout.
	var out io.Writer = s.c.Stderr
	if f, ok := out.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		out = s.c.Stdout
	}
	in := &ctrlReader{f: tty}
	rw := struct {
		io.Reader
		io.Writer
	}{in, out}
	t := term.NewTerminal(rw, "")

	// SIGINT goes to the whole foreground process group: children die of
	// it, the shell only cancels what it runs.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	// There is no job control: Ctrl-Z would stop the shell with its
	// command and leave the terminal hung. Ignored, it stops nothing (the
	// commands inherit the ignored disposition).
	signal.Ignore(syscall.SIGTSTP)

	ctx := context.Background()
	rc := 0
	var pending strings.Builder
	for {
		prompt := s.prompt(r, pending.Len() > 0)
		t.SetPrompt(prompt)
		if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
			t.SetSize(w, h)
		}
		old, err := term.MakeRaw(fd)
		if err != nil {
			fmt.Fprintf(s.c.Stderr, "%s: %v\n", s.name, err)
			return 2
		}
		line, err := t.ReadLine()
		term.Restore(fd, old)
		drain(sigs)
		if in.interrupted() {
			// Abandon the line; x/term keeps its half-typed text, so
			// start a fresh editor that shares the history.
			io.WriteString(out, "^C\r\n")
			nt := term.NewTerminal(rw, "")
			nt.History = t.History
			t = nt
			pending.Reset()
			continue
		}
		if err == io.EOF {
			if pending.Len() > 0 {
				fmt.Fprintf(s.c.Stderr, "%s: syntax error: unexpected end of file\n", s.name)
			}
			io.WriteString(out, "\n")
			break
		}
		if err != nil && err != term.ErrPasteIndicator {
			fmt.Fprintf(s.c.Stderr, "%s: %v\n", s.name, err)
			return 2
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		f, perr := syntax.NewParser().Parse(strings.NewReader(pending.String()), "")
		if perr != nil {
			if syntax.IsIncomplete(perr) {
				continue
			}
			fmt.Fprintf(s.c.Stderr, "%s: %s\n", s.name, parseErrorText(perr))
			pending.Reset()
			rc = 2
			continue
		}
		pending.Reset()
		rc = s.runInteractive(ctx, r, f.Stmts, sigs)
		if r.Exited() {
			return rc
		}
	}
	// The EXIT trap runs as the session ends.
	r.Run(ctx, &syntax.File{})
	return rc
}

// runInteractive runs one line's statements. An interrupt cancels the
// running statement and skips the rest of the line; so does a statement
// ending with status 130, as an exec'd command killed by the same Ctrl-C
// may end before the shell sees the signal.
func (s *shell) runInteractive(ctx context.Context, r *interp.Runner, stmts []*syntax.Stmt, sigs chan os.Signal) int {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var intr atomic.Bool
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case sig := <-sigs:
				if sig == os.Interrupt {
					intr.Store(true)
					cancel()
					return
				}
			case <-stop:
				return
			}
		}
	}()
	rc := 0
	for _, st := range stmts {
		s.noteFuncs(st)
		err := r.Run(cctx, renameArg0(st))
		if intr.Load() || cctx.Err() != nil {
			rc = 130
		} else {
			rc = s.status(err)
		}
		if rc == 130 {
			io.WriteString(s.c.Stderr, "\n")
			// A cancelled run may leave the interpreter "exiting"; a
			// fresh run clears that and leaves $? at 130.
			if f, err := syntax.NewParser().Parse(strings.NewReader("(exit 130)"), ""); err == nil {
				r.Run(ctx, f.Stmts[0])
			}
			return 130
		}
		if r.Exited() {
			return rc
		}
	}
	return rc
}

func drain(c chan os.Signal) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// prompt expands PS1 (or PS2 on continuation lines): parameter expansion
// as POSIX asks, plus the common backslash escapes of busybox ash.
func (s *shell) prompt(r *interp.Runner, cont bool) string {
	name, def := "PS1", "$ "
	if os.Geteuid() == 0 {
		def = "# "
	}
	if cont {
		name, def = "PS2", "> "
	}
	v, ok := r.Vars[name]
	if !ok || !v.IsSet() {
		return def
	}
	ps := v.String()
	ps = backslashEscapes(r, ps)
	if strings.ContainsAny(ps, "$`") {
		if w, err := syntax.NewParser().Document(strings.NewReader(ps)); err == nil {
			cfg := &expand.Config{Env: runnerEnv{r}}
			if x, err := expand.Document(cfg, w); err == nil {
				ps = x
			}
		}
	}
	return ps
}

// runnerEnv exposes the runner's variables for prompt expansion.
type runnerEnv struct{ r *interp.Runner }

func (e runnerEnv) Get(name string) expand.Variable { return e.r.Vars[name] }

func (e runnerEnv) Each(f func(string, expand.Variable) bool) {
	for k, v := range e.r.Vars {
		if !f(k, v) {
			return
		}
	}
}

// backslashEscapes expands \u \h \H \w \W \$ \n \\ in a prompt.
func backslashEscapes(r *interp.Runner, ps string) string {
	if !strings.Contains(ps, `\`) {
		return ps
	}
	get := func(n string) string { return r.Vars[n].String() }
	var b strings.Builder
	for i := 0; i < len(ps); i++ {
		if ps[i] != '\\' || i+1 == len(ps) {
			b.WriteByte(ps[i])
			continue
		}
		i++
		switch ps[i] {
		case 'u':
			u := get("USER")
			if u == "" {
				u = get("LOGNAME")
			}
			b.WriteString(u)
		case 'h', 'H':
			h, _ := os.Hostname()
			if ps[i] == 'h' {
				h, _, _ = strings.Cut(h, ".")
			}
			b.WriteString(h)
		case 'w', 'W':
			d := get("PWD")
			if home := get("HOME"); home != "" && (d == home || strings.HasPrefix(d, home+"/")) {
				d = "~" + d[len(home):]
			}
			if ps[i] == 'W' && d != "/" {
				if j := strings.LastIndexByte(d, '/'); j >= 0 {
					d = d[j+1:]
				}
			}
			b.WriteString(d)
		case '$':
			if os.Geteuid() == 0 {
				b.WriteByte('#')
			} else {
				b.WriteByte('$')
			}
		case 'n':
			b.WriteByte('\n')
		case '\\':
			b.WriteByte('\\')
		case '[', ']':
			// Non-printing markers: nothing to print.
		default:
			b.WriteByte('\\')
			b.WriteByte(ps[i])
		}
	}
	return b.String()
}
