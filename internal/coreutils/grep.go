package coreutils

import (
	"bufio"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/moobox/moobox/internal/applet"
)

const grepUsage = `Usage: grep [-HhnlLoqvsiwxFEc] [-m N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...

Print the lines of FILEs (or stdin) that match PATTERN

	-H	Prefix lines with the file name
	-h	No file name prefix
	-n	Prefix lines with their line number
	-l	Print only the names of files with a match
	-L	Print only the names of files without one
	-c	Print only how many lines match
	-o	Print only the matching parts
	-q	Print nothing; exit 0 on a match, else 1
	-v	Select the lines that do not match
	-s	Say nothing about unreadable files
	-i	Ignore case
	-w	Match whole words only
	-x	Match whole lines only
	-r	Search directories recursively
	-R	Likewise, following symlinks to directories
	-F	PATTERN is a fixed string
	-E	PATTERN is an extended regular expression
	-m N	Stop after N matching lines per file
	-A N	Print N lines of context after each match
	-B N	Print N lines of context before each match
	-C N	Both
	-e PTRN	Pattern to match (repeatable)
	-f FILE	Read patterns from FILE, one a line`

// Grep searches files for lines matching patterns. Basic regular
// expressions are translated to Go's syntax; back-references are not
// supported (Go's engine has none).
func Grep(c *applet.Ctx) int {
	if wantsHelp(c, grepUsage) {
		return 0
	}
	name := c.Name()
	cc := *c
	if name == "egrep" || name == "fgrep" {
		cc.Args = append([]string{c.Args[0], "-" + strings.ToUpper(name[:1])}, c.Args[1:]...)
	}
	o, args, ok := parseOpts(&cc, "HhnlLcoqvsiwxFErRm:e:f:A:B:C:", grepUsage)
	if !ok {
		return 2
	}
	patterns := o.vals['e']
	for _, f := range o.vals['f'] {
		r, closer, err := openIn(c, f)
		if err != nil {
			errorf(c, "%s: %s", f, errText(err))
			return 2
		}
		data, err := io.ReadAll(r)
		closer()
		if err != nil {
			errorf(c, "%s: %s", f, errText(err))
			return 2
		}
		patterns = append(patterns, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	if !o.has('e') && !o.has('f') {
		if len(args) == 0 {
			io.WriteString(c.Stderr, helpHeader+grepUsage+"\n")
			return 2
		}
		patterns = strings.Split(args[0], "\n")
		args = args[1:]
	}
	re, err := grepRegexp(patterns, o)
	if err != nil {
		errorf(c, "bad regex '%s': %v", strings.Join(patterns, "\n"), err)
		return 2
	}
	maxCount := -1
	if o.has('m') {
		v, err := strconv.Atoi(o.val('m', ""))
		if err != nil || v < 0 {
			errorf(c, "invalid number '%s'", o.val('m', ""))
			return 2
		}
		maxCount = v
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	recursive := o.has('r') || o.has('R')
	if recursive {
		args = expandTree(c, args, o.has('R'))
	}
	prefixName := len(args) > 1
	if o.has('H') {
		prefixName = true
	}
	if o.has('h') {
		prefixName = false
	}
	g := grepper{o: o, re: re, w: newOut(c), prefixName: prefixName, max: maxCount}
	for _, k := range []byte("ABC") {
		if !o.has(k) {
			continue
		}
		v, err := strconv.Atoi(o.val(k, ""))
		if err != nil || v < 0 {
			errorf(c, "invalid number '%s'", o.val(k, ""))
			return 2
		}
		if k != 'B' {
			g.after = v
		}
		if k != 'A' {
			g.before = v
		}
	}
	found, rc := false, 0
	for _, f := range args {
		if recursive && strings.HasPrefix(f, "\x00") {
			// An operand that was a directory: names get prefixed.
			f = f[1:]
			if !o.has('h') {
				g.prefixName = true
			}
		}
		r, closer, err := openIn(c, f)
		if err != nil {
			if !o.has('s') {
				errorf(c, "%s: %s", f, errText(err))
			}
			rc = 2
			continue
		}
		shown := f
		if f == "-" {
			shown = "(standard input)"
		}
		m, err := g.file(r, shown)
		closer()
		if err != nil {
			if g.w.failed() {
				return g.w.finish(2)
			}
			if !o.has('s') {
				errorf(c, "%s: %s", f, errText(err))
			}
			rc = 2
		}
		if m {
			found = true
			if o.has('q') {
				return g.w.finish(0)
			}
		}
	}
	if rc == 0 && !found {
		rc = 1
	}
	if o.has('q') && found {
		rc = 0
	}
	return g.w.finish(rc)
}

// expandTree replaces directory operands by the files under them, in
// directory order as busybox reads them; those files are marked with a
// leading NUL so names get prefixed. -R follows symlinks to directories.
func expandTree(c *applet.Ctx, args []string, follow bool) []string {
	var out []string
	var walk func(dir string)
	walk = func(dir string) {
		f, err := os.Open(c.Path(dir))
		if err != nil {
			out = append(out, "\x00"+dir)
			return
		}
		ents, _ := f.ReadDir(-1)
		f.Close()
		for _, e := range ents {
			// Joined as written, not cleaned: busybox prints "./d/x".
			p := dir + "/" + e.Name()
			if strings.HasSuffix(dir, "/") {
				p = dir + e.Name()
			}
			isDir := e.IsDir()
			if !isDir && follow && e.Type()&os.ModeSymlink != 0 {
				if fi, err := os.Stat(c.Path(p)); err == nil && fi.IsDir() {
					isDir = true
				}
			}
			if isDir {
				walk(p)
			} else {
				out = append(out, "\x00"+p)
			}
		}
	}
	for _, a := range args {
		if a == "-" {
			out = append(out, a)
			continue
		}
		if fi, err := os.Stat(c.Path(a)); err == nil && fi.IsDir() {
			walk(a)
			continue
		}
		out = append(out, a)
	}
	return out
}

type grepper struct {
	o             *opts
	re            *regexp.Regexp
	w             outBuf
	prefixName    bool
	max           int
	after, before int  // context lines
	grouped       bool // a context group was printed (for "--")
}

// file greps one input and reports whether any line was selected.
func (g *grepper) file(r io.Reader, name string) (bool, error) {
	o := g.o
	br := bufio.NewReaderSize(r, 64<<10)
	invert := o.has('v')
	count := 0
	lineNo := 0
	quiet := o.has('q') || o.has('l') || o.has('L') || o.has('c')
	// Context (-A, -B, -C): lines before a match wait in a ring, lines
	// after it are counted down; "--" separates groups that do not touch.
	context := !quiet && !o.has('o') && (g.after > 0 || g.before > 0)
	type held struct {
		no   int
		text []byte
	}
	var ring []held
	after, lastOut := 0, 0
	var err error
	for {
		if g.max >= 0 && count >= g.max && after == 0 {
			break
		}
		var line []byte
		line, err = br.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			break
		}
		lineNo++
		text := line
		if n := len(text); n > 0 && text[n-1] == '\n' {
			text = text[:n-1]
		}
		done := g.max >= 0 && count >= g.max
		var wtext []byte
		hit := false
		if !done {
			wtext = widen(text)
			hit = g.match(wtext) != invert
		}
		if !hit {
			if context {
				if after > 0 {
					g.contextLine(name, lineNo, text, '-')
					lastOut = lineNo
					after--
				} else if g.before > 0 {
					if len(ring) == g.before {
						ring = ring[1:]
					}
					ring = append(ring, held{lineNo, text})
				}
			}
			if err != nil {
				break
			}
			continue
		}
		count++
		if o.has('q') {
			return true, nil
		}
		if context {
			first := lineNo - len(ring)
			if lastOut > 0 && first > lastOut+1 || lastOut == 0 && g.grouped {
				g.w.WriteString("--\n")
			}
			g.grouped = true
			for _, h := range ring {
				g.contextLine(name, h.no, h.text, '-')
			}
			ring = ring[:0]
			g.contextLine(name, lineNo, text, ':')
			lastOut = lineNo
			after = g.after
		} else if !quiet {
			if o.has('o') && !invert {
				for _, loc := range g.matches(wtext) {
					if loc[0] == loc[1] {
						continue
					}
					g.prefix(name, lineNo)
					g.w.Write(narrow(wtext[loc[0]:loc[1]]))
					g.w.WriteByte('\n')
				}
			} else if !o.has('o') {
				g.prefix(name, lineNo)
				g.w.Write(text)
				g.w.WriteByte('\n')
			}
		}
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	switch {
	case o.has('c'):
		if g.prefixName {
			g.w.WriteString(name + ":")
		}
		g.w.WriteString(strconv.Itoa(count) + "\n")
	case o.has('l') && count > 0:
		g.w.WriteString(name + "\n")
	case o.has('L') && count == 0:
		g.w.WriteString(name + "\n")
	}
	return count > 0, err
}

// contextLine prints a line with its prefixes joined by sep: ':' for
// matches, '-' for context.
func (g *grepper) contextLine(name string, no int, text []byte, sep byte) {
	if g.prefixName {
		g.w.WriteString(name)
		g.w.WriteByte(sep)
	}
	if g.o.has('n') {
		g.w.WriteString(strconv.Itoa(no))
		g.w.WriteByte(sep)
	}
	g.w.Write(text)
	g.w.WriteByte('\n')
}

// match reports whether the (widened) line has a match, a whole-word one
// with -w.
func (g *grepper) match(text []byte) bool {
	if !g.o.has('w') {
		return g.re.Match(text)
	}
	return len(g.matches(text)) > 0
}

// matches lists the matches in text; with -w only those that neither
// follow nor precede a word character (ASCII letter, digit or _).
func (g *grepper) matches(text []byte) [][]int {
	all := g.re.FindAllIndex(text, -1)
	if !g.o.has('w') {
		return all
	}
	out := all[:0]
	for _, m := range all {
		if (m[0] == 0 || !isWordByte(text[m[0]-1])) && (m[1] == len(text) || !isWordByte(text[m[1]])) {
			out = append(out, m)
		}
	}
	return out
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// widen maps each byte >= 0x80 to the rune of the same number, so that Go's
// UTF-8 regexp engine matches byte by byte, as busybox's C-locale regex
// does ("." is one byte). narrow undoes it.
func widen(b []byte) []byte {
	n := 0
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	if n == 0 {
		return b
	}
	out := make([]byte, 0, len(b)+n)
	for _, c := range b {
		if c < 0x80 {
			out = append(out, c)
		} else {
			out = append(out, 0xc0|c>>6, 0x80|c&0x3f)
		}
	}
	return out
}

func narrow(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 0xc2 && c <= 0xc3 && i+1 < len(b) {
			out = append(out, c<<6|b[i+1]&0x3f)
			i++
			continue
		}
		out = append(out, c)
	}
	return out
}

func (g *grepper) prefix(name string, lineNo int) {
	if g.prefixName {
		g.w.WriteString(name)
		g.w.WriteByte(':')
	}
	if g.o.has('n') {
		g.w.WriteString(strconv.Itoa(lineNo))
		g.w.WriteByte(':')
	}
}

// grepRegexp compiles the patterns into one leftmost-longest regexp, as
// POSIX matching finds the longest match (it matters for -o).
func grepRegexp(patterns []string, o *opts) (*regexp.Regexp, error) {
	var alts []string
	for _, p := range patterns {
		p = string(widen([]byte(p)))
		switch {
		case o.has('F'):
			p = regexp.QuoteMeta(p)
		case o.has('E'):
			p = translateRE(p, true)
		default:
			p = translateRE(p, false)
		}
		if o.has('x') {
			p = "^(?:" + p + ")$"
		}
		alts = append(alts, "(?:"+p+")")
	}
	expr := strings.Join(alts, "|")
	if o.has('i') {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	re.Longest()
	return re, nil
}

// translateRE rewrites a POSIX basic (ext=false) or extended regular
// expression into Go's syntax: in a BRE the bare ( ) { } | + ? are
// literals and their backslashed forms are operators (GNU's extension); in
// both, a backslash inside brackets is literal and \< \> are word edges.
func translateRE(p string, ext bool) string {
	var b strings.Builder
	atStart := true // where a * is literal in a BRE
	for i := 0; i < len(p); i++ {
		ch := p[i]
		switch {
		case ch == '[':
			j := bracketEnd(p, i)
			if j < 0 {
				b.WriteString(`\[`)
				break
			}
			b.WriteByte('[')
			k := i + 1
			if k < j && p[k] == '^' {
				b.WriteByte('^')
				k++
			}
			for ; k < j; k++ {
				if p[k] == '[' && k+1 < j && (p[k+1] == ':' || p[k+1] == '=' || p[k+1] == '.') {
					end := strings.Index(p[k+2:j], string(p[k+1])+"]")
					if end >= 0 {
						b.WriteString(p[k : k+2+end+2])
						k += 2 + end + 1
						continue
					}
				}
				if strings.IndexByte(`\[]`, p[k]) >= 0 && !(p[k] == '[' && false) {
					b.WriteByte('\\')
				}
				b.WriteByte(p[k])
			}
			b.WriteByte(']')
			i = j
			atStart = false
			continue
		case ch == '\\' && i+1 < len(p):
			i++
			n := p[i]
			switch {
			case n == '<' || n == '>':
				b.WriteString(`\b`)
			case !ext && strings.IndexByte("(){}|+?", n) >= 0:
				b.WriteByte(n)
				atStart = n == '(' || n == '|'
				continue
			case strings.IndexByte("wWsSbB", n) >= 0:
				b.WriteByte('\\')
				b.WriteByte(n)
			default:
				b.WriteString(regexp.QuoteMeta(string(n)))
			}
		case !ext && strings.IndexByte("(){}|+?", ch) >= 0:
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch == '*' && atStart:
			b.WriteString(`\*`)
		case ch == '^':
			b.WriteByte(ch)
			atStart = true
			continue
		case ext && (ch == '(' || ch == '|'):
			b.WriteByte(ch)
			atStart = true
			continue
		default:
			b.WriteByte(ch)
		}
		atStart = false
	}
	return b.String()
}

// bracketEnd returns the index of the ] closing the bracket expression
// opened at p[i], or -1.
func bracketEnd(p string, i int) int {
	k := i + 1
	if k < len(p) && p[k] == '^' {
		k++
	}
	if k < len(p) && p[k] == ']' {
		k++
	}
	for ; k < len(p); k++ {
		if p[k] == '[' && k+1 < len(p) && (p[k+1] == ':' || p[k+1] == '=' || p[k+1] == '.') {
			end := strings.Index(p[k+2:], string(p[k+1])+"]")
			if end >= 0 {
				k += 2 + end + 1
				continue
			}
		}
		if p[k] == ']' {
			return k
		}
	}
	return -1
}
