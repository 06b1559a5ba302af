package cowsay

import (
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

type wcRange struct {
	lo, hi uint32
	w      int8
}

// wcwidth is glibc's wcwidth in a UTF-8 locale: -1 for control and
// unassigned code points, 0 for combining marks, 2 for wide ones.
func wcwidth(r rune) int {
	if r >= 0x20 && r < 0x7F {
		return 1
	}
	lo, hi := 0, len(wcwidthTable)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		e := &wcwidthTable[m]
		switch {
		case uint32(r) < e.lo:
			hi = m
		case uint32(r) > e.hi:
			lo = m + 1
		default:
			return int(e.w)
		}
	}
	return 1
}

// mbswidth is Text::CharWidth's mbswidth as Perl cowsay uses it: the plain
// sum of wcwidth, -1s included, stopping at a NUL as a C string does.
func mbswidth(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x20 && b < 0x7F {
			w++
			continue
		}
		if b == 0 {
			return w
		}
		if b < 0x80 {
			w--
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		w += wcwidth(r)
		i += n - 1
	}
	return w
}

// stripSGR removes the colour codes Perl cowsay ignores when it measures
// the widest line: ESC [ digits (; digits)* m, digits in Perl's Unicode
// sense (\d).
func stripSGR(s string) string {
	i := indexESC(s, 0)
	if i < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	last := 0
	for i >= 0 {
		if n := sgrLen(s[i:]); n > 0 {
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
	pad = mbswidth(s)
	if indexESC(s, 0) < 0 {
		return pad, pad
	}
	return mbswidth(stripSGR(s)), pad
}

// displayWidth is moobox's width of a line: glibc's wcwidth per code point,
// as Perl cowsay, except where that is visibly wrong: colour codes take no
// room, control characters take none (rather than -1), and emoji sequences
// (ZWJ sequences, flags, skin tones, presentation selectors) take what
// their grapheme cluster takes on a terminal, as uniseg measures it.
func displayWidth(s string) int {
	w := 0
	ascii := true
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x20 && b < 0x7F {
			w++
			continue
		}
		ascii = false
		break
	}
	if ascii {
		return w
	}
	if indexESC(s, 0) >= 0 {
		s = stripSGR(s)
	}
	if !hasJoiner(s) {
		w = 0
		for _, r := range s {
			if x := wcwidth(r); x > 0 {
				w += x
			}
		}
		return w
	}
	// uniseg's cluster width follows UTS #51 (a VS16 sequence is wide);
	// go-runewidth v0.0.31 measures "❤️" as 1 column, so it is not used.
	w = 0
	state := -1
	for len(s) > 0 {
		var cl string
		var cw int
		cl, s, cw, state = uniseg.FirstGraphemeClusterInString(s, state)
		if hasJoiner(cl) {
			w += cw
			continue
		}
		for _, r := range cl {
			if x := wcwidth(r); x > 0 {
				w += x
			}
		}
	}
	return w
}

// hasJoiner reports whether s holds a rune that makes an emoji sequence
// whose terminal width is not the sum of its code points' wcwidth.
func hasJoiner(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0xE2 {
			continue
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x200D, r == 0xFE0F, r == 0x20E3,
			r >= 0x1F1E6 && r <= 0x1F1FF, // regional indicators
			r >= 0x1F3FB && r <= 0x1F3FF, // skin tones
			r >= 0xE0020 && r <= 0xE007F: // tag sequences
			return true
		}
	}
	return false
}
