package lolcat

import (
	"bytes"
	"io"
	"math"
	"time"
	"unicode/utf8"

	"github.com/moobox/moobox/internal/textwidth"
	"github.com/rivo/uniseg"
)

// The painter turns a byte stream into rainbow units the way Ruby lolcat
// does, without holding a line in memory.
//
// Ruby's model: read 4096-byte chunks (more while the chunk ends inside a
// UTF-8 character or an escape sequence), split the chunk into lines, and
// for each line: offset += 1, drop the "\n", expand tabs to 8 spaces, cut
// the line into units (escape sequences + one character; plus one empty
// unit at the end) and colour unit i with position offset + i/spread. A
// line cut by a chunk boundary is two lines with odd offset bookkeeping
// (see pieceDone). The painter reproduces all of it as a state machine fed
// with arbitrary reads, counting file positions to find the chunk
// boundaries Ruby would see.

const (
	bufSize = 64 << 10
	flushAt = bufSize - 64
	chunk   = 4096
)

// escape parser states (what the line regex of lol.rb would be matching).
const (
	stNormal = iota
	stEsc    // saw ESC; it is a character if the line ends here
	stInter  // ESC [ -/]+ : waiting for the final character
	stOSC    // ESC ] P X ^ _ : body up to BEL or ESC
	stCSI    // ESC [ [0-?]* : waiting for the final character
	stFinal  // inside the final character (multi-byte) of an escape
)

// tail states: does the stream so far end like Ruby's INCOMPLETE_ESCAPE?
const (
	tNone = iota
	tEsc
	tInter
	tOSC
	tCSI
)

type painter struct {
	w   io.Writer
	buf []byte
	n   int
	err error

	freq, spread float64
	truecolor    bool
	invert       bool
	wide         bool
	nearest      bool
	ph           phases

	tab256  []uint8
	tabRGB  []uint32
	tabTrue []uint16   // bin -> index into trueEsc, 0 = unsafe
	trueEsc [][24]byte // escape strings of the rainbow's RGB triples
	trueLen []uint8
	units   int

	pre    [256][16]byte // colour escape per xterm index
	preLen [256]uint8
	preOK  bool
	rst    [8]byte // reset escape, 5 bytes used
	decS   [256][4]byte
	decM   [256][4]byte
	decLen [256]uint8
	nearC  map[uint32]uint8

	// offsets, as Ruby's @os and @old_os. Ruby's @os starts as the
	// Integer seed and stays an Integer while only whole lines are added;
	// osN holds it exactly (os = float64(osN), rounded as Ruby rounds an
	// Integer added to a Float) so seeds beyond 2^53 count lines like Ruby.
	os, oldOs     float64
	osN, oldN     int64
	osInt, oldInt bool
	hasOld        bool

	// current piece
	i         int                  // next unit index (column in wide mode)
	lastStart int                  // wide: where the previous cluster started
	cl        [maxCluster + 4]byte // wide: the grapheme cluster being read
	cln       int
	inPiece   bool
	escPend   bool // escape bytes written that no unit has taken yet
	st        uint8
	need      int
	cp        [4]byte
	cpn       int

	// Ruby's read model
	pos   int64
	tail  uint8
	bad   bool
	last3 [3]byte
	nlast int

	// animation
	anim     bool
	duration int
	speed    float64
	line     []byte
	sleep    func(time.Duration)
	cut      bool    // the piece being closed is a forced cut (see boundary)
	carry    parseSt // parser state a forced cut left for the next piece
}

// parseSt is the escape/character parser state at a piece boundary: a
// forced -a cut hands it to the next piece, so a character or an escape
// sequence split by the cut is completed there instead of being painted
// as broken text.
type parseSt struct {
	st   uint8
	need int
	cp   [4]byte
	cpn  int
}

func newPainter(w io.Writer, freq, spread float64, truecolor, invert bool) *painter {
	p := &painter{w: w, buf: make([]byte, bufSize+256), freq: freq, spread: spread,
		truecolor: truecolor, invert: invert, ph: newPhases(), sleep: time.Sleep}
	if invert {
		copy(p.rst[:], "\x1b[49m")
	} else {
		copy(p.rst[:], "\x1b[39m")
	}
	return p
}

func (p *painter) flush() {
	if p.n > 0 && p.err == nil {
		_, p.err = p.w.Write(p.buf[:p.n])
	}
	p.n = 0
}

func (p *painter) write(b []byte) {
	for len(b) > 0 {
		if p.n > flushAt {
			p.flush()
		}
		k := copy(p.buf[p.n:bufSize], b)
		p.n += k
		b = b[k:]
	}
}

func (p *painter) writeByte(c byte) {
	if p.n > flushAt {
		p.flush()
	}
	p.buf[p.n] = c
	p.n++
}

func (p *painter) writeString(s string) {
	for len(s) > 0 {
		if p.n > flushAt {
			p.flush()
		}
		k := copy(p.buf[p.n:bufSize], s)
		p.n += k
		s = s[k:]
	}
}

// initEsc prepares the escape strings (cheap, once per run).
func (p *painter) initEsc() {
	if p.preOK {
		return
	}
	p.preOK = true
	for v := 0; v < 256; v++ {
		var d [3]byte
		k := 0
		if v >= 100 {
			d[k] = byte('0' + v/100)
			k++
		}
		if v >= 10 {
			d[k] = byte('0' + v/10%10)
			k++
		}
		d[k] = byte('0' + v%10)
		k++
		copy(p.decS[v][:], d[:k])
		p.decS[v][k] = ';'
		copy(p.decM[v][:], d[:k])
		p.decM[v][k] = 'm'
		p.decLen[v] = uint8(k + 1)
		pre := "\x1b[38;5;"
		if p.invert {
			pre = "\x1b[48;5;"
		}
		m := copy(p.pre[v][:], pre)
		m += copy(p.pre[v][m:], d[:k])
		p.pre[v][m] = 'm'
		p.preLen[v] = uint8(m + 1)
	}
}

// maybeTables builds the lookup tables once a run has painted enough
// units for the build (about a millisecond) to pay off.
func (p *painter) maybeTables() {
	if p.units < 1<<15 {
		return
	}
	if p.truecolor {
		if p.tabRGB == nil {
			p.tabRGB = channelTable(p.ph, levelsTrue())
			p.buildTrueEsc()
		}
	} else if p.tab256 == nil && !p.nearest {
		p.tab256 = table256(p.ph)
	}
}

// rgb returns the channels of unit i of the current piece.
func (p *painter) rgb(i int) (r, g, b uint8) {
	x := p.os + float64(i)/p.spread
	t := float64(p.freq * x)
	if p.tabRGB != nil {
		if bin, ok := binOf(t); ok {
			if e := p.tabRGB[bin]; e&unsafeBit == 0 {
				return uint8(e), uint8(e >> 8), uint8(e >> 16)
			}
		}
	}
	return channel(t), channel(float64(t + p.ph.g)), channel(float64(t + p.ph.b))
}

// index returns the xterm-256 index of unit i.
func (p *painter) index(i int) uint8 {
	if p.tab256 != nil {
		x := p.os + float64(i)/p.spread
		t := float64(p.freq * x)
		if bin, ok := binOf(t); ok {
			if v := p.tab256[bin]; v != 0 {
				return v
			}
		}
	}
	r, g, b := p.rgb(i)
	if p.nearest {
		return p.nearestIndex(r, g, b)
	}
	return index256(r, g, b)
}

// unit paints one unit: colour, the character bytes, reset.
func (p *painter) unit(ch []byte, i int) {
	if p.n > flushAt {
		p.flush()
	}
	p.colour(i)
	n := p.n
	n += copy(p.buf[n:], ch)
	*(*[8]byte)(p.buf[n:]) = p.rst
	p.n = n + 5
	p.escPend = false
	p.units++
}

func (p *painter) colour(i int) {
	n := p.n
	if p.truecolor {
		r, g, b := p.rgb(i)
		if p.invert {
			copy(p.buf[n:], "\x1b[48;2;")
		} else {
			copy(p.buf[n:], "\x1b[38;2;")
		}
		n += 7
		*(*[4]byte)(p.buf[n:]) = p.decS[r]
		n += int(p.decLen[r])
		*(*[4]byte)(p.buf[n:]) = p.decS[g]
		n += int(p.decLen[g])
		*(*[4]byte)(p.buf[n:]) = p.decM[b]
		n += int(p.decLen[b])
	} else {
		v := p.index(i)
		*(*[16]byte)(p.buf[n:]) = p.pre[v]
		n += int(p.preLen[v])
	}
	p.n = n
}

// char paints a character unit, advancing the unit index. In --wide mode
// the unit is the grapheme cluster the character belongs to instead.
func (p *painter) char(ch []byte) {
	if !p.wide {
		p.unit(ch, p.i)
		p.i++
		return
	}
	if len(ch) == 1 && ch[0] >= utf8.RuneSelf {
		// An invalid byte joins nothing.
		p.clusterEnd()
		p.wideUnit(ch, 1)
		return
	}
	if p.cln > 0 && p.cln+len(ch) <= maxCluster && p.joins(ch) {
		p.cln += len(ch)
		return
	}
	p.clusterEnd()
	p.cln = copy(p.cl[:], ch)
}

// maxCluster bounds the bytes a --wide unit holds (memory stays constant
// on endless combining marks): a longer cluster is cut into several units.
const maxCluster = 64

// joins reports whether code point ch continues the pending cluster. It
// leaves ch's bytes after the cluster in p.cl.
func (p *painter) joins(ch []byte) bool {
	// Two ASCII characters always have a boundary between them, except
	// CR LF (LF never gets here); Prepend, Extend and ZWJ are not ASCII.
	if last := p.cl[p.cln-1]; ch[0] < utf8.RuneSelf && last < utf8.RuneSelf {
		return false
	}
	n := copy(p.cl[p.cln:], ch)
	// Boundary rules only look back, so the cluster found from the start
	// of the pending one ends before ch exactly when there is a boundary.
	c, _, _, _ := uniseg.FirstGraphemeCluster(p.cl[:p.cln+n], -1)
	return len(c) > p.cln
}

// clusterEnd paints the pending --wide cluster, one colour for all of it,
// advancing by the columns it takes on a terminal.
func (p *painter) clusterEnd() {
	if p.cln == 0 {
		return
	}
	cl := p.cl[:p.cln]
	p.cln = 0
	w := 1
	if len(cl) > 1 {
		if r, size := utf8.DecodeRune(cl); size == len(cl) {
			w = textwidth.RuneWidth(r)
		} else {
			w = textwidth.String(string(cl))
		}
	}
	p.wideUnit(cl, w)
}

func (p *painter) wideUnit(ch []byte, w int) {
	if w == 0 {
		// Zero-width clusters (a combining mark at the start of a line,
		// ZWSP, controls) take the colour of the cluster before them.
		p.unit(ch, p.lastStart)
		return
	}
	p.lastStart = p.i
	p.unit(ch, p.i)
	p.i += w
}

// empty paints a unit with no character (trailing escapes, line end).
func (p *painter) empty() {
	p.clusterEnd()
	p.unit(nil, p.i)
	p.lastStart = p.i
	p.i++
}

var spaces8 = [8]byte{' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}

// text paints bytes of a line (no '\n').
func (p *painter) text(s []byte) {
	for k := 0; k < len(s); {
		if p.st == stNormal && p.cpn == 0 {
			// A run of plain characters: ASCII, or valid UTF-8 (an
			// invalid or cut sequence is left to slow).
			j, multi := k, false
			for j < len(s) {
				c := s[j]
				if c == 0x1b || c == '\t' {
					break
				}
				if c < utf8.RuneSelf {
					j++
					continue
				}
				r, size := utf8.DecodeRune(s[j:])
				if r == utf8.RuneError && size == 1 {
					break
				}
				j += size
				multi = true
			}
			if j > k {
				if multi {
					p.utf8Run(s[k:j])
				} else {
					p.ascii(s[k:j])
				}
				k = j
				continue
			}
		}
		k = p.slow(s, k)
	}
}

// utf8Run paints a run of valid characters, some multi-byte.
func (p *painter) utf8Run(s []byte) {
	p.maybeTables()
	if p.wide || p.nearest || (p.truecolor && p.tabTrue == nil) || (!p.truecolor && p.tab256 == nil) {
		for len(s) > 0 {
			_, size := utf8.DecodeRune(s)
			p.char(s[:size])
			s = s[size:]
		}
		return
	}
	var off [block + 1]int
	var idx [block]uint16
	os, spread, freq := p.os, p.spread, p.freq
	rst := p.rst
	for len(s) > 0 {
		m, a := 0, 0
		for m < block && a < len(s) {
			off[m] = a
			if c := s[a]; c < utf8.RuneSelf {
				a++
			} else {
				_, size := utf8.DecodeRune(s[a:])
				a += size
			}
			m++
		}
		off[m] = a
		i := p.i
		for k := 0; k < m; k++ {
			x := os + float64(i+k)/spread
			t := float64(freq * x)
			u := t * (1 / (2 * math.Pi))
			f := u - float64(int64(u))
			if f < 0 {
				f++
			}
			b := int(f*tabBins) & (tabBins - 1)
			var e uint16
			if p.truecolor {
				e = p.tabTrue[b]
			} else {
				e = uint16(p.tab256[b])
			}
			if !(t < tabLimit && t > -tabLimit) {
				e = 0
			}
			idx[k] = e
		}
		if p.n > bufSize-block*40 {
			p.flush()
		}
		for k := 0; k < m; k++ {
			n := p.n
			switch e := idx[k]; {
			case e == 0:
				p.colour(i + k)
				n = p.n
			case p.truecolor:
				*(*[24]byte)(p.buf[n:]) = p.trueEsc[e]
				n += int(p.trueLen[e])
			default:
				*(*[16]byte)(p.buf[n:]) = p.pre[e]
				n += int(p.preLen[e])
			}
			ch := s[off[k]:off[k+1]]
			if len(ch) == 1 {
				p.buf[n] = ch[0]
			} else if off[k]+4 <= len(s) {
				*(*[4]byte)(p.buf[n:]) = *(*[4]byte)(s[off[k]:])
			} else {
				copy(p.buf[n:], ch)
			}
			n += len(ch)
			*(*[8]byte)(p.buf[n:]) = rst
			p.n = n + 5
		}
		p.i = i + m
		p.units += m
		s = s[a:]
	}
	p.escPend = false
}

// ascii paints a run of single-byte characters: the hot loop.
func (p *painter) ascii(s []byte) {
	p.maybeTables()
	if p.wide || p.nearest || (p.truecolor && p.tabTrue == nil) || (!p.truecolor && p.tab256 == nil) {
		var c [1]byte
		for _, b := range s {
			c[0] = b
			p.char(c[:])
		}
		return
	}
	if p.truecolor {
		p.asciiTrue(s)
	} else {
		p.ascii256(s)
	}
	p.escPend = false
	p.units += len(s)
}

// The hot loops work in blocks: first the colours of a block of units
// (independent computations the CPU overlaps), then the writes. Written
// unit by unit, each unit's output position would wait on the previous
// unit's whole colour computation.
const block = 128

// phaseBin is the table bin of unit i's phase, and whether the tables
// hold for it (far from zero, float64 keeps the fraction exact enough);
// where they do not, the caller computes the colour exactly.
func phaseBin(os, spread, freq float64, i int) (int, bool) {
	t := float64(freq * (os + float64(i)/spread))
	u := t * (1 / (2 * math.Pi))
	f := u - float64(int64(u))
	if f < 0 {
		f++
	}
	return int(f*tabBins) & (tabBins - 1), t < tabLimit && t > -tabLimit
}

func (p *painter) ascii256(s []byte) {
	var idx [block]uint8
	os, spread, freq := p.os, p.spread, p.freq
	tab := p.tab256[:tabBins]
	rst := p.rst
	for len(s) > 0 {
		blk := s[:min(len(s), block)]
		s = s[len(blk):]
		i := p.i
		for k := range blk {
			b, ok := phaseBin(os, spread, freq, i+k)
			idx[k] = tab[b]
			if !ok {
				idx[k] = 0
			}
		}
		for k := range blk {
			if idx[k] == 0 {
				idx[k] = p.index(i + k)
			}
		}
		if p.n > bufSize-block*32 {
			p.flush()
		}
		buf, n := p.buf, p.n
		for k, c := range blk {
			v := idx[k]
			*(*[16]byte)(buf[n:]) = p.pre[v]
			n += int(p.preLen[v])
			buf[n] = c
			*(*[8]byte)(buf[n+1:]) = rst
			n += 6
		}
		p.n, p.i = n, i+len(blk)
	}
}

func (p *painter) asciiTrue(s []byte) {
	var idx [block]uint16
	os, spread, freq := p.os, p.spread, p.freq
	tab, esc, elen := p.tabTrue[:tabBins], p.trueEsc, p.trueLen
	rst := p.rst
	for len(s) > 0 {
		blk := s[:min(len(s), block)]
		s = s[len(blk):]
		i := p.i
		for k := range blk {
			b, ok := phaseBin(os, spread, freq, i+k)
			idx[k] = tab[b]
			if !ok {
				idx[k] = 0
			}
		}
		if p.n > bufSize-block*40 {
			p.flush()
		}
		buf, n := p.buf, p.n
		for k, c := range blk {
			if e := idx[k]; e != 0 {
				*(*[24]byte)(buf[n:]) = esc[e]
				n += int(elen[e])
			} else {
				p.n = n
				p.colour(i + k)
				n = p.n
			}
			buf[n] = c
			*(*[8]byte)(buf[n+1:]) = rst
			n += 6
		}
		p.n, p.i = n, i+len(blk)
	}
}

// buildTrueEsc lists the distinct RGB triples of the table (about 1500)
// with their escape strings, so the hot loop copies one string per unit.
func (p *painter) buildTrueEsc() {
	p.tabTrue = make([]uint16, tabBins)
	p.trueEsc = make([][24]byte, 1, 2048)
	p.trueLen = make([]uint8, 1, 2048)
	seen := make(map[uint32]uint16)
	lead := "\x1b[38;2;"
	if p.invert {
		lead = "\x1b[48;2;"
	}
	for b, e := range p.tabRGB {
		if e&unsafeBit != 0 {
			continue
		}
		k, ok := seen[e]
		if !ok {
			var s [24]byte
			n := copy(s[:], lead)
			r, g, bl := uint8(e), uint8(e>>8), uint8(e>>16)
			n += copy(s[n:], p.decS[r][:p.decLen[r]])
			n += copy(s[n:], p.decS[g][:p.decLen[g]])
			n += copy(s[n:], p.decM[bl][:p.decLen[bl]])
			k = uint16(len(p.trueEsc))
			seen[e] = k
			p.trueEsc = append(p.trueEsc, s)
			p.trueLen = append(p.trueLen, uint8(n))
		}
		p.tabTrue[b] = k
	}
}

// escByte writes a byte belonging to an escape sequence.
func (p *painter) escByte(c byte) {
	p.writeByte(c)
	p.escPend = true
}

// finalLen is how many continuation bytes follow a lead byte.
func finalLen(c byte) int {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 1
	case c >= 0xE0 && c <= 0xEF:
		return 2
	case c >= 0xF0 && c <= 0xF4:
		return 3
	}
	return 0
}

// final consumes the character that ends an escape sequence.
func (p *painter) final(c byte) {
	p.escByte(c)
	if p.need = finalLen(c); p.need > 0 {
		p.st = stFinal
	} else {
		p.st = stNormal
	}
}

// slow handles the byte at s[k] (and maybe more), returning the next k.
func (p *painter) slow(s []byte, k int) int {
	c := s[k]
	if p.cpn > 0 {
		// Completing a character split across reads.
		p.cp[p.cpn] = c
		p.cpn++
		if !utf8.FullRune(p.cp[:p.cpn]) {
			return k + 1
		}
		r, size := utf8.DecodeRune(p.cp[:p.cpn])
		if r == utf8.RuneError && size == 1 {
			// Invalid: the lead and any continuation bytes are units of
			// their own; the byte just added is read again.
			p.bad = true
			for j := 0; j < p.cpn-1; j++ {
				p.char(p.cp[j : j+1])
			}
			p.cpn = 0
			return k
		}
		p.char(p.cp[:size])
		p.cpn = 0
		return k + 1
	}
	switch p.st {
	case stNormal:
		switch {
		case c == 0x1b:
			// An escape sequence ends a --wide cluster: its bytes go out
			// before the next character.
			p.clusterEnd()
			p.st = stEsc
		case c == '\t':
			for j := 0; j < 8; j++ {
				p.char(spaces8[:1])
			}
		case c < utf8.RuneSelf:
			p.char(s[k : k+1])
		default:
			if !utf8.FullRune(s[k:]) {
				p.cpn = copy(p.cp[:], s[k:])
				return len(s)
			}
			r, size := utf8.DecodeRune(s[k:])
			if r == utf8.RuneError && size == 1 {
				p.bad = true
			}
			p.char(s[k : k+size])
			return k + size
		}
	case stEsc:
		p.escByte(0x1b)
		switch {
		case c == '\t':
			p.write(spaces8[:])
			p.st = stInter
		case c >= 0x20 && c <= 0x2f:
			p.escByte(c)
			p.st = stInter
		case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
			p.escByte(c)
			p.st = stOSC
		case c == '[':
			p.escByte(c)
			p.st = stCSI
		default:
			p.final(c)
		}
	case stInter:
		switch {
		case c == '\t':
			p.write(spaces8[:])
		case c >= 0x20 && c <= 0x2f:
			p.escByte(c)
		default:
			p.final(c)
		}
	case stOSC:
		// The body runs to BEL or ESC, which are not part of it.
		j := k
		for j < len(s) && s[j] != 0x07 && s[j] != 0x1b && s[j] != '\t' {
			j++
		}
		if j > k {
			p.write(s[k:j])
			p.escPend = true
			return j
		}
		if c == '\t' {
			p.write(spaces8[:])
			return k + 1
		}
		p.st = stNormal
		return k
	case stCSI:
		switch {
		case c >= 0x30 && c <= 0x3f:
			p.escByte(c)
		case c == '\t':
			// The first of the eight spaces ends the sequence.
			p.escByte(' ')
			p.st = stNormal
			for j := 0; j < 7; j++ {
				p.char(spaces8[:1])
			}
		default:
			p.final(c)
		}
	case stFinal:
		if c >= 0x80 && c <= 0xBF {
			p.escByte(c)
			if p.need--; p.need == 0 {
				p.st = stNormal
			}
			return k + 1
		}
		p.need = 0
		p.st = stNormal
		return k
	}
	return k + 1
}

// endUnits ends the piece's units: leftovers, trailing escapes, and the
// empty unit every line ends with.
func (p *painter) endUnits() {
	if p.cut {
		// A forced -a cut: the parser state goes on in the next piece.
		p.cpn = 0
	}
	for j := 0; j < p.cpn; j++ {
		p.bad = true
		p.char(p.cp[j : j+1])
	}
	p.cpn = 0
	if p.st == stEsc && !p.cut {
		// A lone ESC at the end of a line is a character.
		p.char([]byte{0x1b})
	}
	p.clusterEnd()
	p.st = stNormal
	p.need = 0
	if p.escPend {
		p.empty()
	}
	p.empty()
}

// bookkeeping is lol.rb's offset update after a line (chomped = ended by
// "\n"): a piece cut by a chunk boundary moves the offset past itself and
// remembers where it was; the next line that ends with "\n" goes back.
func (p *painter) bookkeeping(chomped bool) {
	if !chomped {
		p.oldOs, p.oldN, p.oldInt = p.os, p.osN, p.osInt
		p.hasOld = true
		p.os = p.os + float64(p.i)/p.spread
		p.osInt = false
	} else if p.hasOld {
		p.os, p.osN, p.osInt = p.oldOs, p.oldN, p.oldInt
		p.hasOld = false
	}
}

// startFile resets the per-file state; the seed restarts, the
// remembered offset (@old_os) does not, as in lol.rb.
func (p *painter) startFile(seed float64) {
	p.os = seed
	p.osInt = false
	p.cln = 0
	p.pos = 0
	p.tail = tNone
	p.bad = false
	p.nlast = 0
	p.inPiece = false
	p.st = stNormal
	p.cpn = 0
	p.need = 0
	p.escPend = false
	p.line = p.line[:0]
	p.cut = false
	p.carry = parseSt{}
}

// startSeed is startFile with an Integer seed (lolcat -S).
func (p *painter) startSeed(seed int64) {
	p.startFile(float64(seed))
	p.osN, p.osInt = seed, true
}

func (p *painter) openPiece() {
	if p.osInt {
		p.osN++
		p.os = float64(p.osN)
	} else {
		p.os++
	}
	p.i = 0
	p.lastStart = 0
	p.inPiece = true
}

func (p *painter) closePiece(chomped bool) {
	if p.anim {
		p.animate(chomped)
	} else {
		p.endUnits()
		p.bookkeeping(chomped)
		if chomped {
			p.writeByte('\n')
		}
	}
	p.inPiece = false
}

// feed paints raw input bytes.
func (p *painter) feed(s []byte) {
	for len(s) > 0 && p.err == nil {
		seg := s
		if lim := chunk - int(p.pos%chunk); len(seg) > lim {
			seg = seg[:lim]
		}
		p.segment(seg)
		p.tail = advanceTail(p.tail, seg)
		p.keepLast(seg)
		p.pos += int64(len(seg))
		s = s[len(seg):]
		if p.pos%chunk == 0 {
			p.boundary()
		}
	}
}

func (p *painter) segment(seg []byte) {
	for len(seg) > 0 {
		if !p.inPiece {
			p.openPiece()
		}
		j := bytes.IndexByte(seg, '\n')
		if j < 0 {
			p.lineText(seg)
			return
		}
		p.lineText(seg[:j])
		p.closePiece(true)
		seg = seg[j+1:]
	}
}

func (p *painter) lineText(s []byte) {
	if p.anim {
		if need := len(p.line) + len(s) + 7*bytes.Count(s, []byte{'\t'}); need > cap(p.line) {
			// Grow by doubling: append's 1.25x steps on a long piece
			// would allocate several times its size in total.
			l := make([]byte, len(p.line), max(2*cap(p.line), need, 4096))
			copy(l, p.line)
			p.line = l
		}
		for _, c := range s {
			if c == '\t' {
				p.line = append(p.line, spaces8[:]...)
			} else {
				p.line = append(p.line, c)
			}
		}
		return
	}
	p.text(s)
}

func (p *painter) keepLast(seg []byte) {
	for _, c := range seg[max(0, len(seg)-3):] {
		if p.nlast == 3 {
			p.last3[0], p.last3[1] = p.last3[1], p.last3[2]
			p.nlast = 2
		}
		p.last3[p.nlast] = c
		p.nlast++
	}
}

// midChar reports whether the stream ends inside a UTF-8 character.
func (p *painter) midChar() bool {
	t := p.last3[:p.nlast]
	for j := len(t) - 1; j >= 0; j-- {
		c := t[j]
		if c < 0x80 {
			return false
		}
		if c >= 0xC0 {
			return !utf8.FullRune(t[j:])
		}
	}
	return false
}

// boundary is a 4096-byte chunk end: Ruby processes what it has read
// unless it ends inside a character or an escape sequence.
func (p *painter) boundary() {
	if p.bad || p.midChar() || p.tail != tNone {
		// Ruby keeps reading: it prints the piece whole once a chunk ends
		// on a complete character outside an escape sequence, or drops
		// it all if that never happens (p.bad: it cannot). Without -a
		// moobox streams the piece anyway. With -a it holds the piece to
		// repaint it, so it holds it as Ruby does up to animMax bytes
		// (animCut once the input is known to be invalid) and then cuts,
		// carrying a split character or escape sequence over whole.
		lim := animMax
		if p.bad {
			lim = animCut
		}
		if !p.anim || !p.inPiece || len(p.line) < lim {
			return
		}
		p.cut = true
	}
	if p.inPiece {
		p.closePiece(false)
	}
	p.cut = false
}

// animCut and animMax bound the piece -a holds where Ruby would hold more:
// animCut for input Ruby can never print (invalid UTF-8), animMax for
// valid input still inside a character or an escape sequence.
const (
	animCut = 64 << 10
	animMax = 1 << 20
)

// finish ends the file: a last line without "\n" is a piece.
func (p *painter) finish() {
	if !p.inPiece && p.carry != (parseSt{}) {
		// A forced cut at the very end left a split character or a lone
		// ESC waiting: paint it as its own piece rather than lose it.
		p.openPiece()
	}
	if p.inPiece {
		p.closePiece(false)
	}
}

// advanceTail tracks whether the input so far ends the way lol.rb's
// INCOMPLETE_ESCAPE matches: only the text after the last ESC matters.
func advanceTail(st uint8, seg []byte) uint8 {
	if j := bytes.LastIndexByte(seg, 0x1b); j >= 0 {
		st = tEsc
		seg = seg[j+1:]
	}
	for k, c := range seg {
		switch st {
		case tNone:
			return tNone
		case tOSC:
			if bytes.IndexByte(seg[k:], 0x07) >= 0 {
				return tNone
			}
			return tOSC
		case tEsc:
			switch {
			case c >= 0x20 && c <= 0x2f:
				st = tInter
			case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
				st = tOSC
			case c == '[':
				st = tCSI
			default:
				return tNone
			}
		case tInter:
			if c < 0x20 || c > 0x2f {
				return tNone
			}
		case tCSI:
			if c < 0x30 || c > 0x3f {
				return tNone
			}
		}
	}
	return st
}

// animate is lol.rb's println_ani: the line is painted duration times
// over itself, moving the rainbow by spread each time.
func (p *painter) animate(chomped bool) {
	line := p.line
	if len(line) > 0 || p.carry != (parseSt{}) {
		p.writeString("\x1b7")
		real, realN, realInt := p.os, p.osN, p.osInt
		in, out := p.carry, parseSt{}
		for f := 0; f < p.duration && p.err == nil; f++ {
			p.writeString("\x1b8")
			p.os += p.spread
			p.osInt = false
			p.i, p.lastStart = 0, 0
			p.st, p.cp, p.cpn, p.need, p.escPend = in.st, in.cp, in.cpn, in.need, false
			p.text(line)
			if p.cut {
				out = parseSt{st: p.st, need: p.need, cp: p.cp, cpn: p.cpn}
			}
			p.endUnits()
			p.bookkeeping(chomped)
			line = stripErase(line)
			p.flush()
			p.sleep(time.Duration(float64(time.Second) / p.speed))
		}
		p.carry = out
		p.os, p.osN, p.osInt = real, realN, realInt
	}
	if chomped {
		p.writeByte('\n')
	}
	p.line = p.line[:0]
}

// stripErase removes ESC [ [0-?]* [@JKPX] sequences, which would erase
// the previous frame. It works in place: the output is never longer.
func stripErase(s []byte) []byte {
	out := s[:0]
	for k := 0; k < len(s); {
		if s[k] == 0x1b && k+1 < len(s) && s[k+1] == '[' {
			j := k + 2
			for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3f {
				j++
			}
			if j < len(s) && (s[j] == '@' || s[j] == 'J' || s[j] == 'K' || s[j] == 'P' || s[j] == 'X') {
				k = j + 1
				continue
			}
		}
		out = append(out, s[k])
		k++
	}
	return out
}
