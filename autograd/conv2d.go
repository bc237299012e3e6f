package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// conv2D is a 2-D convolution (Keras's, i.e. a cross-correlation), channels
// last, optionally fused with a bias and a ReLU: x (N,H,W,C), w (KH,KW,C,F),
// b (F) → y (N,OH,OW,F) with
//
//	y[n,i,j,f] = act(b[f] + Σ_{ky,kx,c} x[n, i·sh+ky-pt, j·sw+kx-pl, c] · w[ky,kx,c,f])
//
// where cells outside x (the padding) count as zero. kernel.Conv2D does the
// work (GEMM tiles reading shifted windows of x in place for stride 1,
// blocked im2col + GEMM otherwise, with the bias and ReLU applied to each
// block while it is in cache); fusing saves the two extra passes over y, and
// their gradients, that separate BiasAdd and ReLU ops would cost.
//
// kernel.Conv2D splits its passes across the kernel's workers itself (by
// output rows, and by fixed batch groups for the weight gradient), with
// results that are the same bits for any number of workers.
type conv2D struct {
	x, y *Var
	w, b *Param
	relu bool
	k    *kernel.Conv2D
}

// convGeom is the window geometry shared by convolution and pooling:
// input (N,H,W,C), window KH×KW moved by (SH,SW) over the input padded with
// PT rows on top and PL columns on the left (the bottom and right padding
// only decide OH and OW).
type convGeom struct {
	n, h, w, c int
	kh, kw     int
	sh, sw     int
	pt, pl     int
	oh, ow     int
}

// newGeom checks a window geometry and computes the output size
// OH = (H + pt + pb - KH)/SH + 1 (likewise OW), panicking on nonsense.
func newGeom(op string, xs []int, kh, kw, sh, sw, pt, pb, pl, pr int) convGeom {
	if len(xs) != 4 {
		panic(fmt.Sprintf("autograd: %s needs an input (N,H,W,C), got shape %v", op, xs))
	}
	if kh < 1 || kw < 1 || sh < 1 || sw < 1 || pt < 0 || pb < 0 || pl < 0 || pr < 0 {
		panic(fmt.Sprintf("autograd: %s with window %dx%d, strides %dx%d, padding (%d,%d,%d,%d)", op, kh, kw, sh, sw, pt, pb, pl, pr))
	}
	g := convGeom{n: xs[0], h: xs[1], w: xs[2], c: xs[3], kh: kh, kw: kw, sh: sh, sw: sw, pt: pt, pl: pl}
	if xs[1]+pt+pb < kh || xs[2]+pl+pr < kw {
		panic(fmt.Sprintf("autograd: %s window %dx%d larger than the padded input %v", op, kh, kw, xs))
	}
	g.oh = (g.h+pt+pb-kh)/sh + 1
	g.ow = (g.w+pl+pr-kw)/sw + 1
	return g
}

// rows returns the window's rows [ky0, ky1) that fall inside the input for
// output row i, and the input row iy0 of ky0; likewise cols for columns.
func (g *convGeom) rows(i int) (ky0, ky1, iy0 int) {
	top := i*g.sh - g.pt
	ky0, ky1 = max(0, -top), min(g.kh, g.h-top)
	return ky0, ky1, top + ky0
}

func (g *convGeom) cols(j int) (kx0, kx1, ix0 int) {
	left := j*g.sw - g.pl
	kx0, kx1 = max(0, -left), min(g.kw, g.w-left)
	return kx0, kx1, left + kx0
}

// grain is the number of samples worth waking a worker for: about 64k
// values of work per chunk.
func (g *convGeom) grain(perPixel int) int {
	return max(1, (1<<16)/max(1, g.oh*g.ow*perPixel))
}

// Conv2D convolves x (N,H,W,C) with the kernel w (KH,KW,C,F), moving it by
// strideH rows and strideW columns over x padded with zeros (padTop rows
// above, padBottom below, padLeft and padRight columns), and returns
// (N,OH,OW,F) with OH = (H+padTop+padBottom-KH)/strideH + 1, likewise OW.
// The bias is a separate BiasAdd; Conv2DBiasReLU fuses both.
func (p *Plan) Conv2D(x *Var, w *Param, strideH, strideW, padTop, padBottom, padLeft, padRight int) *Var {
	return p.Conv2DBiasReLU(x, w, nil, false, strideH, strideW, padTop, padBottom, padLeft, padRight)
}

// Conv2DBiasReLU is Conv2D followed by adding b (F), unless b is nil, and
// then, when relu is set, max(·, 0), all in one op and one pass over the
// output. Its gradient flows where the output is positive, as ReLU's.
func (p *Plan) Conv2DBiasReLU(x *Var, w, b *Param, relu bool, strideH, strideW, padTop, padBottom, padLeft, padRight int) *Var {
	ws := w.Value.Shape()
	xs := x.Shape()
	if len(ws) != 4 || len(xs) != 4 || ws[2] != xs[3] {
		panic(fmt.Sprintf("autograd: Conv2D of %v by kernel %v (want (N,H,W,C) and (KH,KW,C,F))", xs, ws))
	}
	if b != nil && (b.Value.Len() != ws[3] || len(b.Value.Shape()) != 1) {
		panic(fmt.Sprintf("autograd: Conv2D with kernel %v and bias %v (want (%d))", ws, b.Value.Shape(), ws[3]))
	}
	g := newGeom("Conv2D", xs, ws[0], ws[1], strideH, strideW, padTop, padBottom, padLeft, padRight)
	op := &conv2D{x: x, w: w, b: b, relu: relu,
		k: kernel.NewConv2D(g.n, g.h, g.w, g.c, g.kh, g.kw, ws[3], strideH, strideW, padTop, padBottom, padLeft, padRight)}
	needGrad := x.Grad != nil || w.Grad != nil || (b != nil && b.Grad != nil)
	op.y = p.newVar(op, needGrad, g.n, g.oh, g.ow, ws[3])
	if op.y.Grad != nil && w.Grad != nil {
		op.k.KeepPatches() // Backward's weight gradient reads them
	}
	p.Use(w)
	if b != nil {
		p.Use(b)
	}
	p.add(op)
	return op.y
}

func (o *conv2D) Forward(bool) {
	var bias []float32
	if o.b != nil {
		bias = o.b.Value.Data()
	}
	o.k.Forward(o.y.Value.Data(), o.x.Value.Data(), o.w.Value.Data(), bias, o.relu)
}

func (o *conv2D) Backward() {
	if o.y.Grad == nil {
		return
	}
	var dx, dw, db []float32
	if o.x.Grad != nil {
		dx = o.x.Grad.Data()
	}
	if o.w.Grad != nil {
		dw = o.w.Grad.Data()
	}
	if o.b != nil && o.b.Grad != nil {
		db = o.b.Grad.Data()
	}
	o.k.Backward(dx, dw, db, o.y.Grad.Data(), o.x.Value.Data(), o.w.Value.Data(), o.y.Value.Data(), o.relu)
}
