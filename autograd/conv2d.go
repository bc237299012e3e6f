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
	kb   *kernel.Conv2DBF16 // runs instead of k: bfloat16 products (w.BF16Products when built)
	// setX, setW and setB say the op writes x's, w's and b's gradients
	// first in the backward pass (overwrite.go): its kernel then sets
	// them (kernel.Conv2D.SetGrads) instead of the plan zeroing them.
	setX, setW, setB bool
	// bn, when not nil, is the batch normalization that alone reads y,
	// whose input gradient (y's) Backward computes as it needs it instead
	// of bn writing it out (conv2d_bngrad.go); bnGrad holds its operands
	// for the kernel, here so that handing them over allocates nothing.
	bn     *batchNorm
	bnGrad kernel.BNGrad
	// in, when not nil, is the normalization whose output x is and which
	// the kernel applies to in.x as it reads it (normin.go).
	in *batchNorm
	// pool, when not nil, is the max pooling whose gradient and winners
	// give bn's output gradient (normsums.go), held in pooled for the
	// kernel while Backward runs.
	pool   *pool2D
	pooled kernel.PooledGrad
	// statsFor, when not nil, are the batch statistics of the
	// normalization reading y, which a training Forward takes (bnstats.go).
	statsFor *kernel.BNStats
}

// window checks the geometry of a kh×kw window moved by sh rows and sw
// columns over x (N,H,W,C) padded with pt rows above, pb below, pl and pr
// columns, and returns it; the output is (N,OH,OW,·), (OH, OW) its Out().
func window(op string, xs []int, kh, kw, sh, sw, pt, pb, pl, pr int) kernel.Window {
	if len(xs) != 4 {
		panic(fmt.Sprintf("autograd: %s needs an input (N,H,W,C), got shape %v", op, xs))
	}
	if kh < 1 || kw < 1 || sh < 1 || sw < 1 || pt < 0 || pb < 0 || pl < 0 || pr < 0 {
		panic(fmt.Sprintf("autograd: %s with window %dx%d, strides %dx%d, padding (%d,%d,%d,%d)", op, kh, kw, sh, sw, pt, pb, pl, pr))
	}
	if xs[1]+pt+pb < kh || xs[2]+pl+pr < kw {
		panic(fmt.Sprintf("autograd: %s window %dx%d larger than the padded input %v", op, kh, kw, xs))
	}
	return kernel.Window{H: xs[1], W: xs[2], KH: kh, KW: kw, SH: sh, SW: sw, PT: pt, PB: pb, PL: pl, PR: pr}
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
	g := window("Conv2D", xs, ws[0], ws[1], strideH, strideW, padTop, padBottom, padLeft, padRight)
	op := &conv2D{x: x, w: w, b: b, relu: relu, k: kernel.NewConv2D(xs[0], xs[3], ws[3], g)}
	if w.BF16Products() {
		op.kb = kernel.NewConv2DBF16(op.k) // nil for geometries it has no form for
	}
	if op.kb == nil {
		op.k.ShareScratch(p.convScratch())
	}
	needGrad := x.Grad != nil || w.Grad != nil || (b != nil && b.Grad != nil)
	oh, ow := g.Out()
	op.y = p.newVar(op, needGrad, xs[0], oh, ow, ws[3])
	if op.y.Grad != nil && w.Grad != nil && op.kb == nil {
		op.k.KeepPatches() // Backward's weight gradient reads them
	}
	p.Use(w)
	if b != nil {
		p.Use(b)
	}
	p.add(op)
	return op.y
}

func (o *conv2D) Forward(training bool) {
	o.setStats(training)
	var bias []float32
	if o.b != nil {
		bias = o.b.Value.Data()
	}
	if o.kb != nil {
		o.kb.Forward(o.y.Value.Data(), o.input(), o.w.Value.Data(), bias, o.relu)
		return
	}
	o.k.Forward(o.y.Value.Data(), o.input(), o.w.Value.Data(), bias, o.relu)
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
	o.k.SetGrads(o.setX, o.setW, o.setB) // kb follows k's flags
	if o.bn != nil {
		o.backwardBN(dx, dw, db)
		return
	}
	if o.kb != nil {
		o.kb.Backward(dx, dw, db, o.y.Grad.Data(), o.input(), o.w.Value.Data(), o.y.Value.Data(), o.relu)
		return
	}
	o.k.Backward(dx, dw, db, o.y.Grad.Data(), o.input(), o.w.Value.Data(), o.y.Value.Data(), o.relu)
}

// gradSlots: the convolution's kernel can set each of its three
// gradients, with the bits of adding into zeros.
func (o *conv2D) gradSlots(dst []gradSlot) []gradSlot {
	if o.y.Grad == nil {
		return dst
	}
	dst = setSlot(setSlot(dst, o.x.Grad, &o.setX), o.w.Grad, &o.setW)
	if o.b != nil {
		dst = setSlot(dst, o.b.Grad, &o.setB)
	}
	return dst
}
