package squashfs

// A zstd encoder for single squashfs blocks. klauspost/compress's best level
// makes images about 6% larger than mksquashfs's zstd level 15 (which, for
// 128 KiB inputs, is an optimal parser); this one has a binary-tree match
// finder (btfind.go) and a price-optimal parse in two passes (the first,
// on a 1 KiB sample, gives the second its first prices; the second
// reprices from its own statistics as it goes), and klauspost's huff0 for
// the literals. Each block is one frame (single segment, so the window is
// the content size, within the kernel's limit), in zstd blocks of at most
// 128 KiB, cut further where an entropy estimate says separate tables pay.

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"

	"github.com/klauspost/compress/huff0"
)

const (
	zsBlockMax   = 128 << 10
	zsNiceLen    = 32
	zsBinNiceLen = 22
	zsDepth      = 16
	zsMinMatch   = 3
	zsAllLens    = 24
	zsSampleMin  = 1 << 10
	zsSampleDiv  = 128
	zsRefresh    = 4 << 10
	zsSkipSlack  = 4 // 1/4 bit
	zsSplitDepth = 3
)

var (
	llBase = [36]uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}
	llBits = [36]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	mlBase = [53]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539}
	mlBits = [53]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
)

func llCode(ll uint32) int {
	if ll < 16 {
		return int(ll)
	}
	c := 16
	for c+1 < len(llBase) && llBase[c+1] <= ll {
		c++
	}
	return c
}

func mlCode(ml uint32) int {
	if ml-3 < 32 {
		return int(ml - 3)
	}
	c := 32
	for c+1 < len(mlBase) && mlBase[c+1] <= ml {
		c++
	}
	return c
}

type zsSeq struct {
	ll, ml, off uint32 // off is the real distance
}

type zsNode struct {
	price  uint32
	prev   int32
	len    uint16
	isLit  bool
	off    uint32
	reps   [3]uint32
	litRun uint32
}

// zsOV returns the offset value coding distance off after ll literals
// with repeat offsets r: 1 to 3 for the repeat codes, else off+3.
func zsOV(r *[3]uint32, ll, off uint32) uint32 {
	if ll > 0 {
		switch off {
		case r[0]:
			return 1
		case r[1]:
			return 2
		case r[2]:
			return 3
		}
	} else {
		switch off {
		case r[1]:
			return 1
		case r[2]:
			return 2
		case r[0] - 1:
			return 3
		}
	}
	return off + 3
}

// zsReps returns the repeat offsets after a sequence coded with ov.
func zsReps(r [3]uint32, ll, ov, off uint32) [3]uint32 {
	if ov > 3 {
		return [3]uint32{off, r[0], r[1]}
	}
	if ll == 0 {
		ov++
	}
	switch ov {
	case 1:
		return r
	case 2:
		return [3]uint32{r[1], r[0], r[2]}
	case 3:
		return [3]uint32{r[2], r[0], r[1]}
	}
	return [3]uint32{r[0] - 1, r[0], r[1]}
}

type zsCounts struct {
	lit [256]uint32
	ll  [36]uint32
	ml  [53]uint32
	of  [32]uint32
}

type zsEnc struct {
	cnt  zsCounts
	bt   btFinder
	opt  []zsNode
	seqs []zsSeq
	lits []byte
	litP [256]uint32
	llP  [36]uint32
	mlP  [53]uint32
	ofP  [32]uint32
	huff huff0.Scratch
	// The first pass's matches by position, reused by the second: the
	// match finder is half the work.
	recording bool
	mcStart   []int32
	mcN       []uint8
	mc        []lzMatch
	llPrice   [lzMatchMax + 2]uint32
	mlPrice   [lzMatchMax + 1]uint32
	frac      [64]uint8
	split     []byte
	text      bool
	cuts      []int
}

// log2x16 returns 16·log2(x) for x >= 1, from the fraction's top 6
// bits: math.Log2 at every repricing cost 2% of the time.
func (z *zsEnc) log2x16(x uint32) uint32 {
	if z.frac[63] == 0 {
		for i := range z.frac {
			z.frac[i] = uint8(math.Round(16 * math.Log2(1+float64(i)/64)))
		}
	}
	n := bits.Len32(x) - 1
	var m uint32
	if n >= 6 {
		m = x >> (n - 6) & 63
	} else {
		m = x << (6 - n) & 63
	}
	return uint32(n)*16 + uint32(z.frac[m])
}

// setPrices derives symbol prices from counts (+1 smoothing).
func (z *zsEnc) setPrices(dst []uint32, counts []uint32) {
	var total uint32
	for _, c := range counts {
		total += c + 1
	}
	lt := z.log2x16(total)
	for i, c := range counts {
		dst[i] = lt - z.log2x16(c+1)
	}
}

func (z *zsEnc) defaultPrices() {
	for i := range z.litP {
		z.litP[i] = 6 * 16
	}
	for i := range z.llP {
		z.llP[i] = 3*16 + uint32(llBits[i])*16
	}
	for i := range z.mlP {
		z.mlP[i] = 4*16 + uint32(mlBits[i])*16
	}
	for i := range z.ofP {
		z.ofP[i] = 5*16 + uint32(i)*16
	}
}

// statPrices sets prices from the sequences and literals of a first pass.
func (z *zsEnc) statPrices() {
	c := &z.cnt
	z.setPrices(z.litP[:], c.lit[:])
	z.setPrices(z.llP[:], c.ll[:])
	z.setPrices(z.mlP[:], c.ml[:])
	z.setPrices(z.ofP[:], c.of[:])
	for i := range z.llP {
		z.llP[i] += uint32(llBits[i]) * 16
	}
	for i := range z.mlP {
		z.mlP[i] += uint32(mlBits[i]) * 16
	}
	for i := range z.ofP {
		z.ofP[i] += uint32(i) * 16
	}
}

// count adds literals and sequences to the statistics; reps are the
// repeat offsets before seqs, for their offset codes.
func (z *zsEnc) count(lits []byte, seqs []zsSeq, reps [3]uint32) {
	c := &z.cnt
	for _, b := range lits {
		c.lit[b]++
	}
	for _, s := range seqs {
		c.ll[llCode(s.ll)]++
		c.ml[mlCode(s.ml)]++
		ov := zsOV(&reps, s.ll, s.off)
		c.of[bits.Len32(ov)-1]++
		reps = zsReps(reps, s.ll, ov, s.off)
	}
}

func (z *zsEnc) lenPrices() {
	for r := range z.llPrice {
		z.llPrice[r] = z.llP[llCode(uint32(r))]
	}
	for l := zsMinMatch; l < len(z.mlPrice); l++ {
		z.mlPrice[l] = z.mlP[mlCode(uint32(l))]
	}
}

// grow extends the parse's reach to node j, pricing the new nodes as
// unreachable.
func (z *zsEnc) grow(top *int, j int) {
	for t := *top; t < j; {
		t++
		z.opt[t].price = priceInf
		*top = t
	}
}

func load3(d []byte, p int) uint32 {
	_ = d[p+2]
	return uint32(d[p]) | uint32(d[p+1])<<8 | uint32(d[p+2])<<16
}

func (z *zsEnc) llCost(r uint32) uint32 {
	if r < uint32(len(z.llPrice)) {
		return z.llPrice[r]
	}
	return z.llP[llCode(r)]
}

// parse chooses sequences for data[start:end] (positions before start are
// history) by price, from repeat offsets reps, and returns the new ones.
func (z *zsEnc) parse(start, end int, reps [3]uint32) [3]uint32 {
	e := &z.bt
	z.seqs, z.lits = z.seqs[:0], z.lits[:0]
	litRun := uint32(0)
	litStart := start
	pos := start
	opt := z.opt
	d := e.data
	nextRefresh, nl, ns := zsRefresh, 0, 0
	cntReps := reps
	if !z.recording {
		z.cnt = zsCounts{}
	}
	for pos < end {
		// Start from the literal-length price already owed, so that the
		// incremental literal prices never go below zero.
		opt[0] = zsNode{price: z.llCost(litRun), reps: reps, litRun: litRun}
		last := 0
		top := 0
		for cur := 0; ; cur++ {
			if cur > 0 {
				if cur == top {
					last = cur
					break
				}
				nd := &opt[cur]
				pv := &opt[nd.prev]
				if nd.isLit {
					nd.reps, nd.litRun = pv.reps, pv.litRun+1
				} else {
					nd.reps = zsReps(pv.reps, pv.litRun, zsOV(&pv.reps, pv.litRun, nd.off), nd.off)
					nd.litRun = 0
				}
			}
			p := pos + cur
			if p >= end || cur >= lzOptN-lzMatchMax-2 {
				last = cur
				break
			}
			nd := &opt[cur]
			base := nd.price
			if top == cur {
				top++
				opt[top].price = priceInf
			}
			if lp := base + z.litP[d[p]] + z.llCost(nd.litRun+1) - z.llCost(nd.litRun); lp < opt[cur+1].price {
				o := &opt[cur+1]
				o.price, o.prev, o.isLit, o.len, o.off = lp, int32(cur), true, 1, 0
			}
			// As zstd's btopt does, search no further from a position
			// when the next one is already reached as cheaply (within
			// a quarter bit): a match from here would rarely win. Unlike
			// zstd, leave it out of the tree too, or in text half of
			// them (inserting costs a search): 0.3-0.5% larger, 10%
			// faster.
			if cur > 0 && !z.recording && opt[cur+1].price <= base+zsSkipSlack {
				if z.text && p&1 == 0 {
					z.matchesAt(p, start)
				}
				continue
			}
			ms := z.matchesAt(p, start)
			limit := min(lzMatchMax, end-p)
			if limit < 3 {
				continue
			}
			mb := base + z.llCost(0)
			repLen := 0
			cands := [4]uint32{nd.reps[0], nd.reps[1], nd.reps[2], 0}
			if nd.litRun == 0 {
				cands[3] = nd.reps[0] - 1
			}
			here := load3(d, p)
			for ci := range 4 {
				off := cands[ci]
				if off == 0 || int(off) > p || load3(d, p-int(off)) != here {
					continue
				}
				if ci > 0 && (off == cands[0] || ci > 1 && off == cands[1] || ci > 2 && off == cands[2]) {
					continue
				}
				l := 3 + matchLenAt(d, p+3, p+3-int(off), limit-3)
				op := mb + z.ofP[bits.Len32(zsOV(&nd.reps, nd.litRun, off))-1]
				if l >= z.bt.nice {
					l = z.longer(p, int(off), l, cur, end)
					z.grow(&top, cur+l)
					if pr := op + z.mlCost(l); pr < opt[cur+l].price {
						o := &opt[cur+l]
						o.price, o.prev, o.isLit, o.len, o.off = pr, int32(cur), false, uint16(l), off
					}
					for k := 1; k < l; k++ {
						z.skipAt(p+k, start)
					}
					top = cur + l
					last = top
					goto done
				}
				repLen = max(repLen, l)
				z.grow(&top, cur+l)
				for k := 3; k <= l; k++ {
					if k > zsAllLens && k < l {
						k = l
					}
					if pr := op + z.mlPrice[k]; pr < opt[cur+k].price {
						o := &opt[cur+k]
						o.price, o.prev, o.isLit, o.len, o.off = pr, int32(cur), false, uint16(k), off
					}
				}
			}
			if len(ms) > 0 {
				tm := ms[len(ms)-1]
				tm.len = min(tm.len, limit)
				if tm.len >= z.bt.nice {
					off := tm.dist + 1
					l := z.longer(p, int(off), tm.len, cur, end)
					z.grow(&top, cur+l)
					if pr := mb + z.ofP[bits.Len32(zsOV(&nd.reps, nd.litRun, off))-1] + z.mlCost(l); pr < opt[cur+l].price {
						o := &opt[cur+l]
						o.price, o.prev, o.isLit, o.len, o.off = pr, int32(cur), false, uint16(l), off
					}
					for k := 1; k < l; k++ {
						z.skipAt(p+k, start)
					}
					top = cur + l
					last = top
					goto done
				}
				z.grow(&top, cur+tm.len)
				l := max(zsMinMatch, repLen+1)
				for _, m := range ms {
					off := m.dist + 1
					op := mb + z.ofP[bits.Len32(zsOV(&nd.reps, nd.litRun, off))-1]
					ml := min(m.len, limit)
					for ; l <= ml; l++ {
						if l > zsAllLens && l < ml {
							l = ml
						}
						if pr := op + z.mlPrice[l]; pr < opt[cur+l].price {
							o := &opt[cur+l]
							o.price, o.prev, o.isLit, o.len, o.off = pr, int32(cur), false, uint16(l), off
						}
					}
				}
			}
		}
	done:
		// Walk back, then forward, emitting literals and sequences.
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
		p := pos
		for i := opt[0].prev; i >= 0; i = opt[i].prev {
			nd := &opt[i]
			if nd.isLit {
				p++
				litRun++
				continue
			}
			z.lits = append(z.lits, e.data[litStart:p]...)
			ll := uint32(p - litStart)
			z.seqs = append(z.seqs, zsSeq{ll: ll, ml: uint32(nd.len), off: nd.off})
			reps = zsReps(reps, ll, zsOV(&reps, ll, nd.off), nd.off)
			p += int(nd.len)
			litStart = p
			litRun = 0
		}
		pos += last
		// Reprice from the statistics of the block so far: they fit
		// the rest better than the sample's (0.3% smaller).
		if !z.recording && pos-start >= nextRefresh {
			z.count(z.lits[nl:], z.seqs[ns:], cntReps)
			cntReps = reps
			nl, ns = len(z.lits), len(z.seqs)
			z.statPrices()
			z.lenPrices()
			nextRefresh += zsRefresh
		}
	}
	z.lits = append(z.lits, e.data[litStart:end]...)
	return reps
}

// longer extends a match of length l at p, found up to the match
// finder's limit, as far as the data and the parse's node array allow:
// zstd matches have no such limit, and a run cut every 273 bytes costs a
// sequence each.
func (z *zsEnc) longer(p, off, l, cur, end int) int {
	if l < lzMatchMax {
		return l
	}
	limit := min(end-p, len(z.opt)-1-cur)
	return l + matchLenAt(z.bt.data, p+l, p+l-off, limit-l)
}

func (z *zsEnc) mlCost(l int) uint32 {
	if l < len(z.mlPrice) {
		return z.mlPrice[l]
	}
	return z.mlP[mlCode(uint32(l))]
}

// matchesAt returns the matches at p (block starting at start): found and
// recorded in the first pass, replayed in the second.
func (z *zsEnc) matchesAt(p, start int) []lzMatch {
	i := p - start
	if z.recording {
		ms := z.bt.find(p)
		z.mcStart[i], z.mcN[i] = int32(len(z.mc)), uint8(len(ms))
		z.mc = append(z.mc, ms...)
		return ms
	}
	if z.mcStart[i] >= 0 {
		return z.mc[z.mcStart[i] : z.mcStart[i]+int32(z.mcN[i])]
	}
	return z.bt.find(p)
}

// skipAt passes over p, inside a long match. The second pass leaves such
// positions out of the tree: inserting them costs a search each, for 0.7%
// of size on Go sources, and 12% of the time. The first pass records
// their matches, so that the second never inserts a position twice or
// out of order.
func (z *zsEnc) skipAt(p, start int) {
	if z.recording {
		z.matchesAt(p, start)
	}
}

// bitWriter writes a zstd forward bit stream (read backwards).
type bitWriter struct {
	acc uint64
	n   uint
	out []byte
}

func (w *bitWriter) add(v uint32, n uint8) {
	// Whole 32-bit words out: n is at most 31, so acc never overflows.
	w.acc |= uint64(v&(1<<n-1)) << w.n
	w.n += uint(n)
	if w.n >= 32 {
		w.out = binary.LittleEndian.AppendUint32(w.out, uint32(w.acc))
		w.acc >>= 32
		w.n -= 32
	}
}

// flush writes the pending bits, the last byte padded with zeros.
func (w *bitWriter) flush() []byte {
	for w.n > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.n -= min(w.n, 8)
	}
	return w.out
}

func (w *bitWriter) close() []byte {
	w.add(1, 1)
	return w.flush()
}

// fseTable is an FSE encoding table built from normalized counts.
type fseTable struct {
	log        uint8
	state      []uint16
	deltaBits  []uint32
	deltaState []int32
}

// normalize scales counts to sum to 1<<log, every used symbol at least 1.
func normalize(counts []uint32, total uint32, log uint8) []int16 {
	size := int32(1) << log
	norm := make([]int16, len(counts))
	var sum int32
	largest := 0
	for s, c := range counts {
		if c == 0 {
			continue
		}
		v := int32((uint64(c)*uint64(size) + uint64(total)/2) / uint64(total))
		v = max(v, 1)
		norm[s] = int16(v)
		sum += v
		if c > counts[largest] {
			largest = s
		}
	}
	for sum != size {
		if sum < size {
			norm[largest] += int16(size - sum)
			sum = size
			break
		}
		// Too many: take from the biggest entries above 1.
		b := -1
		for s, v := range norm {
			if v > 1 && (b < 0 || v > norm[b]) {
				b = s
			}
		}
		take := min(int32(norm[b]-1), sum-size)
		norm[b] -= int16(take)
		sum -= take
	}
	return norm
}

func buildFSE(norm []int16, log uint8) *fseTable {
	size := 1 << log
	mask := size - 1
	step := size>>1 + size>>3 + 3
	symbols := make([]uint8, size)
	pos := 0
	for s, v := range norm {
		for range int(v) {
			symbols[pos] = uint8(s)
			pos = (pos + step) & mask
		}
	}
	cumul := make([]int, len(norm)+1)
	for s, v := range norm {
		cumul[s+1] = cumul[s] + int(v)
	}
	t := &fseTable{log: log, state: make([]uint16, size), deltaBits: make([]uint32, len(norm)), deltaState: make([]int32, len(norm))}
	next := append([]int(nil), cumul[:len(norm)]...)
	for u := 0; u < size; u++ {
		s := symbols[u]
		t.state[next[s]] = uint16(size + u)
		next[s]++
	}
	total := 0
	for s, v := range norm {
		switch v {
		case 0:
		case 1:
			t.deltaBits[s] = uint32(log)<<16 - uint32(size)
			t.deltaState[s] = int32(total - 1)
			total++
		default:
			maxBitsOut := uint32(log) - uint32(bits.Len32(uint32(v-1))-1)
			minStatePlus := uint32(v) << maxBitsOut
			t.deltaBits[s] = maxBitsOut<<16 - minStatePlus
			t.deltaState[s] = int32(total - int(v))
			total += int(v)
		}
	}
	return t
}

type fseState struct {
	t     *fseTable
	value uint32
}

func (st *fseState) init(t *fseTable, s uint8) {
	st.t = t
	nbBits := (t.deltaBits[s] + 1<<15) >> 16
	v := nbBits<<16 - t.deltaBits[s]
	st.value = uint32(t.state[int32(v>>nbBits)+t.deltaState[s]])
}

func (st *fseState) encode(w *bitWriter, s uint8) {
	t := st.t
	nbBits := (st.value + t.deltaBits[s]) >> 16
	w.add(st.value, uint8(nbBits))
	st.value = uint32(t.state[int32(st.value>>nbBits)+t.deltaState[s]])
}

func (st *fseState) flush(w *bitWriter) {
	w.add(st.value, st.t.log)
}

// writeNCount appends the FSE table description of norm.
func writeNCount(dst []byte, norm []int16, log uint8) []byte {
	var w bitWriter
	w.out = dst
	w.add(uint32(log-5), 4)
	remaining := int32(1)<<log + 1
	threshold := int32(1) << log
	nbBits := uint8(log + 1)
	prev0 := false
	s := 0
	for s < len(norm) && remaining > 1 {
		if prev0 {
			start := s
			for s < len(norm) && norm[s] == 0 {
				s++
			}
			for s >= start+24 {
				start += 24
				w.add(0xffff, 16)
			}
			for s >= start+3 {
				start += 3
				w.add(3, 2)
			}
			w.add(uint32(s-start), 2)
		}
		count := int32(norm[s])
		s++
		mx := 2*threshold - 1 - remaining
		remaining -= count
		count++
		if count >= threshold {
			count += mx
		}
		if count < mx {
			w.add(uint32(count), nbBits-1)
		} else {
			w.add(uint32(count), nbBits)
		}
		prev0 = count == 1
		for remaining < threshold {
			nbBits--
			threshold >>= 1
		}
	}
	return w.flush()
}

// splits returns, appended to cuts, the sequence indexes (offset by
// base) at which lits and seqs cost less cut in zstd blocks, halving
// depth times at most, by an order-0 entropy estimate with a rough price
// for the tables.
func (z *zsEnc) splits(lits []byte, seqs []zsSeq, reps [3]uint32, base, depth int, cuts []int) []int {
	if depth == 0 || len(seqs) < 64 {
		return cuts
	}
	k := len(seqs) / 2
	nl := 0
	for _, s := range seqs[:k] {
		nl += int(s.ll)
	}
	var h [2]zsCounts
	for _, b := range lits[:nl] {
		h[0].lit[b]++
	}
	for _, b := range lits[nl:] {
		h[1].lit[b]++
	}
	r, repsK := reps, reps
	for i, s := range seqs {
		if i == k {
			repsK = r
		}
		c := &h[min(i/k, 1)]
		c.ll[llCode(s.ll)]++
		c.ml[mlCode(s.ml)]++
		ov := zsOV(&r, s.ll, s.off)
		c.of[bits.Len32(ov)-1]++
		r = zsReps(r, s.ll, ov, s.off)
	}
	var w zsCounts
	for i := range w.lit {
		w.lit[i] = h[0].lit[i] + h[1].lit[i]
	}
	for i := range w.ll {
		w.ll[i] = h[0].ll[i] + h[1].ll[i]
	}
	for i := range w.ml {
		w.ml[i] = h[0].ml[i] + h[1].ml[i]
	}
	for i := range w.of {
		w.of[i] = h[0].of[i] + h[1].of[i]
	}
	if z.cost(&h[0])+z.cost(&h[1]) >= z.cost(&w) {
		return cuts
	}
	cuts = z.splits(lits[:nl], seqs[:k], reps, base, depth-1, cuts)
	cuts = append(cuts, base+k)
	return z.splits(lits[nl:], seqs[k:], repsK, base+k, depth-1, cuts)
}

// encodeSplit encodes z.lits and z.seqs as one zstd block per piece
// between cuts; ok is false if a piece does not compress.
func (z *zsEnc) encodeSplit(start, end int, reps [3]uint32, last uint32, cuts []int) ([]byte, [3]uint32, bool) {
	b := z.split[:0]
	sq, lt, raw := 0, 0, 0
	for i := 0; i <= len(cuts); i++ {
		sqEnd, ltEnd, rawEnd := len(z.seqs), len(z.lits), end-start
		if i < len(cuts) {
			sqEnd, ltEnd, rawEnd = cuts[i], lt, raw
			for _, s := range z.seqs[sq:sqEnd] {
				ltEnd += int(s.ll)
				rawEnd += int(s.ll + s.ml)
			}
		}
		hdr := len(b)
		var err error
		b, err = z.encodeBlock(append(b, 0, 0, 0), z.lits[lt:ltEnd], z.seqs[sq:sqEnd], &reps)
		c := len(b) - hdr - 3
		if err != nil || c >= rawEnd-raw {
			z.split = b
			return nil, reps, false
		}
		h := uint32(2<<1 | c<<3)
		if i == len(cuts) {
			h |= last
		}
		b[hdr], b[hdr+1], b[hdr+2] = byte(h), byte(h>>8), byte(h>>16)
		sq, lt, raw = sqEnd, ltEnd, rawEnd
	}
	z.split = b
	return b, reps, true
}

// cost estimates the coded size of counts in 1/16 bits: entropy, plus
// about 4 bits per literal and 5 per code in the tables, plus the block
// header.
func (z *zsEnc) cost(c *zsCounts) uint32 {
	total := uint32(3 * 8 * 16)
	for _, t := range [][]uint32{c.lit[:], c.ll[:], c.ml[:], c.of[:]} {
		var n uint32
		for _, v := range t {
			n += v
		}
		if n == 0 {
			continue
		}
		ln := z.log2x16(n)
		per := uint32(5 * 16)
		if len(t) == 256 {
			per = 4 * 16
		}
		for _, v := range t {
			if v > 0 {
				total += v*(ln-z.log2x16(v)) + per
			}
		}
	}
	return total
}

// binaryish reports whether more than an eighth of src's bytes are
// neither printable ASCII nor white space.
func binaryish(src []byte) bool {
	n := 0
	for _, b := range src {
		if b >= 0x7f || b < 0x20 && b != '\n' && b != '\t' && b != '\r' {
			n++
		}
	}
	return n*8 > len(src)
}

var errZstdBlock = errors.New("zstd: block does not compress")

// encodeBlock writes one compressed zstd block body (literals and
// sequences) for z.lits and z.seqs, updating reps.
func (z *zsEnc) encodeBlock(dst []byte, lits []byte, seqs []zsSeq, reps *[3]uint32) ([]byte, error) {
	// Literals section.
	n := len(lits)
	var out []byte
	var err error
	single := n <= 1023
	if n >= 32 {
		z.huff.Reuse = huff0.ReusePolicyNone
		if single {
			out, _, err = huff0.Compress1X(lits, &z.huff)
		} else {
			out, _, err = huff0.Compress4X(lits, &z.huff)
		}
	} else {
		err = huff0.ErrIncompressible
	}
	switch {
	case err == nil && len(out) < n:
		c := len(out)
		switch {
		case single:
			v := uint32(2) | 0<<2 | uint32(n)<<4 | uint32(c)<<14
			dst = append(dst, byte(v), byte(v>>8), byte(v>>16))
		case n <= 1023 && c <= 1023:
			v := uint32(2) | 1<<2 | uint32(n)<<4 | uint32(c)<<14
			dst = append(dst, byte(v), byte(v>>8), byte(v>>16))
		case n <= 16383 && c <= 16383:
			v := uint32(2) | 2<<2 | uint32(n)<<4 | uint32(c)<<18
			dst = binary.LittleEndian.AppendUint32(dst, v)
		default:
			v := uint64(2) | 3<<2 | uint64(n)<<4 | uint64(c)<<22
			dst = append(dst, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32))
		}
		dst = append(dst, out...)
	case err == huff0.ErrUseRLE:
		dst = rawLitHeader(dst, 1, n)
		dst = append(dst, lits[0])
	default:
		dst = rawLitHeader(dst, 0, n)
		dst = append(dst, lits...)
	}
	// Sequences section.
	ns := len(seqs)
	switch {
	case ns < 128:
		dst = append(dst, byte(ns))
	case ns < 0x7f00:
		dst = append(dst, byte(ns>>8)+128, byte(ns))
	default:
		dst = append(dst, 255, byte(ns-0x7f00), byte((ns-0x7f00)>>8))
	}
	if ns == 0 {
		return dst, nil
	}
	llc := make([]uint8, ns)
	mlc := make([]uint8, ns)
	ofc := make([]uint8, ns)
	ofv := make([]uint32, ns)
	for i, s := range seqs {
		llc[i] = uint8(llCode(s.ll))
		mlc[i] = uint8(mlCode(s.ml))
		v := zsOV(reps, s.ll, s.off)
		*reps = zsReps(*reps, s.ll, v, s.off)
		ofv[i] = v
		ofc[i] = uint8(bits.Len32(v) - 1)
	}
	modes := len(dst)
	lastTable := -1
	dst = append(dst, 0)
	var tabs [3]*fseTable
	var rle [3]bool
	for k, codes := range [3][]uint8{llc, ofc, mlc} {
		maxLog := uint8(9)
		nsym := 36
		if k == 1 {
			maxLog, nsym = 8, 32
		} else if k == 2 {
			nsym = 53
		}
		counts := make([]uint32, nsym)
		distinct := 0
		last := 0
		for _, c := range codes {
			if counts[c] == 0 {
				distinct++
			}
			counts[c]++
			last = max(last, int(c))
		}
		if distinct == 1 {
			rle[k] = true
			dst[modes] |= 1 << (6 - 2*k)
			dst = append(dst, codes[0])
			continue
		}
		log := uint8(min(int(maxLog), max(5, bits.Len(uint(ns))-1)))
		for 1<<log < 2*distinct && log < maxLog {
			log++
		}
		counts = counts[:last+1]
		norm := normalize(counts, uint32(ns), log)
		dst[modes] |= 2 << (6 - 2*k)
		lastTable = len(dst)
		dst = writeNCount(dst, norm, log)
		tabs[k] = buildFSE(norm, log)
	}
	// The bit stream, last sequence first.
	w := bitWriter{out: dst}
	var stLL, stOF, stML fseState
	last := ns - 1
	if !rle[2] {
		stML.init(tabs[2], mlc[last])
	}
	if !rle[1] {
		stOF.init(tabs[1], ofc[last])
	}
	if !rle[0] {
		stLL.init(tabs[0], llc[last])
	}
	s := seqs[last]
	w.add(s.ll-llBase[llc[last]], llBits[llc[last]])
	w.add(s.ml-mlBase[mlc[last]], mlBits[mlc[last]])
	w.add(ofv[last]-1<<ofc[last], ofc[last])
	for i := ns - 2; i >= 0; i-- {
		if !rle[1] {
			stOF.encode(&w, ofc[i])
		}
		if !rle[2] {
			stML.encode(&w, mlc[i])
		}
		if !rle[0] {
			stLL.encode(&w, llc[i])
		}
		s := seqs[i]
		w.add(s.ll-llBase[llc[i]], llBits[llc[i]])
		w.add(s.ml-mlBase[mlc[i]], mlBits[mlc[i]])
		w.add(ofv[i]-1<<ofc[i], ofc[i])
	}
	if !rle[2] {
		stML.flush(&w)
	}
	if !rle[1] {
		stOF.flush(&w)
	}
	if !rle[0] {
		stLL.flush(&w)
	}
	res := w.close()
	if lastTable >= 0 && len(res)-lastTable < 4 {
		// Valid, but klauspost's decoder (and so the sylabs reader)
		// wants 4 bytes from a table description to the block's end.
		return nil, errZstdBlock
	}
	return res, nil
}

func rawLitHeader(dst []byte, typ byte, n int) []byte {
	switch {
	case n < 32:
		return append(dst, typ|byte(n)<<3)
	case n < 4096:
		v := uint32(typ) | 1<<2 | uint32(n)<<4
		return append(dst, byte(v), byte(v>>8))
	default:
		v := uint32(typ) | 3<<2 | uint32(n)<<4
		return append(dst, byte(v), byte(v>>8), byte(v>>16))
	}
}

// frame compresses src into one zstd frame.
func (z *zsEnc) frame(src []byte) []byte {
	out := []byte{0x28, 0xb5, 0x2f, 0xfd}
	n := len(src)
	switch {
	case n < 256:
		out = append(out, 0x20, byte(n))
	case n < 65536+256:
		out = append(out, 0x20|1<<6)
		out = binary.LittleEndian.AppendUint16(out, uint16(n-256))
	default:
		out = append(out, 0x20|2<<6)
		out = binary.LittleEndian.AppendUint32(out, uint32(n))
	}
	z.bt.depth, z.bt.nice = zsDepth, zsNiceLen
	// Text gains more from a thorough search than binaries, which are
	// the slow case (few long matches to jump over): on the moobox root
	// filesystem (mostly the busybox binary) nice length 22 is 12%
	// faster for 0.2% of size; on Go sources, inserting half the
	// skipped positions is 0.5% smaller for 8% of time.
	z.text = !binaryish(src)
	if !z.text {
		z.bt.nice = zsBinNiceLen
	}
	z.bt.init(src)
	if z.opt == nil {
		z.opt = make([]zsNode, lzOptN+1)
	}
	reps := [3]uint32{1, 4, 8}
	if n == 0 {
		return append(out, 1, 0, 0) // one empty raw block, last
	}
	for start := 0; start < n; start += zsBlockMax {
		end := min(n, start+zsBlockMax)
		// A first pass on a sample to learn the statistics, then the
		// real one, which replays the sample's recorded matches: the
		// tree finder must see each position once, in order.
		bl := end - start
		if cap(z.mcStart) < bl {
			z.mcStart, z.mcN = make([]int32, bl), make([]uint8, bl)
		}
		z.mcStart, z.mcN, z.mc = z.mcStart[:bl], z.mcN[:bl], z.mc[:0]
		for i := range z.mcStart {
			z.mcStart[i] = -1
		}
		z.defaultPrices()
		z.lenPrices()
		// 1 KiB is enough for a start: the second pass reprices from
		// its own statistics every 4 KiB.
		z.recording = true
		z.cnt = zsCounts{}
		z.parse(start, start+max(min(bl, zsSampleMin), bl/zsSampleDiv), reps)
		z.count(z.lits, z.seqs, reps)
		z.statPrices()
		z.recording = false
		z.lenPrices()
		z.parse(start, end, reps)
		last := uint32(0)
		if end == n {
			last = 1
		}
		// Zstd blocks with their own tables are smaller where the
		// statistics change: fragment blocks pack many unlike files.
		if cuts := z.splits(z.lits, z.seqs, reps, 0, zsSplitDepth, z.cuts[:0]); len(cuts) > 0 {
			z.cuts = cuts
			if b, r, ok := z.encodeSplit(start, end, reps, last, cuts); ok {
				out = append(out, b...)
				reps = r
				continue
			}
		}
		hdrAt := len(out)
		out = append(out, 0, 0, 0)
		r := reps
		body, err := z.encodeBlock(out, z.lits, z.seqs, &r)
		if err != nil || len(body)-hdrAt-3 >= end-start {
			out = out[:hdrAt]
			h := last | 0<<1 | uint32(end-start)<<3
			out = append(out, byte(h), byte(h>>8), byte(h>>16))
			out = append(out, src[start:end]...)
			continue // raw block: the decoder's reps do not change
		}
		out = body
		h := last | 2<<1 | uint32(len(out)-hdrAt-3)<<3
		out[hdrAt], out[hdrAt+1], out[hdrAt+2] = byte(h), byte(h>>8), byte(h>>16)
		reps = r
	}
	return out
}
