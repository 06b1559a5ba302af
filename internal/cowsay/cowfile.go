package cowsay

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A cow file is a Perl script run by `do FILE` that sets $the_cow. Rather
// than embed Perl, this is an interpreter for the subset cow files use:
// comments; statements `$var = EXPR`, `$var .= EXPR`, `$var x= EXPR`
// (optionally with `my`); expressions made of scalars, "..." '...' and
// here-documents (<<"TAG", <<'TAG', <<TAG), numbers, parentheses, the
// operators . and x, and chop/chomp. Double-quoted text interpolates
// $name, ${name}, $. and @arrays (cowsay's own, else empty) and knows
// Perl's escapes. cowsay's globals ($version, $progname, $cowpath, $borg,
// @message, @balloon_lines...) hold what Perl cowsay gives them. Anything
// else is an error naming the file and line, never a guess.

// cowEnv is what a cow file sees.
type cowEnv struct {
	eyes, tongue, thoughts string
	dot                    string // $.: stdin lines read, "" when stdin was not read
	// Perl cowsay's other globals, which a cow file can read: $version,
	// $progname, $cowpath, $borg and the like, by name.
	globals map[string]string
	// arrays gives @message, @ARGV and @balloon_lines, as Perl joins them
	// in a string; nil or "" for any other array.
	arrays func(name string) string
}

// CowError is a cow file that cannot be run.
type CowError struct {
	File string
	Line int
	Msg  string
}

func (e *CowError) Error() string {
	return fmt.Sprintf("%s at %s line %d.", e.Msg, e.File, e.Line)
}

type cowParser struct {
	src  string
	file string
	pos  int
	vars map[string]string
	env  *cowEnv
	// built counts the bytes x, ., .=, x= and interpolation have built in
	// this run, within maxCowBuilt.
	built int
	// A here-document body starts on the line after its <<TAG: when the
	// parser reaches the newline at skipAt it continues at skipTo.
	skipAt, skipTo int
}

// runCow runs a cow file and returns $the_cow.
func runCow(file, src string, env *cowEnv) (string, error) {
	// Perl reads source lines ending in CR LF as ending in LF, inside
	// strings and here-documents too.
	if strings.Contains(src, "\r\n") {
		src = strings.ReplaceAll(src, "\r\n", "\n")
	}
	p := &cowParser{
		src:    src,
		file:   file,
		env:    env,
		skipAt: -1,
		vars: map[string]string{
			"eyes":     env.eyes,
			"tongue":   env.tongue,
			"thoughts": env.thoughts,
		},
	}
	for k, v := range env.globals {
		p.vars[k] = v
	}
	if err := p.program(); err != nil {
		return "", err
	}
	return p.vars["the_cow"], nil
}

func (p *cowParser) lineAt(pos int) int {
	if pos > len(p.src) {
		pos = len(p.src)
	}
	return 1 + strings.Count(p.src[:pos], "\n")
}

func (p *cowParser) errAt(pos int, format string, a ...any) error {
	return &CowError{File: p.file, Line: p.lineAt(pos), Msg: fmt.Sprintf(format, a...)}
}

// unsupported reports a construct outside the subset.
func (p *cowParser) unsupported(pos int) error {
	near := p.src[pos:]
	if i := strings.IndexByte(near, '\n'); i >= 0 {
		near = near[:i]
	}
	if len(near) > 30 {
		near = near[:30]
	}
	if !utf8.ValidString(near) {
		near = strconv.Quote(near)
		near = near[1 : len(near)-1]
	}
	return p.errAt(pos, "unsupported Perl in cow file near %q (moobox runs only the subset of Perl cow files use)", near)
}

// skip passes whitespace, comments and pending here-document bodies.
func (p *cowParser) skip() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\n':
			if p.pos == p.skipAt {
				p.pos = p.skipTo
				p.skipAt = -1
			} else {
				p.pos++
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *cowParser) peek(s string) bool { return strings.HasPrefix(p.src[p.pos:], s) }

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *cowParser) word() string {
	i := p.pos
	for i < len(p.src) && isWordByte(p.src[i]) {
		i++
	}
	return p.src[p.pos:i]
}

func (p *cowParser) program() error {
	for {
		p.skip()
		if p.pos >= len(p.src) {
			return nil
		}
		if p.src[p.pos] == ';' {
			p.pos++
			continue
		}
		if _, err := p.expr(); err != nil {
			return err
		}
		p.skip()
		if p.pos < len(p.src) && p.src[p.pos] != ';' {
			return p.syntaxError()
		}
	}
}

func (p *cowParser) syntaxError() error {
	if p.pos >= len(p.src) {
		return p.errAt(p.pos, "syntax error at end of cow file")
	}
	return p.unsupported(p.pos)
}

// expr parses an assignment or a concatenation.
func (p *cowParser) expr() (string, error) {
	p.skip()
	start := p.pos
	if w := p.word(); w == "my" {
		p.pos += 2
		p.skip()
		if !p.peek("$") {
			return "", p.unsupported(start)
		}
	}
	if p.peek("$") {
		save := p.pos
		name, ok := p.scalarName()
		if ok {
			p.skip()
			for _, op := range []string{".=", "x=", "="} {
				if p.peek(op) && !p.peek("==") && !p.peek("=~") {
					opPos := p.pos
					p.pos += len(op)
					v, err := p.expr()
					if err != nil {
						return "", err
					}
					switch op {
					case "=":
					case ".=":
						if v, err = p.join(opPos, p.vars[name], v); err != nil {
							return "", err
						}
					case "x=":
						if v, err = p.repeat(opPos, p.vars[name], v); err != nil {
							return "", err
						}
					}
					p.vars[name] = v
					return v, nil
				}
			}
		}
		p.pos = save
	}
	return p.concat()
}

// scalarName parses $name or ${name}.
func (p *cowParser) scalarName() (string, bool) {
	if !p.peek("$") {
		return "", false
	}
	p.pos++
	if p.peek("{") {
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 {
			return "", false
		}
		name := strings.TrimSpace(p.src[p.pos+1 : p.pos+end])
		if !isIdent(name) {
			return "", false
		}
		p.pos += end + 1
		return name, true
	}
	w := p.word()
	if !isIdent(w) {
		return "", false
	}
	p.pos += len(w)
	if p.peek("[") || p.peek("{") || p.peek("::") || p.peek("->") {
		return "", false
	}
	return w, true
}

func isIdent(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

func (p *cowParser) concat() (string, error) {
	v, err := p.repetition()
	if err != nil {
		return "", err
	}
	for {
		p.skip()
		if !p.peek(".") || p.peek(".=") || p.peek("..") {
			return v, nil
		}
		opPos := p.pos
		p.pos++
		w, err := p.repetition()
		if err != nil {
			return "", err
		}
		if v, err = p.join(opPos, v, w); err != nil {
			return "", err
		}
	}
}

func (p *cowParser) repetition() (string, error) {
	v, err := p.term()
	if err != nil {
		return "", err
	}
	for {
		p.skip()
		// x is the operator unless it starts a longer word (x2 is x 2).
		if !p.peek("x") || p.peek("x=") {
			return v, nil
		}
		if i := p.pos + 1; i < len(p.src) && isWordByte(p.src[i]) && !(p.src[i] >= '0' && p.src[i] <= '9') {
			return v, nil
		}
		opPos := p.pos
		p.pos++
		n, err := p.term()
		if err != nil {
			return "", err
		}
		if v, err = p.repeat(opPos, v, n); err != nil {
			return "", err
		}
	}
}

// maxCowValue bounds every string a cow file builds, and maxCowBuilt all
// of them together: a cow is text for a terminal, and a few x operators
// (or many lines of them) could otherwise ask for gigabytes.
const (
	maxCowValue = 16 << 20
	maxCowBuilt = 64 << 20
)

// build accounts for n more bytes built by op.
func (p *cowParser) build(pos, n int, op string) error {
	if n > maxCowValue {
		return p.errAt(pos, "%s: result too large (more than 16 MiB)", op)
	}
	if p.built += n; p.built > maxCowBuilt {
		return p.errAt(pos, "%s: the cow file builds too much (more than 64 MiB in all)", op)
	}
	return nil
}

// repeat is Perl's x with a string count.
func (p *cowParser) repeat(pos int, s, count string) (string, error) {
	n, _ := perlNum(count)
	if !(n >= 1) || s == "" {
		return "", nil
	}
	if n*float64(len(s)) > maxCowValue {
		return "", p.errAt(pos, "x operator: result too large (more than 16 MiB)")
	}
	if err := p.build(pos, int(n)*len(s), "x operator"); err != nil {
		return "", err
	}
	return strings.Repeat(s, int(n)), nil
}

// join is Perl's . operator.
func (p *cowParser) join(pos int, a, b string) (string, error) {
	if err := p.build(pos, len(a)+len(b), ". operator"); err != nil {
		return "", err
	}
	return a + b, nil
}

func (p *cowParser) term() (string, error) {
	p.skip()
	if p.pos >= len(p.src) {
		return "", p.syntaxError()
	}
	start := p.pos
	c := p.src[p.pos]
	switch {
	case c == '(':
		p.pos++
		v, err := p.expr()
		if err != nil {
			return "", err
		}
		p.skip()
		if !p.peek(")") {
			return "", p.syntaxError()
		}
		p.pos++
		return v, nil
	case c == '$':
		name, ok := p.scalarName()
		if !ok {
			return "", p.unsupported(start)
		}
		return p.vars[name], nil
	case c == '"':
		body, err := p.quoted('"')
		if err != nil {
			return "", err
		}
		return p.interpolate(body, start+1)
	case c == '\'':
		body, err := p.quoted('\'')
		if err != nil {
			return "", err
		}
		return singleQuoted(body), nil
	case c == '<' && p.peek("<<"):
		return p.heredoc()
	case c >= '0' && c <= '9':
		i := p.pos
		for i < len(p.src) && (p.src[i] >= '0' && p.src[i] <= '9' || p.src[i] == '_') {
			i++
		}
		n := strings.ReplaceAll(p.src[p.pos:i], "_", "")
		p.pos = i
		if len(n) > 1 && n[0] == '0' {
			return "", p.unsupported(start) // octal literal
		}
		return n, nil
	}
	switch w := p.word(); w {
	case "chop", "chomp":
		p.pos += len(w)
		p.skip()
		paren := p.peek("(")
		if paren {
			p.pos++
			p.skip()
		}
		name, ok := p.scalarName()
		if !ok {
			return "", p.unsupported(start)
		}
		if paren {
			p.skip()
			if !p.peek(")") {
				return "", p.unsupported(start)
			}
			p.pos++
		}
		v := p.vars[name]
		if w == "chomp" {
			if strings.HasSuffix(v, "\n") {
				p.vars[name] = v[:len(v)-1]
				return "1", nil
			}
			return "0", nil
		}
		if v == "" {
			return "", nil
		}
		_, n := utf8.DecodeLastRuneInString(v)
		p.vars[name] = v[:len(v)-n]
		return v[len(v)-n:], nil
	}
	return "", p.unsupported(start)
}

// quoted returns the raw text of a quoted string starting at p.pos.
func (p *cowParser) quoted(q byte) (string, error) {
	start := p.pos
	i := p.pos + 1
	for i < len(p.src) {
		switch p.src[i] {
		case '\\':
			i += 2
			continue
		case q:
			p.pos = i + 1
			return p.src[start+1 : i], nil
		}
		i++
	}
	return "", p.errAt(start, "Can't find string terminator '%c' anywhere before EOF", q)
}

// singleQuoted undoes the two escapes of '...': \\ and \'.
func singleQuoted(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '\'') {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (p *cowParser) heredoc() (string, error) {
	start := p.pos
	p.pos += 2
	interp := true
	var tag string
	switch {
	case p.peek("~"):
		return "", p.unsupported(start)
	case isWordByte(p.byteAt(p.pos)):
		tag = p.word()
		p.pos += len(tag)
	default:
		p.skipBlanks()
		q := p.byteAt(p.pos)
		if q != '"' && q != '\'' {
			return "", p.unsupported(start)
		}
		end := strings.IndexByte(p.src[p.pos+1:], q)
		if end < 0 || strings.Contains(p.src[p.pos+1:p.pos+1+end], "\n") {
			return "", p.unsupported(start)
		}
		tag = p.src[p.pos+1 : p.pos+1+end]
		interp = q == '"'
		p.pos += end + 2
	}
	// The body starts after this line, or after the bodies of earlier
	// here-documents on the same line.
	bodyStart := p.skipTo
	if p.skipAt < 0 {
		nl := strings.IndexByte(p.src[p.pos:], '\n')
		if nl < 0 {
			return "", p.errAt(start, "Can't find string terminator %q anywhere before EOF", tag)
		}
		p.skipAt = p.pos + nl
		bodyStart = p.skipAt + 1
	}
	i := bodyStart
	for {
		if i >= len(p.src) {
			return "", p.errAt(start, "Can't find string terminator %q anywhere before EOF", tag)
		}
		nl := strings.IndexByte(p.src[i:], '\n')
		line := p.src[i:]
		next := len(p.src)
		if nl >= 0 {
			line = p.src[i : i+nl]
			next = i + nl + 1
		}
		if line == tag {
			p.skipTo = next
			break
		}
		if nl < 0 {
			return "", p.errAt(start, "Can't find string terminator %q anywhere before EOF", tag)
		}
		i = next
	}
	body := p.src[bodyStart:i]
	if !interp {
		return body, nil
	}
	return p.interpolate(body, bodyStart)
}

func (p *cowParser) byteAt(i int) byte {
	if i < len(p.src) {
		return p.src[i]
	}
	return 0
}

func (p *cowParser) skipBlanks() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

// interpolate expands a double-quoted string whose text starts at offset
// base of the file (for error lines).
func (p *cowParser) interpolate(s string, base int) (string, error) {
	if strings.IndexAny(s, `\$@`) < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			n, err := p.escape(&b, s, i, base)
			if err != nil {
				return "", err
			}
			i += n
		case '$':
			j := i + 1
			for j < len(s) && isSpaceByte(s[j]) {
				j++
			}
			switch {
			case j >= len(s):
				return "", p.errAt(base+i, "Final $ should be \\$ or $name")
			case s[j] == '.':
				b.WriteString(p.env.dot)
				i = j + 1
			case s[j] == '{':
				end := strings.IndexByte(s[j:], '}')
				if end < 0 {
					return "", p.unsupported(base + i)
				}
				name := strings.TrimSpace(s[j+1 : j+end])
				if !isIdent(name) {
					return "", p.unsupported(base + i)
				}
				if err := p.put(&b, p.vars[name], base+i); err != nil {
					return "", err
				}
				i = j + end + 1
			case isWordByte(s[j]) && !(s[j] >= '0' && s[j] <= '9'):
				k := j
				for k < len(s) && isWordByte(s[k]) {
					k++
				}
				if k < len(s) && (s[k] == '[' || s[k] == '{') || strings.HasPrefix(s[k:], "::") ||
					strings.HasPrefix(s[k:], "->[") || strings.HasPrefix(s[k:], "->{") {
					return "", p.unsupported(base + i)
				}
				if err := p.put(&b, p.vars[s[j:k]], base+i); err != nil {
					return "", err
				}
				i = k
			default:
				return "", p.unsupported(base + i)
			}
		case '@':
			j := i + 1
			switch {
			case j < len(s) && (s[j] == '-' || s[j] == '+'):
				i = j + 1 // @- and @+ are empty here
			case j < len(s) && s[j] >= '0' && s[j] <= '9':
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				i = j
			case j < len(s) && isWordByte(s[j]):
				for j < len(s) && isWordByte(s[j]) {
					j++
				}
				if j < len(s) && (s[j] == '[' || s[j] == '{') || strings.HasPrefix(s[j:], "::") {
					return "", p.unsupported(base + i)
				}
				// A cow file sets no arrays: only cowsay's own hold anything.
				if p.env.arrays != nil {
					if err := p.put(&b, p.env.arrays(s[i+1:j]), base+i); err != nil {
						return "", err
					}
				}
				i = j
			case j < len(s) && (s[j] == '{' || s[j] == '$' || s[j] == ':'):
				return "", p.unsupported(base + i)
			default:
				b.WriteByte('@')
				i++
			}
		default:
			j := i + 1
			for j < len(s) && s[j] != '\\' && s[j] != '$' && s[j] != '@' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		}
	}
	return b.String(), nil
}

// put writes an interpolated value, within maxCowValue.
func (p *cowParser) put(b *strings.Builder, v string, pos int) error {
	if b.Len()+len(v) > maxCowValue {
		return p.errAt(pos, "interpolation: string too large (more than 16 MiB)")
	}
	if err := p.build(pos, len(v), "interpolation"); err != nil {
		return err
	}
	b.WriteString(v)
	return nil
}

// escape writes the meaning of the backslash escape at s[i] and returns
// its length.
func (p *cowParser) escape(b *strings.Builder, s string, i, base int) (int, error) {
	if i+1 >= len(s) {
		b.WriteByte('\\')
		return 1, nil
	}
	c := s[i+1]
	switch c {
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 'f':
		b.WriteByte('\f')
	case 'b':
		b.WriteByte('\b')
	case 'a':
		b.WriteByte('\a')
	case 'e':
		b.WriteByte(0x1b)
	case '0', '1', '2', '3', '4', '5', '6', '7':
		j := i + 1
		v := 0
		for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
			v = v*8 + int(s[j]-'0')
			j++
		}
		b.WriteRune(rune(v))
		return j - i, nil
	case 'x':
		j := i + 2
		if j < len(s) && s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				return 0, p.errAt(base+i, "Missing right brace on \\x{}")
			}
			v, err := strconv.ParseUint(strings.TrimSpace(s[j+1:j+end]), 16, 32)
			if err != nil || v > utf8.MaxRune {
				return 0, p.unsupported(base + i)
			}
			b.WriteRune(rune(v))
			return j + end + 1 - i, nil
		}
		v := 0
		for j < len(s) && j < i+4 && isHex(s[j]) {
			v = v*16 + hexVal(s[j])
			j++
		}
		b.WriteRune(rune(v))
		return j - i, nil
	case 'c':
		if i+2 >= len(s) {
			return 0, p.unsupported(base + i)
		}
		ch := s[i+2]
		if ch >= 'a' && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		b.WriteByte(ch ^ 64)
		return 3, nil
	case 'u', 'l', 'U', 'L', 'Q', 'E', 'F', 'N', 'o', 'g', 'k':
		return 0, p.unsupported(base + i)
	default:
		// \\ \$ \@ \" and any unknown escape: the character itself.
		_, n := utf8.DecodeRuneInString(s[i+1:])
		b.WriteString(s[i+1 : i+1+n])
		return 1 + n, nil
	}
	return 2, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= 'a':
		return int(c-'a') + 10
	case c >= 'A':
		return int(c-'A') + 10
	}
	return int(c - '0')
}

// perlNum is Perl's numeric value of a string and whether all of it was a
// number.
func perlNum(s string) (float64, bool) {
	i := 0
	for i < len(s) && isSpaceByte(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	rest := strings.ToLower(s[i:])
	for _, w := range []string{"infinity", "inf", "nan"} {
		if strings.HasPrefix(rest, w) {
			v, _ := strconv.ParseFloat(s[start:i]+w, 64)
			return v, strings.TrimRight(rest[len(w):], " \t\n\r\f\v") == ""
		}
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	v, err := strconv.ParseFloat(s[start:i], 64)
	if err != nil && v == 0 {
		return 0, false
	}
	return v, strings.TrimRight(s[i:], " \t\n\r\f\v") == ""
}
