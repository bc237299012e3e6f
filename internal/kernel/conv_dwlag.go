package kernel

import "math"

// The lagged weight gradient of the shifted path, for one-channel inputs
// (an MNIST network's first layer). shiftedDW takes one tile per kernel
// row ky, whose rows are the KW taps of that row and whose columns are the
// filters: LeNet-5's 5×5 window over 6 filters gives five tiles of 5 rows
// and 6 of 16 lanes, each a handful of FMA chains, one step per pixel,
// that wait on the FMA latency most of the time.
//
// Substituting p' = p + kx in
//
//	dw[ky, kx, f] = Σ_p xp[p + ky·wp + kx] · dyg[p, f]
//
// gives Σ_p' xp[p' + ky·wp] · dyg[p' - kx, f]: the input side no longer
// depends on kx, so one tile covers the whole window, rows the kernel rows
// ky (wp values apart in xp) and columns (kx, f), the gradient lagged by kx
// pixels. Its B row p' is then the KW·co contiguous values of dyg from
// pixel p' - (KW-1) on, the taps in reverse order, when dyg is preceded by
// KW-1 pixels of zeros: LeNet's window becomes one tile of 5 rows × 30
// columns, ten independent chains.
//
// Same bits as shiftedDW: each output is still one chain, summed from +0
// in ascending p, then added to dw. The chain gains KW-1 steps whose
// gradient is zero: before the first true step (acc stays +0: x·0 is ±0,
// and +0 + ±0 is +0) and after the last (acc unchanged but for a -0 that
// becomes +0, which adding it to dw cannot tell apart, as dw, a sum from
// +0, is never -0). A step x·0 with x infinite or NaN would give NaN
// where shiftedDW's sum has none, so a sample whose x values on those
// steps are not all finite takes shiftedDW.

// dwLagOff turns the lagged path off, for tests and benchmarks that hold
// it against shiftedDW.
var dwLagOff bool

// dwLagged says whether the weight gradient takes laggedDW: a one-channel
// input whose window needs fewer tile calls so than by shiftedDW, with an
// assembly tile. The pure-Go tile rounds its full 4×4 tiles and its edges
// by two loops, which GOAMD64=v3 may fuse into multiply-adds differently;
// laggedDW, cutting the outputs into other tiles, would change bits there.
func (cv *Conv2D) dwLagged() bool {
	if dwLagOff || !cv.dwLagShape() || cv.kern == &genericKernel {
		return false
	}
	mr, nr, kh, kw := cv.kern.mr, cv.kern.nr, cv.win.KH, cv.win.KW
	old := kh * ceilDiv(kw, mr) * ceilDiv(cv.f, nr)
	return ceilDiv(kh, mr)*ceilDiv(kw*cv.f, nr) < old
}

// dwLagShape says whether laggedDW applies to the geometry, whatever the
// tile: the scratch is sized for it then, so that a later change of tile
// (tests swap them) needs no new buffers.
func (cv *Conv2D) dwLagShape() bool {
	return cv.shifted && cv.c == 1 && cv.win.KW > 1
}

// dwLead is how many zeros Backward writes before the gradient on xp's
// grid: KW-1 pixels for laggedDW, none otherwise.
func (cv *Conv2D) dwLead() int {
	if cv.dwLagged() {
		return (cv.win.KW - 1) * cv.f
	}
	return 0
}

// laggedDW adds to dw (kh, kw, co) the weight gradient of one sample of a
// one-channel input, as shiftedDW with ci = 1 does:
//
//	dw[ky, kx, f] += Σ_{p < oh·wp-(kw-1)} src[p + ky·wp + kx] · dyl[(p + kw-1)·co + f]
//
// src is the padded input (hp, wp), dyl the output gradient on its grid
// (oh rows of wp pixels) after kw-1 pixels of zeros, tmp kh·kw·co values
// of scratch. It returns false, having done nothing, when one of the
// values the lagged chains' extra steps read is not finite.
func laggedDW(kern *microKernel, dw, src []float32, wp, oh, kh, kw int, dyl []float32, co int, tmp []float32) bool {
	pix := oh*wp - (kw - 1)
	for ky := 0; ky < kh; ky++ {
		r := src[ky*wp:]
		if !allFinite(r[:kw-1]) || !allFinite(r[pix:][:kw-1]) {
			return false
		}
	}
	cols := kw * co
	tmp = tmp[:kh*cols]
	for i0 := 0; i0 < kh; i0 += kern.mr {
		for j0 := 0; j0 < cols; j0 += kern.nr {
			kern.tile(oh*wp, src[i0*wp:], wp, 1, dyl[j0:], co, tmp[i0*cols+j0:], cols, 1, 0, min(kern.mr, kh-i0), min(kern.nr, cols-j0))
		}
	}
	// tmp's columns hold the taps last first: (ky, kw-1-kx, f). The rows
	// are co values (6 in LeNet): AddTo's vector loop would not run, and
	// its calls would cost more than these adds, the same dw + tmp.
	for ky := 0; ky < kh; ky++ {
		for kx := 0; kx < kw; kx++ {
			d, s := dw[(ky*kw+kx)*co:][:co], tmp[(ky*kw+kw-1-kx)*co:][:co]
			for f := range d {
				d[f] += s[f]
			}
		}
	}
	return true
}

// allFinite reports whether no value of s, a few values, is infinite or
// NaN: FirstNonFinite's vector loop starts at 32 values, and its calls
// cost more than this loop.
func allFinite(s []float32) bool {
	for _, v := range s {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
			return false
		}
	}
	return true
}
