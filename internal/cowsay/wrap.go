package cowsay

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// This file reproduces Text::Wrap 2021.0814 as Perl cowsay 3.03 drives it:
// fill("", "", @lines) with $columns = -W, then split on newlines.

// isPerlSpace is Perl's \s on a Unicode string.
func isPerlSpace(r rune) bool {
	switch {
	case r == ' ', r >= '\t' && r <= '\r':
		return true
	case r < 0x85:
		return false
	case r == 0x85, r == 0xA0, r == 0x1680, r >= 0x2000 && r <= 0x200A,
		r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

// isMark is Perl's \pM.
func isMark(r rune) bool {
	if r < 0x300 || r >= 0x4E00 && r <= 0x9FFF || r >= 0xAC00 && r <= 0xD7A3 {
		// Below the combining diacriticals, and the CJK ideographs and
		// Hangul syllables, which hold no marks: skip the table search.
		return false
	}
	return unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me)
}

func decode(s string, i int) (rune, int) {
	if b := s[i]; b < utf8.RuneSelf {
		return rune(b), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// unitEnd returns the end of the unit (\PM\pM*) starting at i; the rune at
// i is not a mark.
func unitEnd(s string, i int) int {
	_, n := decode(s, i)
	i += n
	for i < len(s) && s[i] >= 0xCC { // marks are all U+0300 and up
		r, n := decode(s, i)
		if !isMark(r) {
			break
		}
		i += n
	}
	return i
}

// breakLen is the length of the $break match ((?=\s)(?:\r\n|\PM\pM*)) at
// i, or 0.
func breakLen(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
		return 2
	}
	r, _ := decode(s, i)
	if !isPerlSpace(r) {
		return 0
	}
	return unitEnd(s, i) - i
}

type wrapStatus int

const (
	wrapOK      wrapStatus = iota
	wrapThree              // Text::Wrap gave up: `return @_` in scalar context, "3"
	wrapDie                // Text::Wrap died: "This shouldn't happen"
	wrapTooWide            // the regex quantifier exceeds Perl's limit
)

// maxQuantifier is Perl's limit on a {n,m} quantifier.
const maxQuantifier = 65534

// wrapText is Text::Wrap::wrap("", "", t) with $columns = cols, appending
// the result, split at newlines, to out.
//
// With ext (moobox's default, not --compat) two things Perl gets wrong are
// right: an escape sequence (escLen) counts no characters and is never cut,
// and a line is never cut inside a grapheme cluster (an emoji ZWJ sequence,
// a flag, a skin tone, a Hangul jamo syllable). A cluster of several Perl
// units counts as that many characters, so wherever Perl cuts no cluster
// the two wrap alike; a cluster longer than a whole line gets a line of
// its own.
func wrapText(t string, cols float64, out []string, ext bool) ([]string, wrapStatus) {
	ll := cols - 1
	if ll < 0 {
		ll = 0
	}
	nll := cols - 1
	tail := contentEnd(t)
	p := 0
	lastZero := -1
	lastLine := -1     // index in out of the last line emitted
	lineStart := 0     // where in t that line starts
	remA, remB := 0, 0 // the pending remainder t[remA:remB]
	remSep := false    // the pending remainder is the "\n" separator
	for p < tail {
		// A non-integral or negative count is not a quantifier: Perl reads
		// the braces literally and neither pattern matches.
		k := -1
		if ll >= 0 && ll == math.Trunc(ll) && !math.IsInf(ll, 0) {
			if ll > maxQuantifier {
				return out, wrapTooWide
			}
			k = int(ll)
		}
		matched := false
		if k >= 0 {
			// Pattern 1: up to k units then a break or the end, longest first.
			q, count := p, 0
			bestQ, bestEnd := -1, -1
			reachedK := false
			for {
				if q == len(t) {
					bestQ, bestEnd = q, q
					break
				}
				// Fast path: an ASCII character with no mark after it.
				if c := t[q]; c < utf8.RuneSelf && c != '\r' && c != '\n' && c != 0x1b && (q+1 == len(t) || t[q+1] < 0xCC) {
					if c == ' ' || c >= '\t' && c <= '\r' {
						bestQ, bestEnd = q, q+1
					}
					if count == k {
						reachedK = true
						break
					}
					q++
					count++
					continue
				}
				// Fast path: a character that cannot be Perl whitespace
				// (their lead bytes are C2, E1, E2, E3) with no mark after
				// it, and not a mark itself (nor, with ext, a prefix that
				// joins the next character's cluster).
				if c := t[q]; c >= utf8.RuneSelf && c != 0xC2 && c != 0xE1 && c != 0xE2 && c != 0xE3 {
					r, n := utf8.DecodeRuneInString(t[q:])
					e := q + n
					alone := e == len(t) || t[e] < 0xCC
					if !alone {
						// CJK text: the next character is no mark either.
						next, _ := utf8.DecodeRuneInString(t[e:])
						alone = !isMark(next) && !(ext && joinsBefore(next))
					}
					if alone && !isMark(r) && !(ext && joinsAfter(r)) {
						if count == k {
							reachedK = true
							break
						}
						q = e
						count++
						continue
					}
				}
				if ext && t[q] == 0x1b {
					// An escape sequence is no character, and its marks
					// (nothing on screen to sit on) go with it.
					if n := escLen(t[q:]); n > 0 {
						q = skipMarks(t, q+n)
						continue
					}
				}
				if n := breakLen(t, q); n > 0 {
					bestQ, bestEnd = q, q+n
				}
				if count == k {
					reachedK = true
					break
				}
				r, _ := decode(t, q)
				if r == '\n' || isMark(r) {
					break
				}
				if ext && !isPerlSpace(r) {
					end, units := clusterEnd(t, q, r)
					if count+units > k {
						if count > 0 || k == 0 {
							reachedK = true
							break
						}
						units = k // longer than a line: it goes alone
					}
					q, count = end, count+units
					continue
				}
				q = unitEnd(t, q)
				count++
			}
			switch {
			case bestQ >= 0:
				out = append(out, unexpand(t[p:bestQ]))
				lastLine, lineStart = len(out)-1, p
				remA, remB, remSep = bestQ, bestEnd, false
				if bestEnd == p {
					lastZero = p
				} else {
					lastZero = -1
				}
				p = bestEnd
				matched = true
			case reachedK && !(k == 0 && lastZero == p):
				// Pattern 2: exactly k units, an over-long word cut.
				out = append(out, unexpand(t[p:q]))
				lastLine, lineStart = len(out)-1, p
				remSep = true
				if q == p {
					lastZero = p
				} else {
					lastZero = -1
				}
				p = q
				matched = true
			}
		}
		if !matched {
			if cols < 2 {
				return out, wrapThree
			}
			return out, wrapDie
		}
		ll = nll
	}
	switch {
	case lastLine < 0:
		out = append(out, "")
	case remSep:
		out = append(out, "")
	case remB > remA:
		// The last break is kept: it follows the last line in t.
		last := t[lineStart:remB]
		if out[lastLine] != t[lineStart:remA] {
			last = out[lastLine] + t[remA:remB]
		}
		out = out[:lastLine]
		out = append(out, strings.Split(last, "\n")...)
	}
	return out, wrapOK
}

// skipMarks passes the marks at s[i:].
func skipMarks(s string, i int) int {
	for i < len(s) && s[i] >= 0xCC {
		r, n := decode(s, i)
		if !isMark(r) {
			break
		}
		i += n
	}
	return i
}

// clusterEnd is the end of the unit moobox never cuts that starts with the
// non-space, non-mark r at s[i], and how many Perl units (\PM\pM*) it
// spans: the shortest run of whole Perl units that is also whole grapheme
// clusters, cut short before a Perl space (where Perl may break a line).
// Only a few code points join clusters across Perl units; uniseg is asked
// only when one of them is there.
func clusterEnd(s string, i int, r rune) (int, int) {
	e := unitEnd(s, i)
	if e == len(s) {
		return e, 1
	}
	joins := false
	switch s[e] {
	case 0xE0, 0xE1, 0xE2, 0xEA, 0xED, 0xEF, 0xF0, 0xF3: // the lead bytes of joinsBefore's runes
		next, _ := decode(s, e)
		joins = joinsBefore(next)
	}
	if !joins && !joinsAfter(r) {
		return e, 1
	}
	cl, _, _, _ := uniseg.FirstGraphemeClusterInString(s[i:], -1)
	ce, units := i+len(cl), 1
	for e != ce {
		if e < ce {
			if r, _ := decode(s, e); isPerlSpace(r) {
				// A Prepend joins the space after it into its cluster,
				// but Perl breaks lines at that space: the unit ends.
				return e, units
			}
			e = unitEnd(s, e)
			units++
		} else {
			cl, _, _, _ = uniseg.FirstGraphemeClusterInString(s[ce:], -1)
			ce += len(cl)
		}
	}
	return e, units
}

// joinsBefore reports whether r, not a mark, can continue the grapheme
// cluster of the character before it (UAX #29 Extend, ZWJ and
// SpacingMark that are not \pM, regional indicators, Hangul jamo).
// TestJoinTables checks these against uniseg for every code point.
func joinsBefore(r rune) bool {
	switch {
	case r < 0xE33:
		return false
	case r == 0xE33, r == 0xEB3, r >= 0x1100 && r <= 0x11FF, r == 0x200C, r == 0x200D,
		r >= 0xA960 && r <= 0xA97C, r >= 0xD7B0 && r <= 0xD7FB, r == 0xFF9E, r == 0xFF9F,
		r >= 0x1F1E6 && r <= 0x1F1FF, r >= 0x1F3FB && r <= 0x1F3FF, r >= 0xE0020 && r <= 0xE007F:
		return true
	}
	return false
}

// joinsAfter reports whether r can join the cluster of the character
// after it.
func joinsAfter(r rune) bool { return isPrepend(r) || isLJamo(r) }

// isPrepend is UAX #29's Prepend: it joins the character after it.
func isPrepend(r rune) bool {
	if r < 0x600 || r > 0x11F02 || r > 0xD4E && r < 0x110BD {
		return false
	}
	switch r {
	case 0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6DD, 0x70F, 0x890, 0x891, 0x8E2, 0xD4E,
		0x110BD, 0x110CD, 0x111C2, 0x111C3, 0x1193F, 0x11941, 0x11A3A,
		0x11A84, 0x11A85, 0x11A86, 0x11A87, 0x11A88, 0x11A89, 0x11D46, 0x11F02:
		return true
	}
	return false
}

// isLJamo is a Hangul leading consonant, which joins a following syllable.
func isLJamo(r rune) bool {
	return r >= 0x1100 && r <= 0x115F || r >= 0xA960 && r <= 0xA97C
}

// contentEnd is where the trailing run of break units of t starts: the
// loop of Text::Wrap stops once only breaks are left. It scans back over
// whitespace and marks, then forward over marks that belong to the last
// non-space character.
func contentEnd(t string) int {
	j := len(t)
	for j > 0 {
		r, n := utf8.DecodeLastRuneInString(t[:j])
		if !isPerlSpace(r) && !isMark(r) {
			break
		}
		j -= n
	}
	for j < len(t) {
		r, n := decode(t, j)
		if !isMark(r) {
			break
		}
		j += n
	}
	return j
}

// unexpand is Text::Tabs::unexpand on one line: in each complete run of
// eight units, trailing spaces (two or more) become a tab.
func unexpand(line string) string {
	if !strings.Contains(line, "  ") {
		return line
	}
	var b strings.Builder
	i, start, n := 0, 0, 0
	for i < len(line) {
		r, w := decode(line, i)
		if isMark(r) && i == start {
			i += w
			continue
		}
		i = unitEnd(line, i)
		if n++; n == 8 {
			chunk := line[start:i]
			trimmed := strings.TrimRight(chunk, " ")
			if len(chunk)-len(trimmed) >= 2 {
				chunk = trimmed + "\t"
			}
			b.WriteString(chunk)
			start, n = i, 0
		}
	}
	b.WriteString(line[start:])
	return b.String()
}

// expandTabs is Text::Tabs::expand on one line: tab stops every eight
// units (code points other than marks), not display columns. With ext an
// escape sequence is no unit.
func expandTabs(s string, ext bool) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for i := 0; i < len(s); {
		if ext && s[i] == 0x1b {
			if n := escLen(s[i:]); n > 0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
		}
		r, n := decode(s, i)
		i += n
		switch {
		case r == '\t':
			pad := 8 - col%8
			b.WriteString("        "[:pad])
			col += pad
		case r == '\n':
			b.WriteRune(r)
			col = 0
		default:
			b.WriteString(s[i-n : i])
			if !isMark(r) {
				col++
			}
		}
	}
	return b.String()
}

// fill is Text::Wrap::fill("", "", lines) followed by split("\n"), given
// the lines already joined by newlines (with ext, see wrapText):
// paragraphs end where a newline is followed by whitespace, whitespace runs
// become one space, paragraphs are separated by an empty line and trailing
// empty lines are dropped.
func fill(text string, cols float64, ext bool) ([]string, wrapStatus) {
	// One line per cols-1 bytes is a fair guess for a big message: it
	// saves growing the slice many times over.
	per := 8.0
	if cols-1 > per {
		per = cols - 1
	}
	out := make([]string, 0, min(len(text)/int(min(per, 1<<20))+1, 1<<20))
	first := true
	for len(text) > 0 || first {
		para, rest, more := cutParagraph(text)
		if !first {
			out = append(out, "")
		}
		first = false
		var st wrapStatus
		before := len(out)
		out, st = wrapText(collapseSpace(para), cols, out, ext)
		switch st {
		case wrapThree:
			// Text::Wrap raised $columns to 2 for the paragraphs after.
			out = append(out[:before], "3")
			cols = 2
		case wrapOK:
		default:
			return nil, st
		}
		text = rest
		if !more {
			break
		}
		if rest == "" {
			break // Perl's split drops the trailing empty field
		}
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out, wrapOK
}

// cutParagraph splits text at the first match of /\n\s+/.
func cutParagraph(text string) (para, rest string, found bool) {
	for i := 0; i < len(text); i++ {
		if text[i] != '\n' || i+1 >= len(text) {
			continue
		}
		j := i + 1
		for j < len(text) {
			r, n := decode(text, j)
			if !isPerlSpace(r) {
				break
			}
			j += n
		}
		if j > i+1 {
			return text[:i], text[j:], true
		}
	}
	return text, "", false
}

// collapseSpace is s/\s+/ /g.
func collapseSpace(s string) string {
	// Fast path: nothing but single ASCII spaces.
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && i+1 < len(s) && s[i+1] == ' ' || c >= '\t' && c <= '\r' || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	inSpace := false
	for i := 0; i < len(s); {
		// Copy a run of ASCII non-space bytes at once: most text is that.
		j := i
		for j < len(s) && s[j] < utf8.RuneSelf && s[j] != ' ' && (s[j] < '\t' || s[j] > '\r') {
			j++
		}
		if j > i {
			b.WriteString(s[i:j])
			inSpace = false
			i = j
			continue
		}
		// Only C2, E1, E2 and E3 start a non-ASCII Perl space: copy any
		// other multi-byte character whole without decoding it.
		if c := s[i]; c >= 0xC0 && c != 0xC2 && c != 0xE1 && c != 0xE2 && c != 0xE3 {
			// Continuation bytes are never spaces, even in invalid text.
			n := 1
			for n < 4 && i+n < len(s) && s[i+n]&0xC0 == 0x80 {
				n++
			}
			b.WriteString(s[i : i+n])
			inSpace = false
			i += n
			continue
		}
		r, n := decode(s, i)
		if isPerlSpace(r) {
			if !inSpace {
				b.WriteByte(' ')
			}
			inSpace = true
		} else {
			b.WriteString(s[i : i+n])
			inSpace = false
		}
		i += n
	}
	return b.String()
}
