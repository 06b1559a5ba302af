package cowsay

import (
	"unicode"
	"unicode/utf8"

	"github.com/moobox/moobox/internal/textwidth"
)

// stripSGR removes the colour codes Perl cowsay ignores when it measures
// the widest line: ESC [ digits (; digits)* m, digits in Perl's Unicode
// sense (\d).
func stripSGR(s string) string { return strip(s, sgrLen) }

// strip removes the sequences seqLen finds at ESC bytes.
func strip(s string, seqLen func(string) int) string {
	i := indexESC(s, 0)
	if i < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	last := 0
	for i >= 0 {
		if n := seqLen(s[i:]); n > 0 {
			out = append(out, s[last:i]...)
			last = i + n
			i = indexESC(s, last)
		} else {
			i = indexESC(s, i+1)
		}
	}
	return string(append(out, s[last:]...))
}

func indexESC(s string, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == 0x1b {
			return i
		}
	}
	return -1
}

// sgrLen is the length of the colour code at the start of s, or 0.
func sgrLen(s string) int {
	if len(s) < 4 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	i := 2
	for {
		n := digits(s[i:])
		if n == 0 {
			return 0
		}
		i += n
		if i < len(s) && s[i] == 'm' {
			return i + 1
		}
		if i >= len(s) || s[i] != ';' {
			return 0
		}
		i++
	}
}

func digits(s string) int {
	i := 0
	for i < len(s) {
		if c := s[i]; c >= '0' && c <= '9' {
			i++
			continue
		}
		if s[i] < 0x80 {
			break
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsDigit(r) {
			break
		}
		i += n
	}
	return i
}

// compatWidths are Perl cowsay's two measures of a line: its width for the
// balloon (colour codes removed) and the width its padding is computed
// from (colour codes counted as printable text, control characters -1).
func compatWidths(s string) (outer, pad int) {
	pad = textwidth.Mbswidth(s)
	if indexESC(s, 0) < 0 {
		return pad, pad
	}
	return textwidth.Mbswidth(stripSGR(s)), pad
}

// escLen is the length of the terminal escape sequence at the start of s
// (s[0] is ESC), or 0 when none starts there. It knows the forms a
// terminal swallows without drawing: CSI (ESC [ parameters intermediates
// final: colours of every syntax, ESC[m, ESC[K), the string sequences OSC,
// DCS, SOS, PM and APC (ESC ] ... up to BEL or ST: OSC 8 links, titles),
// ESC intermediates final (ESC ( B) and two-byte ones (ESC 7, ESC =). An
// unterminated or malformed sequence is not one: its bytes are text.
func escLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch c := s[1]; {
	case c == '[':
		i := 2
		for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3F {
			i++
		}
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2F {
			i++
		}
		if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7E {
			return i + 1
		}
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		for i := 2; i < len(s); i++ {
			switch s[i] {
			case 0x07:
				return i + 1
			case 0x1b:
				if i+1 < len(s) && s[i+1] == '\\' {
					return i + 2
				}
				return 0
			}
		}
	case c >= 0x20 && c <= 0x2F:
		i := 2
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2F {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7E {
			return i + 1
		}
	case c >= 0x30 && c <= 0x7E:
		return 2
	}
	return 0
}

// displayWidth is moobox's width of a line: glibc's wcwidth per code point,
// as Perl cowsay, except where that is visibly wrong: escape sequences of
// every kind (colours, links, erase-line) and control characters take no
// room (rather than -1), and emoji sequences take what their grapheme
// cluster takes on a terminal (textwidth.String).
func displayWidth(s string) int {
	if indexESC(s, 0) >= 0 {
		s = strip(s, escLen)
	}
	return textwidth.String(s)
}
