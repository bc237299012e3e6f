package kernel

import (
	"fmt"
	"math"
)

// FillMode says how Warp reads a point that falls outside the source image.
// The modes are Keras's (those of its map_coordinates, as in scipy.ndimage),
// applied to each integer neighbour of the sampled point separately:
//
//	FillReflect   (d c b a | a b c d | d c b a)  mirrored about the edge, the edge pixel repeated
//	FillConstant  (k k k k | a b c d | k k k k)  the constant Warp.Fill
//	FillNearest   (a a a a | a b c d | d d d d)  the nearest edge pixel
//	FillWrap      (a b c d | a b c d | a b c d)  the opposite edge
type FillMode uint8

const (
	FillReflect FillMode = iota
	FillConstant
	FillNearest
	FillWrap
)

func (m FillMode) String() string {
	switch m {
	case FillReflect:
		return "reflect"
	case FillConstant:
		return "constant"
	case FillNearest:
		return "nearest"
	case FillWrap:
		return "wrap"
	}
	return fmt.Sprintf("FillMode(%d)", uint8(m))
}

// Warp resamples NHWC images of H rows, W columns and C channels through one
// affine map per image. The map of image i is m[6i : 6i+6] and goes from the
// output to the input: the output pixel at column x, row y reads the input at
//
//	column  m0·x + m1·y + m2
//	row     m3·x + m4·y + m5
//
// which is Keras's affine_transform convention (its a0 a1 a2 b0 b1 b2, with
// no projective part). The identity is (1 0 0 0 1 0).
type Warp struct {
	H, W, C int
	Mode    FillMode
	Fill    float32 // the value outside the image under FillConstant; Keras's fill_value, default 0
	Nearest bool    // nearest-neighbour interpolation (round half away from zero) instead of bilinear
}

func (wp *Warp) check(op string, a, b []float32, m []float64) int {
	if wp.H <= 0 || wp.W <= 0 || wp.C <= 0 || wp.Mode > FillWrap || len(m)%6 != 0 {
		panic(fmt.Sprintf("kernel: Warp.%s with H=%d W=%d C=%d mode %v and %d matrix values (want a multiple of 6)", op, wp.H, wp.W, wp.C, wp.Mode, len(m)))
	}
	n := len(m) / 6
	if size := n * wp.H * wp.W * wp.C; len(a) != size || len(b) != size {
		panic(fmt.Sprintf("kernel: Warp.%s of %d images %dx%dx%d needs slices of %d, got %d and %d", op, n, wp.H, wp.W, wp.C, size, len(a), len(b)))
	}
	return n
}

// Apply: src (n,H,W,C), m (n,6) → dst (n,H,W,C). With bilinear
// interpolation each output value is a convex combination of four input
// values (and Fill, under FillConstant, for neighbours outside the image),
// so it stays within their range. dst and src must not overlap.
func (wp *Warp) Apply(dst, src []float32, m []float64) {
	n := wp.check("Apply", dst, src, m)
	img := wp.H * wp.W * wp.C
	for i := range n {
		wp.applyOne(dst[i*img:(i+1)*img], src[i*img:(i+1)*img], m[6*i:6*i+6])
	}
}

func (wp *Warp) applyOne(dst, src []float32, m []float64) {
	h, w, c := wp.H, wp.W, wp.C
	a0, a1, a2, b0, b1, b2 := m[0], m[1], m[2], m[3], m[4], m[5]
	o := 0
	for y := range h {
		// Coordinates in float64: exact for the integer maps of the tests,
		// and cheap next to the four loads.
		cx0, cy0 := a1*float64(y)+a2, b1*float64(y)+b2
		for x := range w {
			cx, cy := a0*float64(x)+cx0, b0*float64(x)+cy0
			d := dst[o : o+c]
			o += c
			if !wp.Nearest {
				ix, iy := floor(cx), floor(cy)
				if ix >= 0 && iy >= 0 && ix < w-1 && iy < h-1 {
					// Interior: all four neighbours exist, no fill.
					fx, fy := float32(cx-float64(ix)), float32(cy-float64(iy))
					w00, w01 := (1-fx)*(1-fy), fx*(1-fy)
					w10, w11 := (1-fx)*fy, fx*fy
					p := (iy*w + ix) * c
					if c == 1 { // grey images, the common case: no channel loop
						d[0] = w00*src[p] + w01*src[p+1] + w10*src[p+w] + w11*src[p+w+1]
						continue
					}
					r0, r1 := src[p:p+2*c], src[p+w*c:p+w*c+2*c]
					for k := range d {
						d[k] = w00*r0[k] + w01*r0[c+k] + w10*r1[k] + w11*r1[c+k]
					}
					continue
				}
			}
			t := wp.taps(cx, cy)
			for k := range d {
				v := t.fill * wp.Fill
				for j := range t.n {
					v += t.wt[j] * src[int(t.idx[j])*c+k]
				}
				d[k] = v
			}
		}
	}
}

// AddGrad: ddst (n,H,W,C), m (n,6) → dsrc (n,H,W,C) += the gradient of Apply
// with respect to src: each output gradient is spread back onto the input
// pixels it was interpolated from, with the same weights. Fill does not
// depend on src and sends nothing back. dsrc and ddst must not overlap.
func (wp *Warp) AddGrad(dsrc, ddst []float32, m []float64) {
	n := wp.check("AddGrad", dsrc, ddst, m)
	h, w, c := wp.H, wp.W, wp.C
	img := h * w * c
	for i := range n {
		ds, dd, mi := dsrc[i*img:(i+1)*img], ddst[i*img:(i+1)*img], m[6*i:6*i+6]
		o := 0
		for y := range h {
			for x := range w {
				cx := mi[0]*float64(x) + (mi[1]*float64(y) + mi[2])
				cy := mi[3]*float64(x) + (mi[4]*float64(y) + mi[5])
				g := dd[o : o+c]
				o += c
				t := wp.taps(cx, cy)
				for j := range t.n {
					q := ds[int(t.idx[j])*c : int(t.idx[j])*c+c]
					for k, gk := range g {
						q[k] += t.wt[j] * gk
					}
				}
			}
		}
	}
}

// taps are the input pixels (row-major indices within one image) and weights
// an output point is interpolated from, and the total weight of the fill.
type taps struct {
	idx  [4]int32
	wt   [4]float32
	n    int
	fill float32
}

// taps computes the interpolation of the input point (cx, cy), with the fill
// mode applied to each neighbour. Apply's interior fast path must equal it.
func (wp *Warp) taps(cx, cy float64) taps {
	var t taps
	if wp.Nearest {
		ix, okx := wp.fix(floor(math.Round(cx)), wp.W)
		iy, oky := wp.fix(floor(math.Round(cy)), wp.H)
		if okx && oky {
			t.idx[0], t.wt[0], t.n = int32(iy*wp.W+ix), 1, 1
		} else {
			t.fill = 1
		}
		return t
	}
	ix, iy := floor(cx), floor(cy)
	fx, fy := float32(cx-float64(ix)), float32(cy-float64(iy))
	x0, okx0 := wp.fix(ix, wp.W)
	x1, okx1 := wp.fix(ix+1, wp.W)
	y0, oky0 := wp.fix(iy, wp.H)
	y1, oky1 := wp.fix(iy+1, wp.H)
	t.add(y0*wp.W+x0, (1-fx)*(1-fy), okx0 && oky0)
	t.add(y0*wp.W+x1, fx*(1-fy), okx1 && oky0)
	t.add(y1*wp.W+x0, (1-fx)*fy, okx0 && oky1)
	t.add(y1*wp.W+x1, fx*fy, okx1 && oky1)
	return t
}

func (t *taps) add(i int, w float32, ok bool) {
	if !ok {
		t.fill += w
		return
	}
	t.idx[t.n], t.wt[t.n] = int32(i), w
	t.n++
}

// fix maps an integer coordinate to one inside [0, n) by the fill mode; ok is
// false when the point is outside under FillConstant.
func (wp *Warp) fix(i, n int) (int, bool) {
	if i >= 0 && i < n {
		return i, true
	}
	switch wp.Mode {
	case FillConstant:
		return 0, false
	case FillNearest:
		return min(max(i, 0), n-1), true
	case FillWrap:
		return mod(i, n), true
	default: // FillReflect: period 2n, the second half mirrored
		k := mod(i, 2*n)
		if k >= n {
			k = 2*n - 1 - k
		}
		return k, true
	}
}

func mod(i, n int) int {
	k := i % n
	if k < 0 {
		k += n
	}
	return k
}

// floor is ⌊v⌋ as an int, clamped to ±2³⁰ so that wild maps stay defined.
func floor(v float64) int {
	if !(v > -1<<30) { // NaN too
		return -1 << 30
	}
	if v > 1<<30 {
		return 1 << 30
	}
	i := int(v)
	if float64(i) > v {
		i--
	}
	return i
}
