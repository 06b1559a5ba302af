package squashfs

// An xz (LZMA2) encoder for single squashfs blocks. ulikunitz/xz's greedy
// encoder makes images about 10% larger than mksquashfs's (liblzma preset 6);
// this one parses each stretch of input optimally by price, as liblzma's
// normal mode does, which brings the size within a few percent. It writes
// the subset of the format the kernel's decoder needs: one LZMA2 filter
// (lc=3 lp=0 pb=2), a CRC32 check, no BCJ filter.

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/bits"
	"slices"
	"sync"
)

const (
	lzStates     = 12
	lzPosBits    = 2
	lzPosStates  = 1 << lzPosBits
	lzLitCtxBits = 3
	lzMatchMin   = 2
	lzMatchMax   = 273
	lzNiceLen    = 32
	lzDepth      = 20 // 32 was 1.03-1.04x mksquashfs's time on the rootfs for 0.25% less size
	// Past this length the parser tries only a match's full length: the
	// intermediate ones rarely win and cost most of the time.
	lzAllLens  = 24
	lzOptN     = 4096
	lzChunkUnc = 1 << 15 // uncompressed bytes per LZMA2 chunk (compressed must stay < 64 KiB)
	probInit   = 1024
	priceInf   = 1 << 30
)

type lenCoder struct {
	choice, choice2 uint16
	low, mid        [lzPosStates][8]uint16
	high            [256]uint16
}

type lzProbs struct {
	isMatch    [lzStates][lzPosStates]uint16
	isRep      [lzStates]uint16
	isRepG0    [lzStates]uint16
	isRepG1    [lzStates]uint16
	isRepG2    [lzStates]uint16
	isRep0Long [lzStates][lzPosStates]uint16
	literal    [0x300 << lzLitCtxBits]uint16
	distSlot   [4][64]uint16
	distSpec   [115]uint16 // index 0 unused: the reverse trees index from 1
	align      [16]uint16
	matchLen   lenCoder
	repLen     lenCoder
}

type rangeEnc struct {
	low       uint64
	rng       uint32
	cache     byte
	cacheSize int64
	out       []byte
}

func (rc *rangeEnc) reset() {
	rc.low, rc.rng, rc.cache, rc.cacheSize = 0, 0xffffffff, 0, 1
}

func (rc *rangeEnc) shiftLow() {
	if uint32(rc.low) < 0xff000000 || rc.low>>32 != 0 {
		carry := byte(rc.low >> 32)
		t := rc.cache
		for {
			rc.out = append(rc.out, t+carry)
			t = 0xff
			if rc.cacheSize--; rc.cacheSize == 0 {
				break
			}
		}
		rc.cache = byte(rc.low >> 24)
	}
	rc.cacheSize++
	rc.low = (rc.low & 0x00ffffff) << 8
}

func (rc *rangeEnc) bit(p *uint16, b uint32) {
	bound := (rc.rng >> 11) * uint32(*p)
	if b == 0 {
		rc.rng = bound
		*p += (2048 - *p) >> 5
	} else {
		rc.low += uint64(bound)
		rc.rng -= bound
		*p -= *p >> 5
	}
	for rc.rng < 1<<24 {
		rc.rng <<= 8
		rc.shiftLow()
	}
}

func (rc *rangeEnc) direct(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		rc.rng >>= 1
		if (v>>i)&1 != 0 {
			rc.low += uint64(rc.rng)
		}
		for rc.rng < 1<<24 {
			rc.rng <<= 8
			rc.shiftLow()
		}
	}
}

func (rc *rangeEnc) flush() {
	for range 5 {
		rc.shiftLow()
	}
}

// pending is an upper bound of the bytes the chunk will take when flushed.
func (rc *rangeEnc) pending() int { return len(rc.out) + int(rc.cacheSize) + 5 }

func (rc *rangeEnc) tree(probs []uint16, n int, sym uint32) {
	m := uint32(1)
	for i := n - 1; i >= 0; i-- {
		b := (sym >> i) & 1
		rc.bit(&probs[m], b)
		m = m<<1 | b
	}
}

func (rc *rangeEnc) reverseTree(probs []uint16, n int, sym uint32) {
	m := uint32(1)
	for range n {
		b := sym & 1
		sym >>= 1
		rc.bit(&probs[m], b)
		m = m<<1 | b
	}
}

// Prices are in 1/16 bit.
var lzPriceTable = sync.OnceValue(func() *[128]uint32 {
	var t [128]uint32
	for i := range t {
		p := (float64(i)*16 + 8) / 2048
		t[i] = uint32(math.Round(-math.Log2(p) * 16))
	}
	return &t
})

type lzEnc struct {
	p      lzProbs
	state  int
	reps   [4]uint32
	rc     rangeEnc
	prices *[128]uint32

	data       []byte
	head4      []int32
	head3      []int32
	head2      []int32
	chain      []int32
	matches    []lzMatch
	opt        []optNode
	lenPrices  [2][lzPosStates][lzMatchMax + 1]uint32
	slotPrices [4][64]uint32
	distPrices [4][128]uint32
	alPrices   [16]uint32
	sinceTable int
	dictSize   int
	depth      int  // hash chain candidates to try
	noLen2     bool // zstd has no matches of length 2: skip their table
}

type lzMatch struct {
	len  int
	dist uint32 // distance - 1
}

type optNode struct {
	price uint32
	prev  int32
	kind  int8 // 0 literal, 1 match, 2 rep, 3 short rep
	rep   int8
	len   uint16
	dist  uint32
	state uint8
	reps  [4]uint32
}

func (e *lzEnc) p0(p uint16) uint32 { return e.prices[p>>4] }
func (e *lzEnc) p1(p uint16) uint32 { return e.prices[(2048-p)>>4] }

func (e *lzEnc) treePrice(probs []uint16, n int, sym uint32) uint32 {
	var s uint32
	m := uint32(1)
	for i := n - 1; i >= 0; i-- {
		b := (sym >> i) & 1
		if b == 0 {
			s += e.p0(probs[m])
		} else {
			s += e.p1(probs[m])
		}
		m = m<<1 | b
	}
	return s
}

func (e *lzEnc) reverseTreePrice(probs []uint16, n int, sym uint32) uint32 {
	var s uint32
	m := uint32(1)
	for range n {
		b := sym & 1
		sym >>= 1
		if b == 0 {
			s += e.p0(probs[m])
		} else {
			s += e.p1(probs[m])
		}
		m = m<<1 | b
	}
	return s
}

func (e *lzEnc) refreshPrices() {
	for k, lc := range []*lenCoder{&e.p.matchLen, &e.p.repLen} {
		for ps := range lzPosStates {
			t := &e.lenPrices[k][ps]
			c0, c1 := e.p0(lc.choice), e.p1(lc.choice)
			c10, c11 := c1+e.p0(lc.choice2), c1+e.p1(lc.choice2)
			for l := 0; l < 8; l++ {
				t[l+2] = c0 + e.treePrice(lc.low[ps][:], 3, uint32(l))
				t[l+10] = c10 + e.treePrice(lc.mid[ps][:], 3, uint32(l))
			}
			for l := 16; l <= lzMatchMax-2; l++ {
				t[l+2] = c11 + e.treePrice(lc.high[:], 8, uint32(l-16))
			}
		}
	}
	for ls := range 4 {
		for slot := range 64 {
			p := e.treePrice(e.p.distSlot[ls][:], 6, uint32(slot))
			if slot >= 14 {
				p += uint32((slot>>1)-1-4) << 4
			}
			e.slotPrices[ls][slot] = p
		}
		for d := range 128 {
			slot := distSlot(uint32(d))
			p := e.slotPrices[ls][slot]
			if slot >= 4 {
				fb := (slot >> 1) - 1
				base := (2 | slot&1) << fb
				p += e.reverseTreePrice(e.p.distSpec[base-slot:], fb, uint32(d-base))
			}
			e.distPrices[ls][d] = p
		}
	}
	for i := range 16 {
		e.alPrices[i] = e.reverseTreePrice(e.p.align[:], 4, uint32(i))
	}
	e.sinceTable = 0
}

func distSlot(d uint32) int {
	if d < 4 {
		return int(d)
	}
	n := bits.Len32(d) - 1
	return 2*n + int((d>>(n-1))&1)
}

func (e *lzEnc) distPrice(d uint32, l int) uint32 {
	ls := min(l-2, 3)
	if d < 128 {
		return e.distPrices[ls][d]
	}
	return e.slotPrices[ls][distSlot(d)] + e.alPrices[d&15]
}

func (e *lzEnc) matchedLitPrice(probs []uint16, sym, matchByte uint32) uint32 {
	var s uint32
	offs := uint32(0x100)
	m := uint32(1)
	matchByte <<= 1
	for i := 7; i >= 0; i-- {
		matchBit := matchByte & offs
		matchByte <<= 1
		b := (sym >> i) & 1
		idx := offs + matchBit + m
		if b == 0 {
			s += e.p0(probs[idx])
			offs &^= matchBit
		} else {
			s += e.p1(probs[idx])
			offs &= matchBit
		}
		m = m<<1 | b
	}
	return s
}

func (e *lzEnc) litPriceRep(state, pos int, rep0 uint32) uint32 {
	prev := byte(0)
	if pos > 0 {
		prev = e.data[pos-1]
	}
	probs := e.p.literal[0x300*int(prev>>(8-lzLitCtxBits)):]
	sym := uint32(e.data[pos])
	if state < 7 || pos <= int(rep0) {
		return e.treePrice(probs, 8, sym)
	}
	return e.matchedLitPrice(probs, sym, uint32(e.data[pos-int(rep0)-1]))
}

func (e *lzEnc) encLiteral(pos int) {
	prev := byte(0)
	if pos > 0 {
		prev = e.data[pos-1]
	}
	probs := e.p.literal[0x300*int(prev>>(8-lzLitCtxBits)):]
	sym := uint32(e.data[pos])
	if e.state < 7 || pos <= int(e.reps[0]) {
		e.rc.tree(probs, 8, sym)
	} else {
		matchByte := uint32(e.data[pos-int(e.reps[0])-1]) << 1
		offs := uint32(0x100)
		m := uint32(1)
		for i := 7; i >= 0; i-- {
			matchBit := matchByte & offs
			matchByte <<= 1
			b := (sym >> i) & 1
			e.rc.bit(&probs[offs+matchBit+m], b)
			if b == 0 {
				offs &^= matchBit
			} else {
				offs &= matchBit
			}
			m = m<<1 | b
		}
	}
	switch {
	case e.state < 4:
		e.state = 0
	case e.state < 10:
		e.state -= 3
	default:
		e.state -= 6
	}
}

func (e *lzEnc) encLen(lc *lenCoder, l, ps int) {
	l -= lzMatchMin
	switch {
	case l < 8:
		e.rc.bit(&lc.choice, 0)
		e.rc.tree(lc.low[ps][:], 3, uint32(l))
	case l < 16:
		e.rc.bit(&lc.choice, 1)
		e.rc.bit(&lc.choice2, 0)
		e.rc.tree(lc.mid[ps][:], 3, uint32(l-8))
	default:
		e.rc.bit(&lc.choice, 1)
		e.rc.bit(&lc.choice2, 1)
		e.rc.tree(lc.high[:], 8, uint32(l-16))
	}
}

func (e *lzEnc) encMatch(d uint32, l, ps int) {
	e.rc.bit(&e.p.isMatch[e.state][ps], 1)
	e.rc.bit(&e.p.isRep[e.state], 0)
	e.encLen(&e.p.matchLen, l, ps)
	slot := distSlot(d)
	e.rc.tree(e.p.distSlot[min(l-2, 3)][:], 6, uint32(slot))
	if slot >= 4 {
		fb := (slot >> 1) - 1
		base := uint32(2|slot&1) << fb
		red := d - base
		if slot < 14 {
			e.rc.reverseTree(e.p.distSpec[int(base)-slot:], fb, red)
		} else {
			e.rc.direct(red>>4, fb-4)
			e.rc.reverseTree(e.p.align[:], 4, red&15)
		}
	}
	e.reps = [4]uint32{d, e.reps[0], e.reps[1], e.reps[2]}
	if e.state < 7 {
		e.state = 7
	} else {
		e.state = 10
	}
}

func (e *lzEnc) encRep(ri, l, ps int) {
	e.rc.bit(&e.p.isMatch[e.state][ps], 1)
	e.rc.bit(&e.p.isRep[e.state], 1)
	if ri == 0 {
		e.rc.bit(&e.p.isRepG0[e.state], 0)
		e.rc.bit(&e.p.isRep0Long[e.state][ps], 1)
	} else {
		e.rc.bit(&e.p.isRepG0[e.state], 1)
		if ri == 1 {
			e.rc.bit(&e.p.isRepG1[e.state], 0)
		} else {
			e.rc.bit(&e.p.isRepG1[e.state], 1)
			e.rc.bit(&e.p.isRepG2[e.state], uint32(ri-2))
		}
		d := e.reps[ri]
		copy(e.reps[1:ri+1], e.reps[:ri])
		e.reps[0] = d
	}
	e.encLen(&e.p.repLen, l, ps)
	if e.state < 7 {
		e.state = 8
	} else {
		e.state = 11
	}
}

func (e *lzEnc) encShortRep(ps int) {
	e.rc.bit(&e.p.isMatch[e.state][ps], 1)
	e.rc.bit(&e.p.isRep[e.state], 1)
	e.rc.bit(&e.p.isRepG0[e.state], 0)
	e.rc.bit(&e.p.isRep0Long[e.state][ps], 0)
	if e.state < 7 {
		e.state = 9
	} else {
		e.state = 11
	}
}

func (e *lzEnc) matchLen(a, b, limit int) int { return matchLenAt(e.data, a, b, limit) }

// Small hash tables: they are touched at every position, and cache misses
// cost more than the collisions.
const (
	lzHash4Bits = 16
	lzHash3Bits = 14
	lzHash2Bits = 12
)

func hash3(d []byte, p int) uint32 {
	return (uint32(d[p]) | uint32(d[p+1])<<8 | uint32(d[p+2])<<16) * 2654435761 >> (32 - lzHash3Bits)
}

func hash2(d []byte, p int) uint32 {
	return uint32(binary.LittleEndian.Uint16(d[p:])) * 2654435761 >> (32 - lzHash2Bits)
}

func hash4(d []byte, p int) uint32 {
	return binary.LittleEndian.Uint32(d[p:]) * 2654435761 >> (32 - lzHash4Bits)
}

// insert adds position p to the match finder without searching.
func (e *lzEnc) insert(p int) {
	if p+4 > len(e.data) {
		return
	}
	h := hash4(e.data, p)
	e.chain[p] = e.head4[h]
	e.head4[h] = int32(p)
	e.head3[hash3(e.data, p)] = int32(p)
	e.head2[hash2(e.data, p)] = int32(p)
}

// find returns the matches at p in order of increasing length, and inserts p.
func (e *lzEnc) find(p int) []lzMatch {
	ms := e.matches[:0]
	limit := min(lzMatchMax, len(e.data)-p)
	if limit < lzMatchMin || p+4 > len(e.data) {
		return ms
	}
	best := 1
	if !e.noLen2 {
		if c := int(e.head2[hash2(e.data, p)]); c >= 0 && p-c <= e.dictSize {
			if l := e.matchLen(p, c, limit); l > best {
				best = l
				ms = append(ms, lzMatch{l, uint32(p - c - 1)})
			}
		}
	}
	h3 := hash3(e.data, p)
	if c := int(e.head3[h3]); c >= 0 && p-c <= e.dictSize && best < limit && e.data[c+best] == e.data[p+best] {
		if l := e.matchLen(p, c, limit); l > best {
			best = l
			if len(ms) > 0 && ms[len(ms)-1].dist == uint32(p-c-1) {
				ms[len(ms)-1].len = l
			} else {
				ms = append(ms, lzMatch{l, uint32(p - c - 1)})
			}
		}
	}
	e.head3[h3] = int32(p)
	h := hash4(e.data, p)
	c := int(e.head4[h])
	for depth := e.depth; c >= 0 && depth > 0 && best < limit; depth-- {
		if p-c > e.dictSize {
			break
		}
		if e.data[c+best] == e.data[p+best] {
			if l := e.matchLen(p, c, limit); l > best {
				best = l
				if len(ms) > 0 && ms[len(ms)-1].dist == uint32(p-c-1) {
					ms[len(ms)-1].len = l
				} else {
					ms = append(ms, lzMatch{l, uint32(p - c - 1)})
				}
				if l >= lzNiceLen {
					break
				}
			}
		}
		c = int(e.chain[c])
	}
	e.chain[p] = e.head4[h]
	e.head4[h] = int32(p)
	e.head2[hash2(e.data, p)] = int32(p)
	e.matches = ms
	return ms
}

func nextState(kind int8, s uint8) uint8 {
	switch kind {
	case 0:
		switch {
		case s < 4:
			return 0
		case s < 10:
			return s - 3
		default:
			return s - 6
		}
	case 1:
		if s < 7 {
			return 7
		}
		return 10
	case 2:
		if s < 7 {
			return 8
		}
		return 11
	}
	if s < 7 {
		return 9
	}
	return 11
}

// segment parses from p0 to a point where no chosen match crosses, by
// lowest price, and encodes it. It returns the new position.
func (e *lzEnc) segment(p0 int) int {
	n := len(e.data)
	opt := e.opt
	opt[0] = optNode{state: uint8(e.state), reps: e.reps}
	end := 0
	last := 0
	for cur := 0; ; cur++ {
		if cur > 0 {
			if cur == end {
				last = cur
				break
			}
			nd := &opt[cur]
			pv := &opt[nd.prev]
			nd.state = nextState(nd.kind, pv.state)
			nd.reps = pv.reps
			switch nd.kind {
			case 1:
				nd.reps = [4]uint32{nd.dist, pv.reps[0], pv.reps[1], pv.reps[2]}
			case 2:
				ri := nd.rep
				d := pv.reps[ri]
				copy(nd.reps[1:ri+1], pv.reps[:ri])
				nd.reps[0] = d
			}
		}
		pos := p0 + cur
		if pos >= n {
			last = cur
			break
		}
		if cur >= lzOptN-lzMatchMax-2 {
			last = cur
			break
		}
		nd := &opt[cur]
		s, ps := int(nd.state), pos&(lzPosStates-1)
		ms := e.find(pos)
		set := func(j int, price uint32, kind int8, rep int8, l int, d uint32) {
			for end < j {
				end++
				opt[end].price = priceInf
			}
			if o := &opt[j]; price < o.price {
				o.price, o.prev, o.kind, o.rep, o.len, o.dist = price, int32(cur), kind, rep, uint16(l), d
			}
		}
		base := nd.price
		reps := nd.reps
		// literal
		set(cur+1, base+e.p0(e.p.isMatch[s][ps])+e.litPriceRep(s, pos, reps[0]), 0, 0, 1, 0)
		m1 := base + e.p1(e.p.isMatch[s][ps])
		r1 := m1 + e.p1(e.p.isRep[s])
		limit := min(lzMatchMax, n-pos)
		// short rep
		if pos > int(reps[0]) && e.data[pos] == e.data[pos-int(reps[0])-1] {
			set(cur+1, r1+e.p0(e.p.isRepG0[s])+e.p0(e.p.isRep0Long[s][ps]), 3, 0, 1, 0)
		}
		rep0Len := 0
		for ri := range 4 {
			d := int(reps[ri])
			if pos <= d || limit < 2 {
				continue
			}
			l := e.matchLen(pos, pos-d-1, limit)
			if l < 2 {
				continue
			}
			var rp uint32
			switch ri {
			case 0:
				rp = e.p0(e.p.isRepG0[s]) + e.p1(e.p.isRep0Long[s][ps])
			case 1:
				rp = e.p1(e.p.isRepG0[s]) + e.p0(e.p.isRepG1[s])
			default:
				rp = e.p1(e.p.isRepG0[s]) + e.p1(e.p.isRepG1[s]) + e.p0(e.p.isRepG2[s])
				if ri == 3 {
					rp = e.p1(e.p.isRepG0[s]) + e.p1(e.p.isRepG1[s]) + e.p1(e.p.isRepG2[s])
				}
			}
			if l >= lzNiceLen {
				// Take a long repeat at once.
				set(cur+l, r1+rp+e.lenPrices[1][ps][l], 2, int8(ri), l, 0)
				for k := 1; k < l; k++ {
					e.insert(pos + k)
				}
				last = cur + l
				return e.emit(p0, last)
			}
			if ri == 0 {
				rep0Len = l
			}
			for k := 2; k <= l; k++ {
				if k > lzAllLens && k < l {
					k = l
				}
				set(cur+k, r1+rp+e.lenPrices[1][ps][k], 2, int8(ri), k, 0)
			}
		}
		if len(ms) > 0 {
			mb := m1 + e.p0(e.p.isRep[s])
			top := ms[len(ms)-1]
			if top.len >= lzNiceLen {
				set(cur+top.len, mb+e.lenPrices[0][ps][top.len]+e.distPrice(top.dist, top.len), 1, 0, top.len, top.dist)
				for k := 1; k < top.len; k++ {
					e.insert(pos + k)
				}
				last = cur + top.len
				return e.emit(p0, last)
			}
			// Lengths a rep0 match covers are almost never cheaper as a
			// new match (liblzma skips them too).
			l := max(2, rep0Len+1)
			lp := &e.lenPrices[0][ps]
			for _, m := range ms {
				var dp [4]uint32
				for ls := range dp {
					dp[ls] = mb + e.distPrice(m.dist, ls+2)
				}
				for ; l <= m.len; l++ {
					if l > lzAllLens && l < m.len {
						l = m.len // long matches: their full length only
					}
					price := dp[min(l-2, 3)] + lp[l]
					j := cur + l
					for end < j {
						end++
						opt[end].price = priceInf
					}
					if o := &opt[j]; price < o.price {
						o.price, o.prev, o.kind, o.len, o.dist = price, int32(cur), 1, uint16(l), m.dist
					}
				}
			}
		}
	}
	return e.emit(p0, last)
}

// emit encodes the best path to opt[last] and returns p0+last.
func (e *lzEnc) emit(p0, last int) int {
	opt := e.opt
	// Reverse the back links into forward order, reusing prev as next.
	next := int32(-1)
	for i := int32(last); ; {
		pv := opt[i].prev
		opt[i].prev = next
		next = i
		if i == 0 {
			break
		}
		i = pv
	}
	pos := p0
	for i := opt[0].prev; i >= 0; i = opt[i].prev {
		nd := &opt[i]
		ps := pos & (lzPosStates - 1)
		switch nd.kind {
		case 0:
			e.rc.bit(&e.p.isMatch[e.state][ps], 0)
			e.encLiteral(pos)
		case 1:
			e.encMatch(nd.dist, int(nd.len), ps)
		case 2:
			e.encRep(int(nd.rep), int(nd.len), ps)
		case 3:
			e.encShortRep(ps)
		}
		pos += int(nd.len)
	}
	e.sinceTable += last
	return p0 + last
}

func (e *lzEnc) resetProbs() {
	p := &e.p
	for _, a := range [][]uint16{p.isRep[:], p.isRepG0[:], p.isRepG1[:], p.isRepG2[:], p.literal[:], p.distSpec[:], p.align[:]} {
		for i := range a {
			a[i] = probInit
		}
	}
	for s := range lzStates {
		for i := range lzPosStates {
			p.isMatch[s][i], p.isRep0Long[s][i] = probInit, probInit
		}
	}
	for i := range p.distSlot {
		for j := range p.distSlot[i] {
			p.distSlot[i][j] = probInit
		}
	}
	for _, lc := range []*lenCoder{&p.matchLen, &p.repLen} {
		lc.choice, lc.choice2 = probInit, probInit
		for i := range lzPosStates {
			for j := range 8 {
				lc.low[i][j], lc.mid[i][j] = probInit, probInit
			}
		}
		for i := range lc.high {
			lc.high[i] = probInit
		}
	}
	e.state = 0
	e.reps = [4]uint32{}
}

// initFinder prepares the match finder for src.
func (e *lzEnc) initFinder(src []byte, dictSize int) {
	if e.head4 == nil {
		e.head4 = make([]int32, 1<<lzHash4Bits)
		e.head3 = make([]int32, 1<<lzHash3Bits)
		e.head2 = make([]int32, 1<<lzHash2Bits)
		e.matches = make([]lzMatch, 0, 64)
	}
	e.data, e.dictSize = src, dictSize
	if e.depth == 0 {
		e.depth = lzDepth
	}
	if cap(e.chain) < len(src) {
		e.chain = make([]int32, len(src))
	}
	e.chain = e.chain[:len(src)]
	for _, h := range [][]int32{e.head4, e.head3, e.head2} {
		for i := range h {
			h[i] = -1
		}
	}
}

type finderState struct{ h4, h3, h2 []int32 }

// saveFinder snapshots the hash heads so that positions from start on can
// be searched again after restoreFinder (chain entries below start are not
// touched by a search from start).
func (e *lzEnc) saveFinder(start, end int) *finderState {
	return &finderState{slices.Clone(e.head4), slices.Clone(e.head3), slices.Clone(e.head2)}
}

func (e *lzEnc) restoreFinder(f *finderState, start, end int) {
	copy(e.head4, f.h4)
	copy(e.head3, f.h3)
	copy(e.head2, f.h2)
}

// lzma2 compresses src into an LZMA2 stream (ending with its end marker).
func (e *lzEnc) lzma2(src []byte, dst []byte) []byte {
	if e.prices == nil {
		e.prices = lzPriceTable()
		e.opt = make([]optNode, lzOptN+1)
	}
	e.initFinder(src, e.dictSize)
	e.resetProbs()
	e.refreshPrices()
	pos := 0
	first := true
	for pos < len(src) {
		start := pos
		e.rc.reset()
		e.rc.out = e.rc.out[:0]
		for pos < len(src) && pos-start < lzChunkUnc && e.rc.pending() < 60000 {
			if e.sinceTable >= 8192 {
				e.refreshPrices()
			}
			pos = e.segment(pos)
		}
		e.rc.flush()
		u, c := pos-start-1, len(e.rc.out)-1
		ctl := byte(0x80)
		if first {
			ctl = 0xe0
		}
		dst = append(dst, ctl|byte(u>>16), byte(u>>8), byte(u), byte(c>>8), byte(c))
		if first {
			dst = append(dst, (lzPosBits*5+0)*9+lzLitCtxBits)
			first = false
		}
		dst = append(dst, e.rc.out...)
	}
	return append(dst, 0)
}

// xzBlock wraps src, compressed, in a complete single-block xz stream.
func (e *lzEnc) xzBlock(src []byte, dictSize int) []byte {
	e.dictSize = dictSize
	le := binary.LittleEndian
	out := []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 1}
	out = le.AppendUint32(out, crc32.ChecksumIEEE([]byte{0, 1}))
	// Block header: size, flags (one filter, no sizes), LZMA2 filter with
	// its dictionary size, padding, CRC32.
	dictByte := byte(2 * (bits.Len(uint(dictSize)) - 1 - 12))
	hdr := []byte{3, 0, 0x21, 1, dictByte, 0, 0, 0}
	hdr[0] = byte(len(hdr)+4)/4 - 1
	out = append(out, hdr...)
	out = le.AppendUint32(out, crc32.ChecksumIEEE(hdr))
	blockStart := len(out) - len(hdr) - 4
	out = e.lzma2(src, out)
	unpadded := len(out) - blockStart + 4
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	out = le.AppendUint32(out, crc32.ChecksumIEEE(src))
	// Index: one record.
	idx := []byte{0, 1}
	idx = binary.AppendUvarint(idx, uint64(unpadded))
	idx = binary.AppendUvarint(idx, uint64(len(src)))
	for len(idx)%4 != 0 {
		idx = append(idx, 0)
	}
	idx = le.AppendUint32(idx, crc32.ChecksumIEEE(idx))
	out = append(out, idx...)
	// Footer: CRC32 of backward size and flags, backward size, flags, magic.
	var ftr [6]byte
	le.PutUint32(ftr[:], uint32(len(idx)/4-1))
	ftr[4], ftr[5] = 0, 1
	out = le.AppendUint32(out, crc32.ChecksumIEEE(ftr[:]))
	out = append(out, ftr[:]...)
	return append(out, 'Y', 'Z')
}
