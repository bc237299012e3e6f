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
// y, x (n), keep (⌈n/16⌉), draws (⌈n/2⌉). Element i takes the 32-bit half
// i%2 of draws[i/2] (the low half first), u, and with m = 0 if u < thresh,
// else scale,
//
//	y[i] = x[i] * m
//	bit i%16 of keep[i/16] = 1 if m = scale (the element is kept)
//
// Bits past n in the last word are 0. The product is taken even where m is
// 0, so that y keeps the sign of x and its NaNs as a plain multiplication
// does. y may alias x. The mask is kept as bits, not float32, to write and
// later read 1/32 of the memory.
func DropoutMask(y, x []float32, keep []uint16, draws []uint64, thresh uint32, scale float32) {
	n := len(y)
	if len(x) != n || len(keep) != (n+15)/16 || len(draws) != (n+1)/2 {
		panic(fmt.Sprintf("kernel: DropoutMask with y %d, x %d, keep %d (want ⌈%d/16⌉), draws %d (want ⌈%d/2⌉)",
			n, len(x), len(keep), n, len(draws), n))
	}
	if k := n &^ 15; useDropoutVec && k > 0 {
		dropoutMaskVec(&y[0], &x[0], &keep[0], &draws[0], thresh, scale, k)
		y, x, keep, draws = y[k:], x[k:], keep[k/16:], draws[k/2:]
	}
	dropoutMaskGeneric(y, x, keep, draws, thresh, scale)
}

func dropoutMaskGeneric(y, x []float32, keep []uint16, draws []uint64, thresh uint32, scale float32) {
	sb := math.Float32bits(scale)
	x = x[:len(y)]
	for w := range keep {
		keep[w] = 0
	}
	for i := range y {
		u := uint64(uint32(draws[i>>1] >> (32 * (i & 1))))
		// kept is 1 unless u < thresh, which the borrow of the 64-bit
		// difference of two 32-bit values tells. A branch here mispredicts
		// half the time at rate 0.5.
		kept := 1 - uint32((u-uint64(thresh))>>63)
		keep[i>>4] |= uint16(kept) << (i & 15)
		y[i] = x[i] * math.Float32frombits(sb&-kept)
	}
}

// DropoutBackward computes dx += dy·m, dx, dy (n), keep (⌈n/16⌉) as
// DropoutMask wrote it: m is scale where bit i%16 of keep[i/16] is set, else
// 0. The product is rounded to float32, then added (never fused), and taken
// where m is 0 too (-0 + +0 is +0; a NaN in dy stays NaN), as
// dx[i] += dy[i]*mask[i] with a float32 mask does.
func DropoutBackward(dx, dy []float32, keep []uint16, scale float32) {
	n := len(dx)
	if len(dy) != n || len(keep) != (n+15)/16 {
		panic(fmt.Sprintf("kernel: DropoutBackward with dx %d, dy %d, keep %d (want ⌈%d/16⌉)", n, len(dy), len(keep), n))
	}
	if k := n &^ 15; useDropoutVec && k > 0 {
		dropoutBackwardVec(&dx[0], &dy[0], &keep[0], scale, k)
		dx, dy, keep = dx[k:], dy[k:], keep[k/16:]
	}
	sb := math.Float32bits(scale)
	dy = dy[:len(dx)]
	for i, d := range dx {
		kept := uint32(keep[i>>4]>>(i&15)) & 1
		// d + product, in that order: of two NaNs the sum keeps the
		// first's payload, and dx[i] += dy[i]*m compiles to dx first.
		dx[i] = d + dy[i]*math.Float32frombits(sb&-kept)
	}
}
