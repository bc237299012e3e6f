package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// conv2DTranspose is the transposed convolution (the gradient of a
// convolution with respect to its input, Keras's Conv2DTranspose and ONNX's
// ConvTranspose): x (N,H,W,C), w (KH,KW,F,C) in Keras's order, b (F) → y
// (N,OH,OW,F) where every input pixel spreads its values over a window of
// the output:
//
//	y[n, i·sh+ky·dh-pt, j·sw+kx·dw-pl, f] += x[n,i,j,c] · w[ky,kx,f,c]
//
// plus b[f] everywhere. The "full" output is (H-1)·sh + dh·(KH-1) + 1 rows;
// pt rows are cut from its top and pb from its bottom (a negative pb adds
// rows of bias only, ONNX's output_padding), likewise the columns.
//
// It is one GEMM and a scatter: cols (N·H·W, KH·KW·F) = x · wᵀ, each row of
// cols the contributions of one input pixel, then added to y where they
// land; Backward gathers dy the same way into cols and makes dx and dw
// with two more GEMMs.
type conv2DTranspose struct {
	x, y         *Var
	w, b         *Param
	g            Conv2DGeometry
	kh, kw, f, c int
	cols         []float32 // (N·H·W, KH·KW·F), made when the plan is built (Forward's scratch; Backward's too)
	// gemm is kernel.Gemm, or kernel.GemmBF16 when w's products are
	// bfloat16 ones (w.BF16Products when built), for all three products.
	gemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

// Conv2DTranspose is the transposed convolution of x (N,H,W,C) by w
// (KH,KW,F,C) (Keras's kernel layout for it), plus b (F) unless b is nil,
// with g's strides and dilations; g's padding crops the full output
// (PadBottom and PadRight may be negative to extend it). It returns
// (N,OH,OW,F) with OH = (H-1)·StrideH + DilationH·(KH-1) + 1 - PadTop -
// PadBottom, likewise OW.
func (p *Plan) Conv2DTranspose(x *Var, w, b *Param, g Conv2DGeometry) *Var {
	xs, ws := x.Shape(), w.Value.Shape()
	if len(xs) != 4 || len(ws) != 4 || ws[3] != xs[3] {
		panic(fmt.Sprintf("autograd: Conv2DTranspose of %v by kernel %v (want (N,H,W,C) and (KH,KW,F,C))", xs, ws))
	}
	g.check("Conv2DTranspose")
	if b != nil && b.Value.Len() != ws[2] {
		panic(fmt.Sprintf("autograd: Conv2DTranspose with kernel %v and bias %v (want (%d))", ws, b.Value.Shape(), ws[2]))
	}
	oh := (xs[1]-1)*g.StrideH + g.DilationH*(ws[0]-1) + 1 - g.PadTop - g.PadBottom
	ow := (xs[2]-1)*g.StrideW + g.DilationW*(ws[1]-1) + 1 - g.PadLeft - g.PadRight
	if oh < 1 || ow < 1 || g.PadTop < 0 || g.PadLeft < 0 {
		panic(fmt.Sprintf("autograd: Conv2DTranspose of %v by kernel %v with %+v leaves no output", xs, ws, g))
	}
	op := &conv2DTranspose{x: x, w: w, b: b, g: g, kh: ws[0], kw: ws[1], f: ws[2], c: ws[3], gemm: kernel.Gemm}
	if w.BF16Products() {
		op.gemm = kernel.GemmBF16
	}
	needGrad := x.Grad != nil || w.Grad != nil || (b != nil && b.Grad != nil)
	op.y = p.newVar(op, needGrad, xs[0], oh, ow, ws[2])
	// Forward fills cols and reads it back before returning, so an
	// inference plan lends it from the pool (after y, which it must not
	// share) to the outputs of later ops.
	op.cols = p.temp(xs[0] * xs[1] * xs[2] * ws[0] * ws[1] * ws[2])
	p.Use(w)
	if b != nil {
		p.Use(b)
	}
	p.add(op)
	return op.y
}

// spots calls f for every input pixel (its row of cols) and every tap of
// the kernel whose output lands inside y, with the offsets of the tap's F
// values in cols and of the output pixel in y.
func (o *conv2DTranspose) spots(f func(colOff, yOff int)) {
	xs, ys := o.x.Shape(), o.y.Shape()
	h, w, oh, ow := xs[1], xs[2], ys[1], ys[2]
	g, kf := o.g, o.kh*o.kw*o.f
	for n := 0; n < xs[0]; n++ {
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				row := ((n*h+i)*w + j) * kf
				for ky := 0; ky < o.kh; ky++ {
					r := i*g.StrideH + ky*g.DilationH - g.PadTop
					if r < 0 || r >= oh {
						continue
					}
					for kx := 0; kx < o.kw; kx++ {
						col := j*g.StrideW + kx*g.DilationW - g.PadLeft
						if col < 0 || col >= ow {
							continue
						}
						f(row+(ky*o.kw+kx)*o.f, ((n*oh+r)*ow+col)*o.f)
					}
				}
			}
		}
	}
}

func (o *conv2DTranspose) Forward(bool) {
	x, w, y := o.x.Value.Data(), o.w.Value.Data(), o.y.Value.Data()
	rows, kf := len(x)/o.c, o.kh*o.kw*o.f
	o.gemm(false, true, rows, kf, o.c, 1, x, o.c, w, o.c, 0, o.cols, kf)
	if o.b != nil {
		b := o.b.Value.Data()
		for i := 0; i < len(y); i += o.f {
			copy(y[i:i+o.f], b)
		}
	} else {
		clear(y)
	}
	cols, nf := o.cols, o.f
	o.spots(func(colOff, yOff int) {
		ys, cs := y[yOff:yOff+nf], cols[colOff:colOff+nf]
		for k := range ys {
			ys[k] += cs[k]
		}
	})
}

func (o *conv2DTranspose) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	if o.b != nil && o.b.Grad != nil {
		db := o.b.Grad.Data()
		for i := 0; i < len(dy); i += o.f {
			for k, v := range dy[i : i+o.f] {
				db[k] += v
			}
		}
	}
	if o.x.Grad == nil && o.w.Grad == nil {
		return
	}
	cols, nf := o.cols, o.f
	clear(cols)
	o.spots(func(colOff, yOff int) { copy(cols[colOff:colOff+nf], dy[yOff:yOff+nf]) })
	x, w := o.x.Value.Data(), o.w.Value.Data()
	rows, kf := len(x)/o.c, o.kh*o.kw*o.f
	if o.x.Grad != nil { // dx (rows, C) += dcols · w
		o.gemm(false, false, rows, o.c, kf, 1, cols, kf, w, o.c, 1, o.x.Grad.Data(), o.c)
	}
	if o.w.Grad != nil { // dw (KH·KW·F, C) += dcolsᵀ · x
		o.gemm(true, false, kf, o.c, rows, 1, cols, kf, x, o.c, 1, o.w.Grad.Data(), o.c)
	}
}
