package coreutils

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/moobox/moobox/internal/applet"
)

const printfUsage = `Usage: printf FORMAT [ARG]...

Print ARGs under control of FORMAT, like C's printf(3); FORMAT is reused
while ARGs remain`

// Printf formats its arguments.
func Printf(c *applet.Ctx) int {
	if wantsHelp(c, printfUsage) {
		return 0
	}
	args := c.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, helpHeader+printfUsage+"\n")
		return 1
	}
	p := printer{c: c, w: newOut(c)}
	format, args := args[0], args[1:]
	for {
		used, stop := p.run(format, args)
		if stop || used == 0 || used >= len(args) {
			break
		}
		args = args[used:]
	}
	return p.w.finish(p.rc)
}

type printer struct {
	c  *applet.Ctx
	w  outBuf
	rc int
}

// run prints format once, consuming args; it returns how many it used and
// whether output must stop (\c or a bad format).
func (p *printer) run(format string, args []string) (used int, stop bool) {
	w := p.w.Writer
	next := func() (string, bool) {
		if used < len(args) {
			used++
			return args[used-1], true
		}
		return "", false
	}
	for i := 0; i < len(format); i++ {
		ch := format[i]
		if ch == '\\' && i+1 < len(format) {
			i++
			if format[i] == 'c' {
				return used, true
			}
			b, n := escape(format[i:], false)
			w.WriteByte(b)
			i += n - 1
			continue
		}
		if ch != '%' {
			w.WriteByte(ch)
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			w.WriteByte('%')
			i++
			continue
		}
		// Collect %[flags][width][.prec]conv, expanding * from args.
		start := i
		spec := []byte{'%'}
		i++
		for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
			spec = append(spec, format[i])
			i++
		}
		num := func() {
			if i < len(format) && format[i] == '*' {
				a, _ := next()
				spec = strconv.AppendInt(spec, p.int(a), 10)
				i++
				return
			}
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				spec = append(spec, format[i])
				i++
			}
		}
		num()
		if i < len(format) && format[i] == '.' {
			spec = append(spec, '.')
			i++
			num()
		}
		// Length modifiers mean nothing here.
		mods := i
		for i < len(format) && strings.IndexByte("hlLqjzt", format[i]) >= 0 {
			i++
		}
		if i >= len(format) || strings.IndexByte("diouxXcseEfFgGb", format[i]) < 0 {
			// Like busybox, quote the rest of the format, minus modifiers.
			errorf(p.c, "%s: invalid format", format[start:mods]+format[i:])
			p.rc = 1
			return used, true
		}
		conv := format[i]
		if conv == 'b' && len(spec) > 1 {
			// busybox takes %b bare only.
			errorf(p.c, "%s: invalid format", format[start:mods]+format[i:])
			p.rc = 1
			return used, true
		}
		a, _ := next()
		switch conv {
		case 's':
			padBytes(w, string(spec), a)
		case 'b':
			var sb strings.Builder
			bw := bufio.NewWriter(&sb)
			stop := writeEscapes(bw, a, true)
			bw.Flush()
			padBytes(w, string(spec), sb.String())
			if stop {
				return used, true
			}
		case 'c':
			ch := "\x00" // C prints the empty string's terminating NUL
			if a != "" {
				ch = a[:1]
			}
			padBytes(w, string(spec), ch)
		case 'd', 'i':
			fmt.Fprintf(w, string(spec)+"d", p.int(a))
		case 'o', 'u', 'x', 'X':
			// Negative numbers wrap around, as in C.
			v := uint64(p.int(a))
			verb := conv
			if verb == 'u' {
				verb = 'd'
			}
			fmt.Fprintf(w, string(spec)+string(verb), v)
		default: // floating point
			if (conv == 'g' || conv == 'G') && strings.IndexByte(string(spec), '.') < 0 {
				// C's %g defaults to 6 significant digits; Go's to the
				// shortest exact form.
				spec = append(spec, ".6"...)
			}
			fmt.Fprintf(w, string(spec)+string(conv), p.float(a))
		}
	}
	return used, false
}

// padBytes prints s under a %[-][width][.prec] spec counting bytes, as C
// does (Go's fmt counts runes).
func padBytes(w *bufio.Writer, spec, s string) {
	spec = strings.TrimPrefix(spec, "%")
	left := strings.Contains(spec, "-")
	spec = strings.TrimLeft(spec, "-+ #0")
	width, prec := spec, ""
	if i := strings.IndexByte(spec, '.'); i >= 0 {
		width, prec = spec[:i], spec[i+1:]
		p, _ := strconv.Atoi(prec)
		if p >= 0 && p < len(s) {
			s = s[:p]
		}
	}
	n, _ := strconv.Atoi(width)
	if n < 0 {
		left, n = true, -n
	}
	if !left {
		for i := len(s); i < n; i++ {
			w.WriteByte(' ')
		}
	}
	w.WriteString(s)
	if left {
		for i := len(s); i < n; i++ {
			w.WriteByte(' ')
		}
	}
}

// int converts a numeric argument like strtoll with base 0; 'c and "c give
// the character's code. Bad numbers are reported and count as 0.
func (p *printer) int(a string) int64 {
	if a == "" {
		return 0
	}
	if a[0] == '\'' || a[0] == '"' {
		if len(a) > 1 {
			return int64(a[1])
		}
		return 0
	}
	s := strings.TrimLeft(a, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	u, err := strconv.ParseUint(s, 0, 64)
	if err != nil || s == "" || s[0] == '_' || strings.Contains(s, "_") || strings.HasPrefix(s, "0b") || strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0B") || strings.HasPrefix(s, "0O") {
		errorf(p.c, "invalid number '%s'", a)
		p.rc = 1
		return 0
	}
	if neg {
		return -int64(u)
	}
	return int64(u)
}

func (p *printer) float(a string) float64 {
	if a == "" {
		return 0
	}
	if a[0] == '\'' || a[0] == '"' {
		if len(a) > 1 {
			return float64(a[1])
		}
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimLeft(a, " \t\n\v\f\r"), 64)
	if err != nil {
		errorf(p.c, "invalid number '%s'", a)
		p.rc = 1
		return 0
	}
	return f
}
