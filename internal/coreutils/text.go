package coreutils

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/moobox/moobox/internal/applet"
)

const catUsage = `Usage: cat [-nbvteA] [FILE]...

Write FILEs (or stdin, also for "-") to stdout, one after the other

	-n	Number every output line
	-b	Number the lines that are not empty
	-v	Make nonprinting bytes visible as ^x or M-x
	-t	Like -v, and make tabs visible as ^I
	-e	Like -v, and mark line ends with $
	-A	Same as -vte`

// Cat concatenates files to stdout.
func Cat(c *applet.Ctx) int {
	if wantsHelp(c, catUsage) {
		return 0
	}
	o, files, ok := parseOpts(c, "nbvteA", catUsage)
	if !ok {
		return 1
	}
	if o.has('A') {
		o.n['v'], o.n['t'], o.n['e'] = 1, 1, 1
	}
	if o.has('t') || o.has('e') {
		o.n['v'] = 1
	}
	if o.has('b') {
		o.n['n'] = 1
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	w := newOut(c)
	rc := 0
	st := catState{o: o, atStart: true}
	for _, name := range files {
		r, closer, err := openIn(c, name)
		if err != nil {
			errorf(c, "can't open '%s': %s", name, errText(err))
			rc = 1
			continue
		}
		if !o.has('n') && !o.has('v') {
			_, err = io.Copy(w, r)
		} else {
			err = st.copy(w, r)
		}
		closer()
		if err != nil {
			if w.failed() {
				return w.finish(1)
			}
			errorf(c, "read error: %s", errText(err))
			rc = 1
		}
	}
	return w.finish(rc)
}

// catState carries line numbering across files, as cat -n does.
type catState struct {
	o       *opts
	line    int
	atStart bool
}

func (s *catState) copy(w outBuf, r io.Reader) error {
	br := bufio.NewReader(r)
	num := s.o.has('n')
	blank := s.o.has('b')
	vis := s.o.has('v')
	tabs := s.o.has('t')
	ends := s.o.has('e')
	for {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF {
				if num && !vis && !s.atStart {
					// Numbered lines always end in a newline.
					w.WriteByte('\n')
					s.atStart = true
				}
				return nil
			}
			return err
		}
		if b == 0 && num && !vis {
			// busybox numbers C strings: a NUL ends the line.
			b = '\n'
		}
		if s.atStart && num && !(blank && b == '\n') {
			s.line++
			w.WriteString(pad(strconv.Itoa(s.line), 6))
			w.WriteByte('\t')
		}
		s.atStart = b == '\n'
		if b == '\n' {
			if ends {
				w.WriteByte('$')
			}
			w.WriteByte('\n')
			continue
		}
		if !vis {
			w.WriteByte(b)
			continue
		}
		if b == '\t' && !tabs {
			w.WriteByte(b)
			continue
		}
		if b >= 128 {
			w.WriteString("M-")
			b -= 128
		}
		switch {
		case b < 32:
			w.WriteByte('^')
			w.WriteByte(b + 64)
		case b == 127:
			w.WriteString("^?")
		default:
			w.WriteByte(b)
		}
	}
}

// pad right-aligns s in a field of width n.
func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(" ", n-len(s)) + s
}

// Echo prints its arguments. Like busybox it takes -n, -e and -E only as
// leading words made of those letters, and --help is just a word.
func Echo(c *applet.Ctx) int {
	args := c.Args[1:]
	nl, esc := true, false
	for len(args) > 0 {
		a := args[0]
		if len(a) < 2 || a[0] != '-' || strings.Trim(a[1:], "neE") != "" {
			break
		}
		for _, f := range a[1:] {
			switch f {
			case 'n':
				nl = false
			case 'e':
				esc = true
			}
			// busybox accepts -E but never turns -e back off.
		}
		args = args[1:]
	}
	w := newOut(c)
	for i, a := range args {
		if i > 0 {
			w.WriteByte(' ')
		}
		if esc {
			if stop := writeEscapes(w.Writer, a, true); stop {
				return w.finish(0)
			}
		} else {
			w.WriteString(a)
		}
	}
	if nl {
		w.WriteByte('\n')
	}
	return w.finish(0)
}

// writeEscapes writes s with backslash escapes interpreted, as echo -e and
// printf %b do (octal is \0NNN there). It reports whether \c asked to stop
// all output.
func writeEscapes(w *bufio.Writer, s string, zeroOctal bool) (stop bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			w.WriteByte(s[i])
			continue
		}
		i++
		if s[i] == 'c' {
			return true
		}
		b, n := escape(s[i:], zeroOctal)
		w.WriteByte(b)
		i += n - 1
	}
	return false
}

// escape decodes the escape sequence after a backslash at the start of s,
// returning the byte and how many bytes of s it used. With zeroOctal an
// octal escape is \0 followed by up to three digits (echo, %b); otherwise
// up to three digits (printf formats).
func escape(s string, zeroOctal bool) (byte, int) {
	switch s[0] {
	case 'a':
		return '\a', 1
	case 'b':
		return '\b', 1
	case 'e':
		return 27, 1
	case 'f':
		return '\f', 1
	case 'n':
		return '\n', 1
	case 'r':
		return '\r', 1
	case 't':
		return '\t', 1
	case 'v':
		return '\v', 1
	case '\\':
		return '\\', 1
	case 'x':
		v, n := 0, 1
		for n < 3 && n < len(s) && isHex(s[n]) {
			v = v*16 + hexVal(s[n])
			n++
		}
		if n == 1 {
			return '\\', 0
		}
		return byte(v), n
	}
	if s[0] >= '0' && s[0] <= '7' {
		start, max := 0, 3
		if zeroOctal && s[0] == '0' {
			start, max = 1, 4
		}
		v, n := 0, start
		for n < max && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			v = v*8 + int(s[n]-'0')
			n++
		}
		return byte(v), n
	}
	// Unknown escapes stay as written: the backslash, then the byte.
	return '\\', 0
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

func hexVal(b byte) int {
	switch {
	case b <= '9':
		return int(b - '0')
	case b >= 'a':
		return int(b-'a') + 10
	}
	return int(b-'A') + 10
}
