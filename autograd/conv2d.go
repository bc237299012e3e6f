package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// conv2D is a 2-D convolution (Keras's, i.e. a cross-correlation), channels
// last: x (N,H,W,C), w (KH,KW,C,F) → y (N,OH,OW,F) with
//
//	y[n,i,j,f] = Σ_{ky,kx,c} x[n, i·sh+ky-pt, j·sw+kx-pl, c] · w[ky,kx,c,f]
//
// where cells outside x (the padding) count as zero. It runs as im2col and
// one GEMM: the patches matrix cols (N·OH·OW, KH·KW·C) has one row per output
// pixel, laid out (ky, kx, c) like a row of w seen as (KH·KW·C, F), so that
// y = cols·w. The backward pass is dw += colsᵀ·dy and dcols = dy·wᵀ, which
// col2im adds back into dx.
type conv2D struct {
	x, y *Var
	w    *Param
	geom convGeom
	f    int

	cols  []float32 // patches of the last Forward, (N·OH·OW, K)
	dcols []float32 // gradient of the patches, (N·OH·OW, K); nil without dx

	toCols   im2colJob // jobs are fields so that handing them to the pool
	fromCols col2imJob // allocates nothing
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
// The bias is a separate BiasAdd.
func (p *Plan) Conv2D(x *Var, w *Param, strideH, strideW, padTop, padBottom, padLeft, padRight int) *Var {
	ws := w.Value.Shape()
	xs := x.Shape()
	if len(ws) != 4 || len(xs) != 4 || ws[2] != xs[3] {
		panic(fmt.Sprintf("autograd: Conv2D of %v by kernel %v (want (N,H,W,C) and (KH,KW,C,F))", xs, ws))
	}
	g := newGeom("Conv2D", xs, ws[0], ws[1], strideH, strideW, padTop, padBottom, padLeft, padRight)
	op := &conv2D{x: x, w: w, geom: g, f: ws[3]}
	k := g.kh * g.kw * g.c
	op.cols = make([]float32, g.n*g.oh*g.ow*k)
	op.y = p.newVar(op, x.Grad != nil || w.Grad != nil, g.n, g.oh, g.ow, op.f)
	if x.Grad != nil && !p.noGrad {
		op.dcols = make([]float32, len(op.cols))
	}
	op.toCols = im2colJob{g: &op.geom, x: x.Value.Data(), cols: op.cols}
	op.fromCols = col2imJob{g: &op.geom, cols: op.dcols}
	if x.Grad != nil {
		op.fromCols.dx = x.Grad.Data()
	}
	p.Use(w)
	p.add(op)
	return op.y
}

func (o *conv2D) Forward(bool) {
	g := &o.geom
	m, k := g.n*g.oh*g.ow, g.kh*g.kw*g.c
	kernel.Parallel(g.n, g.grain(k), &o.toCols)
	kernel.Gemm(false, false, m, o.f, k, 1, o.cols, k, o.w.Value.Data(), o.f, 0, o.y.Value.Data(), o.f)
}

func (o *conv2D) Backward() {
	if o.y.Grad == nil {
		return
	}
	g := &o.geom
	m, k := g.n*g.oh*g.ow, g.kh*g.kw*g.c
	dy := o.y.Grad.Data()
	if o.w.Grad != nil { // dw (K, F) += colsᵀ·dy
		kernel.Gemm(true, false, k, o.f, m, 1, o.cols, k, dy, o.f, 1, o.w.Grad.Data(), o.f)
	}
	if o.dcols != nil && o.x.Grad != nil { // dcols (M, K) = dy·wᵀ, then dx += col2im(dcols)
		kernel.Gemm(false, true, m, k, o.f, 1, dy, o.f, o.w.Value.Data(), o.f, 0, o.dcols, k)
		kernel.Parallel(g.n, g.grain(k), &o.fromCols)
	}
}

// im2colJob fills the patch rows of samples [lo, hi): row (n,i,j) holds
// x[n, i·sh-pt+ky, j·sw-pl+kx, c] at column (ky·KW + kx)·C + c, zero where
// that cell is padding. In NHWC the kx-range of one window row is contiguous
// in x, so each window row is a single copy.
type im2colJob struct {
	g       *convGeom
	x, cols []float32
}

func (j *im2colJob) Run(lo, hi int) {
	g := j.g
	rowLen := g.kw * g.c
	k := g.kh * rowLen
	for n := lo; n < hi; n++ {
		xn := j.x[n*g.h*g.w*g.c : (n+1)*g.h*g.w*g.c]
		for i := 0; i < g.oh; i++ {
			ky0, ky1, iy0 := g.rows(i)
			for jj := 0; jj < g.ow; jj++ {
				kx0, kx1, ix0 := g.cols(jj)
				dst := j.cols[((n*g.oh+i)*g.ow+jj)*k:][:k]
				if ky0 > 0 || ky1 < g.kh || kx0 > 0 || kx1 < g.kw {
					clear(dst) // the window overlaps the padding
				}
				if kx1 <= kx0 {
					continue
				}
				span := (kx1 - kx0) * g.c
				for ky := ky0; ky < ky1; ky++ {
					src := xn[((iy0+ky-ky0)*g.w+ix0)*g.c:][:span]
					d := dst[ky*rowLen+kx0*g.c:][:span]
					if span < 16 { // a loop beats a memmove call for a few values
						for t, v := range src {
							d[t] = v
						}
					} else {
						copy(d, src)
					}
				}
			}
		}
	}
}

// col2imJob is im2col's adjoint for samples [lo, hi): each patch value is
// added back into the input cell it was copied from. Samples own disjoint
// parts of dx, so the sum order, hence the result, does not depend on how
// the pool splits the batch.
type col2imJob struct {
	g        *convGeom
	cols, dx []float32
}

func (j *col2imJob) Run(lo, hi int) {
	g := j.g
	rowLen := g.kw * g.c
	k := g.kh * rowLen
	for n := lo; n < hi; n++ {
		dxn := j.dx[n*g.h*g.w*g.c : (n+1)*g.h*g.w*g.c]
		for i := 0; i < g.oh; i++ {
			ky0, ky1, iy0 := g.rows(i)
			for jj := 0; jj < g.ow; jj++ {
				kx0, kx1, ix0 := g.cols(jj)
				if kx1 <= kx0 {
					continue
				}
				src := j.cols[((n*g.oh+i)*g.ow+jj)*k:][:k]
				span := (kx1 - kx0) * g.c
				for ky := ky0; ky < ky1; ky++ {
					d := dxn[((iy0+ky-ky0)*g.w+ix0)*g.c:][:span]
					s := src[ky*rowLen+kx0*g.c:][:span]
					for t, v := range s {
						d[t] += v
					}
				}
			}
		}
	}
}
