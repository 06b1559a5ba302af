package lolcat

import colorful "github.com/lucasb-eyer/go-colorful"

// nearestIndex is the --nearest extension: the perceptually closest
// xterm-256 colour (cube and grey ramp, CIEDE2000 distance) instead of
// Paint's floor(6c/256) cube cell, which darkens and skews the rainbow.
// Never used unless asked for: the default must match Ruby lolcat.
func (p *painter) nearestIndex(r, g, b uint8) uint8 {
	key := uint32(r) | uint32(g)<<8 | uint32(b)<<16
	if v, ok := p.nearC[key]; ok {
		return v
	}
	if p.nearC == nil {
		p.nearC = make(map[uint32]uint8)
	}
	want := colorful.Color{R: float64(r) / 255, G: float64(g) / 255, B: float64(b) / 255}
	best, bestD := uint8(16), 1e9
	for idx := 16; idx < 256; idx++ {
		pr, pg, pb := xtermRGB(idx)
		c := colorful.Color{R: float64(pr) / 255, G: float64(pg) / 255, B: float64(pb) / 255}
		if d := want.DistanceCIEDE2000(c); d < bestD {
			best, bestD = uint8(idx), d
		}
	}
	p.nearC[key] = best
	return best
}

// xtermRGB is the standard xterm palette for indices 16..255.
func xtermRGB(idx int) (r, g, b uint8) {
	if idx >= 232 {
		v := uint8(8 + 10*(idx-232))
		return v, v, v
	}
	lv := [6]uint8{0, 95, 135, 175, 215, 255}
	idx -= 16
	return lv[idx/36], lv[idx/6%6], lv[idx%6]
}
