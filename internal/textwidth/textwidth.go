// Package textwidth measures how many terminal columns text takes. cowsay,
// lolcat and ls need the same answer, so it lives here once.
//
// Per code point it is glibc's wcwidth in a UTF-8 locale (the table is
// generated from the system's, see gen_wcwidth.go), which is what Perl
// cowsay measures with. Emoji sequences whose width is not the sum of their
// code points (ZWJ sequences, flags, skin tones, presentation selectors)
// are measured per grapheme cluster with uniseg, which follows UTS #51; go-runewidth
// v0.0.31 measures a VS16 sequence such as "❤️" as one column, so it is not
// used.
package textwidth

import (
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

type wcRange struct {
	lo, hi uint32
	w      int8
}

// Wcwidth is glibc's wcwidth in a UTF-8 locale: -1 for control and
// unassigned code points, 0 for combining marks, 2 for wide ones.
func Wcwidth(r rune) int {
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

// RuneWidth is the columns one code point takes: Wcwidth with control
// characters taking none and unassigned code points one.
func RuneWidth(r rune) int {
	w := Wcwidth(r)
	if w >= 0 {
		return w
	}
	if r < 0x20 || (r >= 0x7F && r < 0xA0) {
		return 0
	}
	return 1
}

// Mbswidth is Text::CharWidth's mbswidth as Perl cowsay uses it: the plain
// sum of Wcwidth, -1s included, stopping at a NUL as a C string does.
func Mbswidth(s string) int {
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
		w += Wcwidth(r)
		i += n - 1
	}
	return w
}

// String is the columns s takes on a terminal: Wcwidth per code point with
// control characters taking none, except that emoji sequences take what
// their grapheme cluster takes. s should hold no escape sequences.
func String(s string) int {
	w := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b < 0x20 || b >= 0x7F {
			return w + slow(s[i:])
		}
		w++
	}
	return w
}

func slow(s string) int {
	w := 0
	if !HasJoiner(s) {
		for _, r := range s {
			if x := Wcwidth(r); x > 0 {
				w += x
			}
		}
		return w
	}
	state := -1
	for len(s) > 0 {
		var cl string
		var cw int
		cl, s, cw, state = uniseg.FirstGraphemeClusterInString(s, state)
		if HasJoiner(cl) && emojiStart(cl) {
			w += cw
			continue
		}
		// Elsewhere a joiner joins nothing on screen: a skin tone after a
		// letter is drawn as a colour swatch of its own, two columns, as
		// glibc's wcwidth says.
		for _, r := range cl {
			if x := Wcwidth(r); x > 0 {
				w += x
			}
		}
	}
	return w
}

// HasJoiner reports whether s holds a rune that makes an emoji sequence
// whose terminal width is not the sum of its code points' wcwidth.
func HasJoiner(s string) bool {
	for i := 0; i < len(s); i++ {
		// Only these lead bytes start the runes below; CJK text (E3-E9)
		// needs no decoding.
		if b := s[i]; b != 0xE2 && b != 0xEF && b != 0xF0 && b != 0xF3 {
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

// emojiStart reports whether the cluster cl starts with a character that
// emoji sequences build on (Extended_Pictographic or a regional
// indicator). uniseg keeps that property to itself, so ask it whether the
// character takes a ZWJ and an emoji into its cluster (UAX #29 rule GB11),
// or, for a flag, is a regional indicator.
func emojiStart(cl string) bool {
	r, n := utf8.DecodeRuneInString(cl)
	if r >= 0x1F1E6 && r <= 0x1F1FF {
		return true
	}
	var buf [12]byte
	k := copy(buf[:], cl[:n])
	k += copy(buf[k:], "\u200d\U0001F600")
	c, _, _, _ := uniseg.FirstGraphemeCluster(buf[:k], -1)
	return len(c) == k
}
