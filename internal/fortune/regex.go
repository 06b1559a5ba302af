package fortune

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// fortune-mod matches -m patterns with glibc's re_comp, whose syntax is
// GNU Emacs style (re_syntax_options 0) with ^ and $ anchoring at every
// line: \( \) group, \| alternates, * + ? repeat (literal at the start of
// a pattern, a group or a branch), { } | ( ) are plain characters, . does
// not match a newline, [...] has no [:classes:] or escapes (but does
// have [.x.] and [=x=]), and \w \W \s \S
// \b \B \< \> \` \' are GNU operators. Matching is bytewise (fortune
// compiles the pattern before setlocale). translatePattern rewrites such a
// pattern as a Go regexp over text whose bytes are runes U+0000-U+00FF.
//
// Known differences: back-references (\1-\9) are refused; \< and \> are
// taken as \b (a word boundary either side).

var errBackref = errors.New("back-references are not supported")

type reFrame struct {
	branches [][]reItem
}

type reItem struct {
	s        string
	repeated bool // ends with a repetition operator
	anchor   bool // an anchor: an operator after it is literal
}

func byteLit(c byte) string {
	if c < 0x80 && (c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == ' ' || c == '_') {
		return string(c)
	}
	return fmt.Sprintf(`\x{%x}`, c)
}

func translatePattern(pat []byte) (string, error) {
	stack := []*reFrame{{branches: [][]reItem{nil}}}
	cur := func() *[]reItem {
		f := stack[len(stack)-1]
		return &f.branches[len(f.branches)-1]
	}
	// opIsLiteral: * + ? are plain characters at the start of the pattern,
	// a group or a branch, and right after an anchor (glibc never repeats
	// an anchor: "^*" and "\\'*" match a star).
	opIsLiteral := func() bool {
		b := *cur()
		return len(b) == 0 || b[len(b)-1].anchor
	}
	add := func(s string) { *cur() = append(*cur(), reItem{s: s}) }
	anchor := func(s string) { *cur() = append(*cur(), reItem{s: s, anchor: true}) }
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch c {
		case '^':
			if len(*cur()) == 0 {
				anchor("^")
			} else {
				add(`\^`)
			}
		case '$':
			rest := pat[i+1:]
			if len(rest) == 0 || len(rest) >= 2 && rest[0] == '\\' && (rest[1] == ')' || rest[1] == '|') {
				anchor("$")
			} else {
				add(`\$`)
			}
		case '*', '+', '?':
			if opIsLiteral() {
				add(byteLit(c))
				continue
			}
			b := *cur()
			last := &b[len(b)-1]
			if last.repeated {
				last.s = "(?:" + last.s + ")" + string(c)
			} else {
				last.s += string(c)
			}
			last.repeated = true
		case '.':
			add(".")
		case '[':
			s, n, err := translateBracket(pat[i:])
			if err != nil {
				return "", err
			}
			add(s)
			i += n - 1
		case '\\':
			if i+1 >= len(pat) {
				return "", errors.New("trailing backslash")
			}
			i++
			e := pat[i]
			switch e {
			case '(':
				stack = append(stack, &reFrame{branches: [][]reItem{nil}})
			case ')':
				if len(stack) == 1 {
					return "", errors.New("unmatched \\)")
				}
				f := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				add("(" + joinBranches(f) + ")")
			case '|':
				f := stack[len(stack)-1]
				f.branches = append(f.branches, nil)
			case '1', '2', '3', '4', '5', '6', '7', '8', '9':
				return "", errBackref
			case 'w':
				add(`[0-9A-Za-z_]`)
			case 'W':
				add(`[^0-9A-Za-z_]`)
			case 's':
				add(`[\t\n\v\f\r ]`)
			case 'S':
				add(`[^\t\n\v\f\r ]`)
			case 'b', '<', '>':
				anchor(`\b`)
			case 'B':
				anchor(`\B`)
			case '`':
				anchor(`\A`)
			case '\'':
				anchor(`\z`)
			default:
				add(byteLit(e))
			}
		default:
			add(byteLit(c))
		}
	}
	if len(stack) != 1 {
		return "", errors.New("unmatched \\(")
	}
	return "(?m)" + joinBranches(stack[0]), nil
}

func joinBranches(f *reFrame) string {
	var sb strings.Builder
	for i, b := range f.branches {
		if i > 0 {
			sb.WriteByte('|')
		}
		for _, it := range b {
			sb.WriteString(it.s)
		}
	}
	return sb.String()
}

// translateBracket converts a [...] list starting at p[0]; it returns the
// Go class and how many pattern bytes it used. Besides bytes and ranges,
// glibc reads [.x.] (a collating element) and [=x=] (an equivalence
// class) whatever the syntax bits; in the C locale both name one byte.
func translateBracket(p []byte) (string, int, error) {
	i := 1
	neg := false
	if i < len(p) && p[i] == '^' {
		neg = true
		i++
	}
	var items []string
	first := true
	for {
		if i >= len(p) {
			return "", 0, errors.New("unmatched [ or [^")
		}
		if p[i] == ']' && !first {
			i++
			break
		}
		if p[i] == '-' && !first && (i+1 >= len(p) || p[i+1] != ']') {
			// A '-' that cannot start a range (after a range or a
			// class) may only end the list: glibc's REG_ERANGE.
			return "", 0, errors.New("invalid range end")
		}
		first = false
		lo, equiv, n, err := bracketElem(p, i)
		if err != nil {
			return "", 0, err
		}
		i += n
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi, equiv2, n, err := bracketElem(p, i+1)
			if err != nil {
				return "", 0, err
			}
			if equiv || equiv2 {
				return "", 0, errors.New("invalid range end")
			}
			if lo <= hi {
				items = append(items, byteLit(lo)+"-"+byteLit(hi))
			}
			i += 1 + n
			continue
		}
		items = append(items, byteLit(lo))
	}
	if len(items) == 0 {
		if neg {
			return `[\x{0}-\x{10FFFF}]`, i, nil
		}
		return `[^\x{0}-\x{10FFFF}]`, i, nil
	}
	s := "["
	if neg {
		s += "^"
	}
	return s + strings.Join(items, "") + "]", i, nil
}

// bracketElem reads one element of a bracket list at p[i]: a byte, or
// [.x.] or [=x=] (equiv says which), as glibc's parse_bracket_symbol does:
// the name runs to the first ".]" or "=]" after its first byte, and must
// be one byte long.
func bracketElem(p []byte, i int) (c byte, equiv bool, n int, err error) {
	if p[i] != '[' || i+1 >= len(p) || (p[i+1] != '.' && p[i+1] != '=') {
		return p[i], false, 1, nil
	}
	delim := p[i+1]
	var name []byte
	j := i + 2
	for {
		if j+1 >= len(p) {
			return 0, false, 0, errors.New("unmatched [ or [^")
		}
		ch := p[j]
		j++
		if ch == delim && p[j] == ']' {
			j++
			break
		}
		name = append(name, ch)
	}
	if len(name) != 1 {
		return 0, false, 0, errors.New("invalid collation character")
	}
	return name[0], delim == '=', j - i, nil
}

// convPat is fortune's -i: every ASCII letter x becomes [xX] before the
// pattern is compiled (so it also rewrites letters after a backslash or
// inside brackets, as fortune does).
func convPat(p []byte) []byte {
	var out []byte
	for _, c := range p {
		switch {
		case c >= 'a' && c <= 'z':
			out = append(out, '[', c, c-'a'+'A', ']')
		case c >= 'A' && c <= 'Z':
			out = append(out, '[', c, c-'A'+'a', ']')
		default:
			out = append(out, c)
		}
	}
	return out
}

// byteMatcher matches a translated pattern against raw bytes.
type byteMatcher struct {
	re *regexp.Regexp
}

func compilePattern(pat []byte) (*byteMatcher, error) {
	s, err := translatePattern(pat)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	return &byteMatcher{re: re}, nil
}

// match reports whether text (up to its first NUL, as a C string) matches.
func (m *byteMatcher) match(text []byte) bool {
	text = text[:cstrlen(text)]
	ascii := true
	for _, c := range text {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return m.re.Match(text)
	}
	// Bytes above 0x7f become the runes U+0080-U+00FF, so . and [^...]
	// match one byte, as glibc's regex does in the C locale.
	r := make([]rune, len(text))
	for i, c := range text {
		r[i] = rune(c)
	}
	return m.re.MatchString(string(r))
}
