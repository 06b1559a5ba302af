package lolcat

import (
	"math"
	"math/big"
)

// Colour math. Ruby lolcat computes, for a unit at position x,
//
//	channel = trunc(sin(freq*x + phase)*127 + 128)
//
// in float64 with glibc's sin. Reproducing the bytes means reproducing
// every rounding step: each operation below is wrapped in float64() so the
// compiler cannot fuse a multiply and an add (it may on arm64), and the
// phases are computed at run time because Go's constant arithmetic would
// round 2*Pi/3 once instead of twice.
//
// sin itself is the hard part: Go's math.Sin and glibc's can differ in the
// last bit. That only matters when sin(a)*127+128 lands within a rounding
// error of an integer, so channel() uses math.Sin and falls back to a
// correctly rounded sin (big.Float, what glibc returns in practice) when
// the value is within 1e-9 of an integer.

// phases holds the three channel phases, computed like Ruby does.
type phases struct{ g, b float64 }

func newPhases() phases {
	pi := math.Pi
	two, four, three := 2.0, 4.0, 3.0
	// Variables, not constants: Ruby evaluates (2*PI)/3 in float64.
	return phases{g: float64(two*pi) / three, b: float64(four*pi) / three}
}

// nearIntEps is how close to an integer a channel value must be for the
// result of math.Sin to be distrusted. Go's math.Sin is within a few ulp
// of the true value (1e-16 relative), so 1e-9 is a very wide margin.
const nearIntEps = 1e-9

// channel returns trunc(sin(a)*127 + 128) exactly as Ruby computes it.
func channel(a float64) uint8 {
	s := math.Sin(a)
	v := float64(s*127) + 128
	if r := math.Round(v); v-r < nearIntEps && v-r > -nearIntEps {
		// Near the trough and the peak v approaches the integer
		// quadratically, so these cases are far more common than the
		// rest; neither needs the exact sin. v >= 1 always, so near 1
		// the answer is 1; near 255 it is 255 only for s within a few ulp
		// of 1 (s = 1 - 2^-53 still rounds v up to 255).
		switch {
		case r == 1:
			return 1
		case r == 255 && s < 1-1e-14:
			return 254
		}
		s = sinExact(a)
		v = float64(s*127) + 128
	}
	if v != v {
		// freq*x overflowed (-F 1e308): Ruby dies with FloatDomainError
		// on the NaN; moobox paints mid-grey rather than whatever the
		// CPU makes of uint8(NaN).
		return 128
	}
	return uint8(v)
}

// rgbAt returns the three channels of the unit at position x.
func (ph phases) rgbAt(freq, x float64) (r, g, b uint8) {
	t := float64(freq * x)
	return channel(t), channel(float64(t + ph.g)), channel(float64(t + ph.b))
}

// sinExact returns sin(a) correctly rounded to float64, computed with
// big.Float. It is slow (tens of microseconds) and only used near integer
// channel boundaries, which a run almost never hits.
func sinExact(a float64) float64 {
	if a == 0 || math.IsInf(a, 0) || math.IsNaN(a) {
		return math.Sin(a)
	}
	_, exp := math.Frexp(a)
	if exp > 900 {
		// Beyond the precision of our pi; math.Sin's Payne-Hanek
		// reduction is the best available answer.
		return math.Sin(a)
	}
	prec := uint(exp) + 256
	if exp < 0 {
		prec = 256 + uint(-exp)
	}
	pi := machinPi(prec + 64)
	halfPi := new(big.Float).SetPrec(prec+64).Quo(pi, big.NewFloat(2))
	x := new(big.Float).SetPrec(prec + 64).SetFloat64(a)
	// k = round(x / (pi/2)); r = x - k*pi/2, |r| <= pi/4.
	q := new(big.Float).SetPrec(prec+64).Quo(x, halfPi)
	if q.Sign() >= 0 {
		q.Add(q, big.NewFloat(0.5))
	} else {
		q.Sub(q, big.NewFloat(0.5))
	}
	k, _ := q.Int(nil) // truncates toward zero: round half away
	kf := new(big.Float).SetPrec(prec + 64).SetInt(k)
	r := new(big.Float).SetPrec(prec+64).Mul(kf, halfPi)
	r.Sub(x, r)
	quadrant := new(big.Int).And(k, big.NewInt(3)).Int64()
	var v *big.Float
	switch quadrant {
	case 0:
		v = taylor(r, prec, true)
	case 1:
		v = taylor(r, prec, false)
	case 2:
		v = taylor(r, prec, true)
		v.Neg(v)
	default:
		v = taylor(r, prec, false)
		v.Neg(v)
	}
	f, _ := v.Float64()
	return f
}

// taylor sums the sin (or cos) series of r, |r| <= pi/4, to prec bits.
func taylor(r *big.Float, prec uint, sin bool) *big.Float {
	p := prec + 32
	r2 := new(big.Float).SetPrec(p).Mul(r, r)
	term := new(big.Float).SetPrec(p).SetInt64(1)
	n := int64(0)
	if sin {
		term.Set(r)
		n = 1
	}
	sum := new(big.Float).SetPrec(p).Set(term)
	limit := new(big.Float).SetPrec(p).SetMantExp(big.NewFloat(1), -int(p))
	for {
		// term *= -r^2 / ((n+1)(n+2))
		term.Mul(term, r2)
		term.Quo(term, new(big.Float).SetPrec(p).SetInt64((n+1)*(n+2)))
		term.Neg(term)
		n += 2
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(limit) < 0 {
			break
		}
	}
	return sum
}

// machinPi computes pi to prec bits with Machin's formula
// pi = 16*atan(1/5) - 4*atan(1/239).
func machinPi(prec uint) *big.Float {
	a := atanInv(5, prec)
	b := atanInv(239, prec)
	a.Mul(a, big.NewFloat(16))
	b.Mul(b, big.NewFloat(4))
	return a.Sub(a, b)
}

// atanInv returns atan(1/n) to prec bits.
func atanInv(n int64, prec uint) *big.Float {
	p := prec + 32
	x := new(big.Float).SetPrec(p).Quo(big.NewFloat(1), new(big.Float).SetInt64(n))
	x2 := new(big.Float).SetPrec(p).Mul(x, x)
	pow := new(big.Float).SetPrec(p).Set(x)
	sum := new(big.Float).SetPrec(p).Set(x)
	limit := new(big.Float).SetPrec(p).SetMantExp(big.NewFloat(1), -int(p))
	for k := int64(3); ; k += 2 {
		pow.Mul(pow, x2)
		pow.Neg(pow)
		term := new(big.Float).SetPrec(p).Quo(pow, new(big.Float).SetInt64(k))
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(limit) < 0 {
			return sum
		}
	}
}

// Fast path: a lookup table indexed by the angle in turns.
//
// Each channel is a step function of the angle; its steps (breakpoints)
// are where sin*127+128 crosses an integer level. The table splits a turn
// into tabBins bins; a bin that lies further than tabMargin from every
// breakpoint has one value for every angle inside it, whatever the
// rounding of the angle computation, so its value is stored. A bin near a
// breakpoint is marked unsafe and the unit takes the exact path. The
// angle in turns, u = freq*x/(2*pi), is computed with a relative error of
// about 2^-52, so for |freq*x| < tabLimit (u < 2^28) its absolute error
// is below 2^-23 turns, well inside tabMargin. Beyond tabLimit every unit
// takes the exact path.

const (
	tabBits   = 16
	tabBins   = 1 << tabBits
	tabMargin = 1.0 / (1 << 20) // turns
	tabLimit  = 1 << 30         // |freq*x| above which the table is not used
	unsafeBit = 1 << 24
)

// levels256 are the channel values where floor(6*c/256) changes.
var levels256 = [...]float64{43, 86, 128, 171, 214}

// channelTable computes, for each bin, the three channel values and
// whether the bin is unsafe, for the given breakpoint levels.
func channelTable(ph phases, levels []float64) []uint32 {
	tab := make([]uint32, tabBins)
	phase := [3]float64{0, ph.g, ph.b}
	// Bin centres step by a fixed angle: rotate (cos, sin) instead of
	// calling math.Sin 3*65536 times, re-anchoring every 64 bins so the
	// error stays near 1e-14, far below what a safe bin can be sensitive
	// to (its centre is at least tabMargin from any breakpoint).
	stepS, stepC := math.Sincos(2 * math.Pi / tabBins)
	for c := 0; c < 3; c++ {
		shift := uint(8 * c)
		var sn, cs float64
		for b := range tab {
			if b%64 == 0 {
				sn, cs = math.Sincos(2*math.Pi*(float64(b)+0.5)/tabBins + phase[c])
			} else {
				sn, cs = sn*stepC+cs*stepS, cs*stepC-sn*stepS
			}
			v := float64(sn*127) + 128
			tab[b] |= uint32(uint8(v)) << shift
		}
		mark := func(theta float64) {
			u := (theta - phase[c]) / (2 * math.Pi)
			u -= math.Floor(u)
			lo := int(math.Floor((u - tabMargin) * tabBins))
			hi := int(math.Floor((u + tabMargin) * tabBins))
			for b := lo; b <= hi; b++ {
				tab[b&(tabBins-1)] |= unsafeBit
			}
		}
		for _, k := range levels {
			th := math.Asin((k - 128) / 127)
			mark(th)
			mark(math.Pi - th)
		}
	}
	return tab
}

// levelsTrue lists 2..255: every integer a truecolor channel can step to
// (the minimum, 1, is only reached at the trough and never stepped to from
// below).
func levelsTrue() []float64 {
	l := make([]float64, 0, 254)
	for k := 2; k <= 255; k++ {
		l = append(l, float64(k))
	}
	return l
}

// index256 maps channels to the xterm-256 palette like Paint's
// rgb_to_256. Paint first looks for the lowest multiple of 42.5 above the
// smallest channel; if all three channels are below it the colour is a
// grey from the 232-255 ramp, else it is a cube cell. The rainbow's
// channels are always at least 190 apart, so the grey branch only fires
// when freq*x is so large (about 1e16 and up) that adding the phases no
// longer changes it and the three channels come out equal.
func index256(r, g, b uint8) uint8 {
	lo, hi := min(r, g, b), max(r, g, b)
	// Smallest k with 42.5*k > lo, compared in halves to stay in integers.
	k := int(lo)*2/85 + 1
	if 2*int(hi) < 85*k {
		// round((r+g+b)/33), half away from zero; sums never hit a half.
		return 232 + uint8(((int(r)+int(g)+int(b))*2+33)/66)
	}
	return 16 + 36*uint8(int(r)*6/256) + 6*uint8(int(g)*6/256) + uint8(int(b)*6/256)
}

// table256 returns a bin -> xterm index table, 0 meaning unsafe.
func table256(ph phases) []uint8 {
	ct := channelTable(ph, levels256[:])
	t := make([]uint8, tabBins)
	for i, e := range ct {
		if e&unsafeBit == 0 {
			t[i] = index256(uint8(e), uint8(e>>8), uint8(e>>16))
		}
	}
	return t
}

// binOf returns the table bin of t = freq*x, and false when t is outside
// the range where the table is trustworthy.
func binOf(t float64) (int, bool) {
	if !(t < tabLimit && t > -tabLimit) {
		return 0, false
	}
	u := t * (1 / (2 * math.Pi))
	k := float64(int64(u))
	f := u - k
	if f < 0 {
		f++
	}
	return int(f*tabBins) & (tabBins - 1), true
}
