package kernel

import (
	"fmt"
	"math"
	"math/bits"
)

// The constants of math/rand/v2's PCG: a 128-bit LCG, state = state*mul +
// inc (mod 2¹²⁸), whose output is the DXSM mix of the new state. PCGFill
// must draw exactly what (*rand.PCG).Uint64 draws, so that a dropout mask
// made here is the one the generator would have given one draw at a time.
const (
	pcgMulHi    = 2549297995355413924
	pcgMulLo    = 4865540595714422341
	pcgIncHi    = 6364136223846793005
	pcgIncLo    = 1442695040888963407
	pcgCheapMul = 0xda942042e4dd58b5
)

// pcgLanes is how many draws the vector generator makes per step: its lanes
// each hold every pcgLanes-th state and jump pcgLanes states at a time.
const pcgLanes = 16

// pcgJump is {Ahi, Alo, Chi, Clo}: pcgLanes steps of the LCG at once,
// state → A·state + C (mod 2¹²⁸).
var pcgJump = func() [4]uint64 {
	ahi, alo, chi, clo := uint64(0), uint64(1), uint64(0), uint64(0)
	for range pcgLanes {
		ahi, alo = pcgAffine(ahi, alo, pcgMulHi, pcgMulLo, 0, 0)
		chi, clo = pcgAffine(chi, clo, pcgMulHi, pcgMulLo, pcgIncHi, pcgIncLo)
	}
	return [4]uint64{ahi, alo, chi, clo}
}()

// pcgAffine returns a·s + c mod 2¹²⁸, each a (hi, lo) pair.
func pcgAffine(shi, slo, ahi, alo, chi, clo uint64) (uint64, uint64) {
	hi, lo := bits.Mul64(slo, alo)
	hi += shi*alo + slo*ahi
	lo, c := bits.Add64(lo, clo, 0)
	hi, _ = bits.Add64(hi, chi, c)
	return hi, lo
}

// pcgOut is the DXSM output of the state (hi, lo).
func pcgOut(hi, lo uint64) uint64 {
	hi ^= hi >> 32
	hi *= pcgCheapMul
	hi ^= hi >> 48
	return hi * (lo | 1)
}

// PCGFill fills dst with the next len(dst) draws of a math/rand/v2 PCG
// whose state is (hi, lo) (the 16 bytes after "pcg:" in its
// MarshalBinary, big-endian), and returns the state after them: the draws
// and the state a rand.New(pcg).Uint64 loop would leave.
func PCGFill(dst []uint64, hi, lo uint64) (uint64, uint64) {
	if k := len(dst) &^ (pcgLanes - 1); usePCGVec && k > 0 {
		var lh, ll [pcgLanes]uint64
		for i := range lh {
			hi, lo = pcgAffine(hi, lo, pcgMulHi, pcgMulLo, pcgIncHi, pcgIncLo)
			lh[i], ll[i] = hi, lo
		}
		pcgDXSMVec(&dst[0], k/pcgLanes, &lh, &ll, &pcgJump)
		hi, lo = lh[pcgLanes-1], ll[pcgLanes-1]
		dst = dst[k:]
	}
	return pcgFillGeneric(dst, hi, lo)
}

func pcgFillGeneric(dst []uint64, hi, lo uint64) (uint64, uint64) {
	for i := range dst {
		hi, lo = pcgAffine(hi, lo, pcgMulHi, pcgMulLo, pcgIncHi, pcgIncLo)
		dst[i] = pcgOut(hi, lo)
	}
	return hi, lo
}

// DropoutMask draws an inverted-dropout mask and applies it:
// y, mask, x (n), draws (⌈n/2⌉). Element i takes the 32-bit half i%2 of
// draws[i/2] (the low half first), u, and
//
//	mask[i] = 0 if u < thresh, else scale
//	y[i] = x[i] * mask[i]
//
// The product is taken even where the mask is 0, so that y keeps the sign
// of x and its NaNs as a plain multiplication does. y may alias x.
func DropoutMask(y, mask, x []float32, draws []uint64, thresh uint32, scale float32) {
	n := len(y)
	if len(mask) != n || len(x) != n || len(draws) != (n+1)/2 {
		panic(fmt.Sprintf("kernel: DropoutMask with y %d, mask %d, x %d, draws %d (want ⌈%d/2⌉)",
			n, len(mask), len(x), len(draws), n))
	}
	if k := n &^ 15; useDropoutVec && k > 0 {
		dropoutMaskVec(&y[0], &mask[0], &x[0], &draws[0], thresh, scale, k)
		y, mask, x, draws = y[k:], mask[k:], x[k:], draws[k/2:]
	}
	dropoutMaskGeneric(y, mask, x, draws, thresh, scale)
}

func dropoutMaskGeneric(y, mask, x []float32, draws []uint64, thresh uint32, scale float32) {
	sb := math.Float32bits(scale)
	mask, x = mask[:len(y)], x[:len(y)]
	for i := range y {
		u := uint64(uint32(draws[i>>1] >> (32 * (i & 1))))
		// drop is 1 when u < thresh: the borrow of the 64-bit difference
		// of two 32-bit values. A branch here mispredicts half the time
		// at rate 0.5.
		drop := uint32((u - uint64(thresh)) >> 63)
		m := math.Float32frombits(sb & (drop - 1))
		mask[i] = m
		y[i] = x[i] * m
	}
}

// AddMul computes dst += a*b element-wise (the product rounded to float32,
// then the sum, never fused). All three have the same length.
func AddMul(dst, a, b []float32) {
	checkLen("AddMul", len(dst), len(a), len(b))
	if k := dst2Len(len(dst)); k > 0 {
		addMulVec(&dst[0], &a[0], &b[0], k)
		dst, a, b = dst[k:], a[k:], b[k:]
	}
	addMulGeneric(dst, a, b)
}

// dst2Len is the leading part of n the AddMul assembly takes.
func dst2Len(n int) int {
	if !useDropoutVec {
		return 0
	}
	return n &^ 7
}

func addMulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] += a[i] * b[i]
	}
}
