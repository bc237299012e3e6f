package kernel

import (
	"fmt"
	"math"
)

// Tap is where one output row (or column) of a Resize reads along its
// axis: input index I0 weighted W0 plus input index I1 weighted W1, with
// W0 + W1 = 1. An index of -1 reads Resize.Fill instead (padding). Nearest
// resampling has W1 = 0 and I1 = I0.
type Tap struct {
	I0, I1 int32
	W0, W1 float32
}

// ResizeTaps fills taps, one per output index, to resample the window
// [start, start+span) of an axis of n input values to len(taps) values, as
// TensorFlow's, JAX's and PyTorch's resize (align_corners=False, no
// antialiasing) do: output o sits at window coordinate s = (o+½)·span/out
// - ½ (half-pixel centres), clamped to [0, span-1], and reads the two
// window values around s, linearly weighted; with nearest, it reads window
// index ⌊(o+½)·span/out⌋ (JAX's and TensorFlow's nearest, PyTorch's
// "nearest-exact"). Window indices outside [0, n) read the fill (index -1):
// a window wider than the axis pads it, a narrower one crops it.
func ResizeTaps(taps []Tap, n, start, span int, nearest bool) {
	out := len(taps)
	if n <= 0 || span <= 0 || out == 0 {
		panic(fmt.Sprintf("kernel: ResizeTaps of a window of %d (from %d) of an axis of %d to %d values", span, start, n, out))
	}
	index := func(j int) int32 {
		if i := start + j; i >= 0 && i < n {
			return int32(i)
		}
		return -1
	}
	for o := range taps {
		if nearest {
			// In integers, so that a boundary such as 2.5 → 2 is exact.
			j := min((2*o+1)*span/(2*out), span-1)
			taps[o] = Tap{I0: index(j), I1: index(j), W0: 1}
			continue
		}
		s := (float64(o)+0.5)*float64(span)/float64(out) - 0.5
		s = min(max(s, 0), float64(span-1))
		j := int(math.Floor(s))
		f := s - float64(j)
		if j+1 >= span || f == 0 {
			taps[o] = Tap{I0: index(j), I1: index(j), W0: 1}
			continue
		}
		taps[o] = Tap{I0: index(j), I1: index(j + 1), W0: float32(1 - f), W1: float32(f)}
	}
}

// Resize resamples NHWC images of H rows, W columns and C channels to
// len(Rows) rows and len(Cols) columns, separably: the output at row y,
// column x, channel c is
//
//	Σ_a Σ_b Rows[y].Wa · Cols[x].Wb · src[Rows[y].Ia, Cols[x].Ib, c]
//
// over a, b ∈ {0, 1}, with Fill for a term whose row or column index is -1.
// Make the taps with ResizeTaps.
type Resize struct {
	H, W, C    int
	Rows, Cols []Tap
	Fill       float32
}

func (r *Resize) check(op string, big, small []float32) int {
	if r.H <= 0 || r.W <= 0 || r.C <= 0 || len(r.Rows) == 0 || len(r.Cols) == 0 {
		panic(fmt.Sprintf("kernel: Resize.%s of %dx%dx%d images to %dx%d", op, r.H, r.W, r.C, len(r.Rows), len(r.Cols)))
	}
	in, out := r.H*r.W*r.C, len(r.Rows)*len(r.Cols)*r.C
	n := len(big) / in
	if len(big) != n*in || len(small) != n*out {
		panic(fmt.Sprintf("kernel: Resize.%s of %dx%dx%d images to %dx%d needs slices of n·%d and n·%d values, got %d and %d", op, r.H, r.W, r.C, len(r.Rows), len(r.Cols), in, out, len(big), len(small)))
	}
	r.checkTaps(op, r.Rows, r.H)
	r.checkTaps(op, r.Cols, r.W)
	return n
}

func (r *Resize) checkTaps(op string, taps []Tap, n int) {
	for i, t := range taps {
		if t.I0 < -1 || t.I1 < -1 || int(t.I0) >= n || int(t.I1) >= n {
			panic(fmt.Sprintf("kernel: Resize.%s: tap %d %+v is outside an axis of %d", op, i, t, n))
		}
	}
}

// Apply: src (n,H,W,C) → dst (n,len(Rows),len(Cols),C). With linear taps
// each output value is a convex combination of up to four input values (and
// Fill), so it stays within their range. dst and src must not overlap.
func (r *Resize) Apply(dst, src []float32) {
	n := r.check("Apply", src, dst)
	in, c := r.H*r.W*r.C, r.C
	o := 0
	for i := range n {
		s := src[i*in : (i+1)*in]
		for _, ty := range r.Rows {
			for _, tx := range r.Cols {
				d := dst[o : o+c]
				o += c
				if ty.I0 < 0 || ty.I1 < 0 || tx.I0 < 0 || tx.I1 < 0 {
					r.applyFill(d, s, ty, tx)
					continue
				}
				w00, w01 := ty.W0*tx.W0, ty.W0*tx.W1
				w10, w11 := ty.W1*tx.W0, ty.W1*tx.W1
				r0, r1 := int(ty.I0)*r.W, int(ty.I1)*r.W
				p00, p01 := (r0+int(tx.I0))*c, (r0+int(tx.I1))*c
				p10, p11 := (r1+int(tx.I0))*c, (r1+int(tx.I1))*c
				if c == 1 { // grey images, the common case: no channel loop
					d[0] = w00*s[p00] + w01*s[p01] + w10*s[p10] + w11*s[p11]
					continue
				}
				a, b, e, f := s[p00:p00+c], s[p01:p01+c], s[p10:p10+c], s[p11:p11+c]
				for k := range d {
					d[k] = w00*a[k] + w01*b[k] + w10*e[k] + w11*f[k]
				}
			}
		}
	}
}

// applyFill is one output pixel of Apply when a tap reads the fill.
func (r *Resize) applyFill(d, s []float32, ty, tx Tap) {
	rows := [2]int32{ty.I0, ty.I1}
	cols := [2]int32{tx.I0, tx.I1}
	wr := [2]float32{ty.W0, ty.W1}
	wc := [2]float32{tx.W0, tx.W1}
	clear(d)
	for a, iy := range rows {
		for b, ix := range cols {
			w := wr[a] * wc[b]
			if iy < 0 || ix < 0 {
				for k := range d {
					d[k] += w * r.Fill
				}
				continue
			}
			p := (int(iy)*r.W + int(ix)) * r.C
			for k, v := range s[p : p+r.C] {
				d[k] += w * v
			}
		}
	}
}

// AddGrad: ddst (n,len(Rows),len(Cols),C) → dsrc (n,H,W,C) += the gradient
// of Apply with respect to src: each output gradient goes back to the input
// values it was interpolated from, with the same weights. Fill does not
// depend on src and receives nothing. dsrc and ddst must not overlap.
func (r *Resize) AddGrad(dsrc, ddst []float32) {
	n := r.check("AddGrad", dsrc, ddst)
	in, c := r.H*r.W*r.C, r.C
	o := 0
	for i := range n {
		ds := dsrc[i*in : (i+1)*in]
		for _, ty := range r.Rows {
			for _, tx := range r.Cols {
				g := ddst[o : o+c]
				o += c
				r.spread(ds, g, ty.I0, ty.W0, tx)
				r.spread(ds, g, ty.I1, ty.W1, tx)
			}
		}
	}
}

// spread adds the gradient g of one output pixel, weighted wy for input row
// iy, to the two columns tap tx reads.
func (r *Resize) spread(ds, g []float32, iy int32, wy float32, tx Tap) {
	if iy < 0 || wy == 0 {
		return
	}
	for _, t := range [2]struct {
		ix int32
		w  float32
	}{{tx.I0, tx.W0}, {tx.I1, tx.W1}} {
		if t.ix < 0 || t.w == 0 {
			continue
		}
		w, p := wy*t.w, (int(iy)*r.W+int(t.ix))*r.C
		q := ds[p : p+r.C]
		for k, gk := range g {
			q[k] += w * gk
		}
	}
}
