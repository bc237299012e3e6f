package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// pool2D is max or average pooling, channels last: x (N,H,W,C) → y
// (N,OH,OW,C), each output the max or mean of a KH×KW window moved by
// (SH,SW). Padding follows Keras (XLA/TF "SAME"): padded cells never win a
// max (they count as −∞), and an average divides by the number of real
// cells in its window, not by the window's area.
type pool2D struct {
	x, y *Var
	geom convGeom
	max  bool

	// argmax holds, for max pooling, the index within its sample of the
	// input cell each output took its value from (the first of equal maxima).
	argmax []int32
	// fast2x2 marks the 2×2, stride 2, unpadded max pooling of every
	// course network, which kernel.MaxPool2x2 does.
	fast2x2 bool

	fwd poolForward
	bwd poolBackward
}

// MaxPool2D takes the maximum of each poolH×poolW window of x (N,H,W,C),
// moved by strideH rows and strideW columns over x padded with padTop rows
// above, padBottom below, padLeft and padRight columns. Padded cells never
// win; every padding must be smaller than the window so that each window
// holds a real cell. The gradient goes to the cell that won in the last
// Forward (the first, in row-major order, of equal maxima).
func (p *Plan) MaxPool2D(x *Var, poolH, poolW, strideH, strideW, padTop, padBottom, padLeft, padRight int) *Var {
	return p.pool2D("MaxPool2D", true, x, poolH, poolW, strideH, strideW, padTop, padBottom, padLeft, padRight)
}

// AvgPool2D averages each poolH×poolW window of x (N,H,W,C), with the
// geometry of MaxPool2D. A window that overlaps the padding is the mean of
// its real cells only, as in Keras.
func (p *Plan) AvgPool2D(x *Var, poolH, poolW, strideH, strideW, padTop, padBottom, padLeft, padRight int) *Var {
	return p.pool2D("AvgPool2D", false, x, poolH, poolW, strideH, strideW, padTop, padBottom, padLeft, padRight)
}

func (p *Plan) pool2D(name string, isMax bool, x *Var, kh, kw, sh, sw, pt, pb, pl, pr int) *Var {
	g := newGeom(name, x.Shape(), kh, kw, sh, sw, pt, pb, pl, pr)
	if pt >= kh || pb >= kh || pl >= kw || pr >= kw {
		panic(fmt.Sprintf("autograd: %s window %dx%d with padding (%d,%d,%d,%d): a padding as large as the window leaves windows without a real cell", name, kh, kw, pt, pb, pl, pr))
	}
	op := &pool2D{x: x, geom: g, max: isMax}
	op.y = p.newVar(op, x.Grad != nil, g.n, g.oh, g.ow, g.c)
	if isMax {
		if g.h*g.w*g.c > 1<<31-1 {
			panic(fmt.Sprintf("autograd: %s input %v too large for int32 indices", name, x.Shape()))
		}
		op.argmax = make([]int32, op.y.Value.Len())
	}
	op.fast2x2 = isMax && kh == 2 && kw == 2 && sh == 2 && sw == 2 && pt == 0 && pl == 0 && g.oh == g.h/2 && g.ow == g.w/2
	op.fwd = poolForward{op}
	op.bwd = poolBackward{op}
	p.add(op)
	return op.y
}

func (o *pool2D) Forward(bool) {
	kernel.Parallel(o.geom.n, o.geom.grain(o.geom.kh*o.geom.kw*o.geom.c), &o.fwd)
}

func (o *pool2D) Backward() {
	if o.x.Grad == nil {
		return
	}
	kernel.Parallel(o.geom.n, o.geom.grain(o.geom.kh*o.geom.kw*o.geom.c), &o.bwd)
}

type poolForward struct{ o *pool2D }

func (j *poolForward) Run(lo, hi int) {
	o := j.o
	g := &o.geom
	in, out := g.h*g.w*g.c, g.oh*g.ow*g.c
	x, y := o.x.Value.Data(), o.y.Value.Data()
	rowStride := g.w * g.c
	if o.fast2x2 {
		for n := lo; n < hi; n++ {
			kernel.MaxPool2x2(y[n*out:(n+1)*out], o.argmax[n*out:(n+1)*out], x[n*in:(n+1)*in], g.h, g.w, g.c)
		}
		return
	}
	for n := lo; n < hi; n++ {
		xn, yn := x[n*in:(n+1)*in], y[n*out:(n+1)*out]
		for i := 0; i < g.oh; i++ {
			ky0, ky1, iy0 := g.rows(i)
			for jj := 0; jj < g.ow; jj++ {
				kx0, kx1, ix0 := g.cols(jj)
				base := (i*g.ow + jj) * g.c
				yo := yn[base : base+g.c]
				first := (iy0*g.w + ix0) * g.c // the window's first real cell
				if o.max {
					maxWindow(yo, o.argmax[n*out+base:][:g.c], xn, first, rowStride, ky1-ky0, kx1-kx0)
				} else {
					meanWindow(yo, xn, first, rowStride, ky1-ky0, kx1-kx0)
				}
			}
		}
	}
}

// maxWindow sets yo[c] to the largest x[at+c] over the nky×nkx cells of a
// window whose first cell starts at first, rows rowStride apart, and am[c]
// to its index. Cells are scanned in row-major order and one replaces the
// best so far when it is greater, or when it is NaN and the best is not
// (kernel.MaxPool2x2's rule): the first of equal maxima wins, and a NaN
// wins its window.
func maxWindow(yo []float32, am []int32, x []float32, first, rowStride, nky, nkx int) {
	c := len(yo)
	am = am[:c]
	for ch := range yo {
		at := first + ch
		best := x[at]
		for r := 0; r < nky; r++ {
			p := first + r*rowStride + ch
			for k := 0; k < nkx; k++ {
				if v := x[p]; v > best || (v != v && best == best) {
					at, best = p, v
				}
				p += c
			}
		}
		yo[ch], am[ch] = best, int32(at)
	}
}

// meanWindow sets yo[c] to the mean of x[at+c] over the window's nky×nkx
// real cells, summed in row-major order.
func meanWindow(yo []float32, x []float32, first, rowStride, nky, nkx int) {
	c := len(yo)
	inv := 1 / float32(nky*nkx)
	for ch := range yo {
		var s float32
		for r := 0; r < nky; r++ {
			p := first + r*rowStride + ch
			for k := 0; k < nkx; k++ {
				s += x[p]
				p += c
			}
		}
		yo[ch] = s * inv
	}
}

type poolBackward struct{ o *pool2D }

// Run adds each output gradient to its window's winner (max) or spreads it
// evenly over the window's real cells (average). Samples own disjoint parts
// of dx, so the result does not depend on the split.
func (j *poolBackward) Run(lo, hi int) {
	o := j.o
	g := &o.geom
	in, out := g.h*g.w*g.c, g.oh*g.ow*g.c
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	for n := lo; n < hi; n++ {
		dxn, dyn := dx[n*in:(n+1)*in], dy[n*out:(n+1)*out]
		if o.max {
			kernel.ScatterAdd(dxn, dyn, o.argmax[n*out:(n+1)*out])
			continue
		}
		for i := 0; i < g.oh; i++ {
			ky0, ky1, iy0 := g.rows(i)
			for jj := 0; jj < g.ow; jj++ {
				kx0, kx1, ix0 := g.cols(jj)
				base := (i*g.ow + jj) * g.c
				d := dyn[base : base+g.c]
				inv := 1 / float32((ky1-ky0)*(kx1-kx0))
				for iy := iy0; iy < iy0+ky1-ky0; iy++ {
					for ix := ix0; ix < ix0+kx1-kx0; ix++ {
						at := (iy*g.w + ix) * g.c
						for c, v := range d {
							dxn[at+c] += v * inv
						}
					}
				}
			}
		}
	}
}

// globalAvgPool is the mean over the spatial axes: x (N,H,W,C) → y (N,C).
type globalAvgPool struct {
	x, y     *Var
	n, hw, c int
}

// GlobalAvgPool2D averages x (N,H,W,C) over H and W, giving (N,C).
func (p *Plan) GlobalAvgPool2D(x *Var) *Var {
	xs := x.Shape()
	if len(xs) != 4 {
		panic(fmt.Sprintf("autograd: GlobalAvgPool2D needs an input (N,H,W,C), got shape %v", xs))
	}
	op := &globalAvgPool{x: x, n: xs[0], hw: xs[1] * xs[2], c: xs[3]}
	op.y = p.newVar(op, x.Grad != nil, op.n, op.c)
	p.add(op)
	return op.y
}

func (o *globalAvgPool) Forward(bool) {
	x, y := o.x.Value.Data(), o.y.Value.Data()
	clear(y)
	inv := 1 / float32(o.hw)
	for n := 0; n < o.n; n++ {
		// Summing the H·W rows of (H·W, C) is a column sum.
		kernel.AddColumnSums(y[n*o.c:(n+1)*o.c], x[n*o.hw*o.c:(n+1)*o.hw*o.c], o.hw, o.c)
	}
	kernel.Scale(y, inv)
}

func (o *globalAvgPool) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	inv := 1 / float32(o.hw)
	for n := 0; n < o.n; n++ {
		d := dy[n*o.c : (n+1)*o.c]
		for t := 0; t < o.hw; t++ {
			row := dx[(n*o.hw+t)*o.c:][:o.c]
			for c, v := range d {
				row[c] += v * inv
			}
		}
	}
}
