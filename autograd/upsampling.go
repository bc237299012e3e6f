package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
)

// upSampling2D enlarges images by whole factors: x (N,H,W,C) → y (N, H·sh,
// W·sw, C). Nearest repeats every pixel sh×sw times; bilinear interpolates
// with half-pixel centres (source = (o+½)/s - ½, clamped to the image), as
// Keras's resize and PyTorch's interpolate with align_corners=False do.
type upSampling2D struct {
	x, y     *Var
	sh, sw   int
	bilinear bool
	rows     lerp // bilinear: the two source rows of each output row
	cols     lerp // bilinear: the two source columns of each output column
	// scratch, per sample. Nearest: one output row (OW·C), the sum of the
	// gradients of the sh output rows made from one input row. Bilinear:
	// H rows of OW·C, the input rows interpolated along W (Forward) or
	// their gradients (Backward).
	scratch []float32
}

// lerp is linear interpolation along one axis: output index o reads source
// indices lo[o] and hi[o] with weights 1-w[o] and w[o].
type lerp struct {
	lo, hi []int
	w      []float32
}

// halfPixelLerp is the interpolation from in to out = in·s samples with
// half-pixel centres. The source position is computed in float64; Keras
// and PyTorch use float32, which differs by under 1e-7 for small factors.
func halfPixelLerp(in, out int) lerp {
	l := lerp{lo: make([]int, out), hi: make([]int, out), w: make([]float32, out)}
	ratio := float64(in) / float64(out)
	for o := range out {
		src := max((float64(o)+0.5)*ratio-0.5, 0)
		lo := min(int(src), in-1)
		l.lo[o], l.hi[o] = lo, min(lo+1, in-1)
		if l.hi[o] != lo {
			l.w[o] = float32(src - float64(lo))
		}
	}
	return l
}

// UpSampling2D enlarges x (N,H,W,C) by the factors sh (rows) and sw
// (columns), both ≥ 1: by repeating each pixel (bilinear false, Keras's
// "nearest") or by bilinear interpolation with half-pixel centres.
func (p *Plan) UpSampling2D(x *Var, sh, sw int, bilinear bool) *Var {
	xs := x.Shape()
	if len(xs) != 4 || sh < 1 || sw < 1 {
		panic(fmt.Sprintf("autograd: UpSampling2D of %v by (%d, %d) (want (N,H,W,C) and factors ≥ 1)", xs, sh, sw))
	}
	h, w, c := xs[1], xs[2], xs[3]
	op := &upSampling2D{x: x, sh: sh, sw: sw, bilinear: bilinear}
	op.y = p.newVar(op, x.Grad != nil, xs[0], h*sh, w*sw, c)
	if bilinear {
		op.rows, op.cols = halfPixelLerp(h, h*sh), halfPixelLerp(w, w*sw)
		// Forward fills and reads it before returning: an inference plan
		// lends it to later ops (taken after y, which it must not share).
		op.scratch = p.temp(h * w * sw * c)
	} else if !p.noGrad {
		op.scratch = make([]float32, w*sw*c)
	}
	p.add(op)
	return op.y
}

func (o *upSampling2D) Forward(bool) {
	if o.bilinear {
		o.bilinearForward()
		return
	}
	xs := o.x.Shape()
	n, h, w, c := xs[0], xs[1], xs[2], xs[3]
	x, y := o.x.Value.Data(), o.y.Value.Data()
	ow := w * o.sw
	for r := 0; r < n*h; r++ {
		// Input row r makes output rows r·sh … r·sh+sh-1: build the first,
		// then copy it whole.
		src, dst := x[r*w*c:(r+1)*w*c], y[r*o.sh*ow*c:(r*o.sh+1)*ow*c]
		for j := 0; j < w; j++ {
			px := src[j*c : (j+1)*c]
			for b := 0; b < o.sw; b++ {
				copy(dst[(j*o.sw+b)*c:], px)
			}
		}
		for a := 1; a < o.sh; a++ {
			copy(y[(r*o.sh+a)*ow*c:], dst)
		}
	}
}

func (o *upSampling2D) Backward() {
	if o.x.Grad == nil {
		return
	}
	if o.bilinear {
		o.bilinearBackward()
		return
	}
	xs := o.x.Shape()
	n, h, w, c := xs[0], xs[1], xs[2], xs[3]
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	row := w * o.sw * c
	// dx of a pixel is the sum of dy over its sh×sw block: first over the
	// block's rows, whole rows at a time, then over its columns.
	for r := 0; r < n*h; r++ {
		s := dy[r*o.sh*row : (r*o.sh+1)*row]
		if o.sh > 1 {
			copy(o.scratch, s)
			for a := 1; a < o.sh; a++ {
				kernel.AddTo(o.scratch, dy[(r*o.sh+a)*row:(r*o.sh+a+1)*row])
			}
			s = o.scratch
		}
		addColumnBlocks(dx[r*w*c:(r+1)*w*c], s, w, o.sw, c)
	}
}

// addColumnBlocks adds to d (w pixels of c channels) the sums of s (w·sw
// pixels) over each run of sw pixels: d[j] += Σ_b s[j·sw+b].
func addColumnBlocks(d, s []float32, w, sw, c int) {
	for j := 0; j < w; j++ {
		dp := d[j*c : (j+1)*c]
		for b := 0; b < sw; b++ {
			sp := s[(j*sw+b)*c : (j*sw+b+1)*c]
			if c >= 8 {
				kernel.AddTo(dp, sp)
				continue
			}
			for k := range dp { // a few channels: a call would cost more
				dp[k] += sp[k]
			}
		}
	}
}

// bilinearForward interpolates each input row along W into scratch (H rows
// of OW·C, a sample at a time), then makes each output row as the weighted
// sum of two of those rows, whole rows at a time.
func (o *upSampling2D) bilinearForward() {
	xs := o.x.Shape()
	n, h, w, c := xs[0], xs[1], xs[2], xs[3]
	oh, ow := h*o.sh, w*o.sw
	x, y := o.x.Value.Data(), o.y.Value.Data()
	u, row := o.scratch, ow*c
	for s := 0; s < n; s++ {
		for i := 0; i < h; i++ {
			src, dst := x[(s*h+i)*w*c:(s*h+i+1)*w*c], u[i*row:(i+1)*row]
			for q := 0; q < ow; q++ {
				a, b, t := src[o.cols.lo[q]*c:], src[o.cols.hi[q]*c:], o.cols.w[q]
				d := dst[q*c : (q+1)*c]
				for k := range d {
					d[k] = a[k] + t*(b[k]-a[k])
				}
			}
		}
		for r := 0; r < oh; r++ {
			dst := y[(s*oh+r)*row : (s*oh+r+1)*row]
			lo, t := o.rows.lo[r], o.rows.w[r]
			copy(dst, u[lo*row:(lo+1)*row])
			if t != 0 {
				hi := o.rows.hi[r]
				kernel.Scale(dst, 1-t)
				kernel.Axpy(dst, t, u[hi*row:(hi+1)*row])
			}
		}
	}
}

// bilinearBackward runs the forward's two steps transposed: each output
// row's gradient goes to its two scratch rows, whole rows at a time, and
// each scratch row's to the input row's pixels.
func (o *upSampling2D) bilinearBackward() {
	xs := o.x.Shape()
	n, h, w, c := xs[0], xs[1], xs[2], xs[3]
	oh, ow := h*o.sh, w*o.sw
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	v, row := o.scratch, ow*c
	for s := 0; s < n; s++ {
		clear(v)
		for r := 0; r < oh; r++ {
			g := dy[(s*oh+r)*row : (s*oh+r+1)*row]
			lo, hi, t := o.rows.lo[r], o.rows.hi[r], o.rows.w[r]
			kernel.Axpy(v[lo*row:(lo+1)*row], 1-t, g)
			if t != 0 {
				kernel.Axpy(v[hi*row:(hi+1)*row], t, g)
			}
		}
		for i := 0; i < h; i++ {
			src, dst := v[i*row:(i+1)*row], dx[(s*h+i)*w*c:(s*h+i+1)*w*c]
			for q := 0; q < ow; q++ {
				g, t := src[q*c:(q+1)*c], o.cols.w[q]
				a, b := dst[o.cols.lo[q]*c:], dst[o.cols.hi[q]*c:]
				for k, gk := range g {
					a[k] += (1 - t) * gk
					b[k] += t * gk
				}
			}
		}
	}
}
