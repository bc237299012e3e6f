package autograd

import "fmt"

// Conv2DGeometry places a convolution window on an image: how far it moves
// between outputs (strides), how far apart its taps are (dilations, 1 for
// adjacent cells) and the zeros around the image (padding, in rows and
// columns on each side). Every stride and dilation must be at least 1.
type Conv2DGeometry struct {
	StrideH, StrideW                     int
	DilationH, DilationW                 int
	PadTop, PadBottom, PadLeft, PadRight int
}

// check panics on a geometry no convolution can use.
func (g Conv2DGeometry) check(op string) {
	if g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1 {
		panic(fmt.Sprintf("autograd: %s with strides %dx%d and dilations %dx%d: each must be at least 1", op, g.StrideH, g.StrideW, g.DilationH, g.DilationW))
	}
}

// out is the output's length along one axis of length in, for a window of
// k taps: (in + padding - span)/stride + 1 with span = dilation·(k-1) + 1.
func convOut(in, k, stride, dilation, before, after int) int {
	span := dilation*(k-1) + 1
	if in+before+after < span {
		return 0
	}
	return (in+before+after-span)/stride + 1
}

// depthwiseConv2D convolves each channel of an image with its own filters,
// Keras's DepthwiseConv2D: x (N,H,W,C), w (KH,KW,C,M), b (C·M) → y
// (N,OH,OW,C·M) with
//
//	y[n,i,j,c·M+m] = b[c·M+m] + Σ_{ky,kx} x[n, i·sh+ky·dh-pt, j·sw+kx·dw-pl, c] · w[ky,kx,c,m]
//
// cells outside x counting as zero. A tap of the window (ky, kx) reads one
// pixel of x and its weights w[ky,kx,·,·] lie in the order of y's channels,
// so each step is one multiply-add over a pixel's channels.
type depthwiseConv2D struct {
	x, y      *Var
	w, b      *Param
	g         Conv2DGeometry
	kh, kw, m int
}

// DepthwiseConv2D convolves x (N,H,W,C) channel by channel with w
// (KH,KW,C,M), M filters per channel (Keras's depth_multiplier), adds b
// (C·M) unless it is nil, and returns (N,OH,OW,C·M), output channel c·M+m
// being filter m of channel c.
func (p *Plan) DepthwiseConv2D(x *Var, w, b *Param, g Conv2DGeometry) *Var {
	xs, ws := x.Shape(), w.Value.Shape()
	if len(xs) != 4 || len(ws) != 4 || ws[2] != xs[3] {
		panic(fmt.Sprintf("autograd: DepthwiseConv2D of %v by kernel %v (want (N,H,W,C) and (KH,KW,C,M))", xs, ws))
	}
	g.check("DepthwiseConv2D")
	cm := ws[2] * ws[3]
	if b != nil && b.Value.Len() != cm {
		panic(fmt.Sprintf("autograd: DepthwiseConv2D with kernel %v and bias %v (want (%d))", ws, b.Value.Shape(), cm))
	}
	oh := convOut(xs[1], ws[0], g.StrideH, g.DilationH, g.PadTop, g.PadBottom)
	ow := convOut(xs[2], ws[1], g.StrideW, g.DilationW, g.PadLeft, g.PadRight)
	if oh < 1 || ow < 1 || g.PadTop < 0 || g.PadBottom < 0 || g.PadLeft < 0 || g.PadRight < 0 {
		panic(fmt.Sprintf("autograd: DepthwiseConv2D of %v by kernel %v with %+v leaves no output", xs, ws, g))
	}
	op := &depthwiseConv2D{x: x, w: w, b: b, g: g, kh: ws[0], kw: ws[1], m: ws[3]}
	needGrad := x.Grad != nil || w.Grad != nil || (b != nil && b.Grad != nil)
	op.y = p.newVar(op, needGrad, xs[0], oh, ow, cm)
	p.Use(w)
	if b != nil {
		p.Use(b)
	}
	p.add(op)
	return op.y
}

// taps calls f for every output pixel and every tap of its window that
// lands inside x, with the offsets of the pixel in x, of the tap's weights
// in w and of the output pixel in y.
func (o *depthwiseConv2D) taps(f func(xOff, wOff, yOff int)) {
	xs, ys := o.x.Shape(), o.y.Shape()
	h, w, c, oh, ow, cm := xs[1], xs[2], xs[3], ys[1], ys[2], ys[3]
	g := o.g
	for n := 0; n < xs[0]; n++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				yOff := ((n*oh+i)*ow + j) * cm
				for ky := 0; ky < o.kh; ky++ {
					r := i*g.StrideH + ky*g.DilationH - g.PadTop
					if r < 0 || r >= h {
						continue
					}
					for kx := 0; kx < o.kw; kx++ {
						col := j*g.StrideW + kx*g.DilationW - g.PadLeft
						if col < 0 || col >= w {
							continue
						}
						f(((n*h+r)*w+col)*c, (ky*o.kw+kx)*cm, yOff)
					}
				}
			}
		}
	}
}

func (o *depthwiseConv2D) Forward(bool) {
	x, w, y := o.x.Value.Data(), o.w.Value.Data(), o.y.Value.Data()
	cm := o.y.Shape()[3]
	if o.b != nil {
		b := o.b.Value.Data()
		for i := 0; i < len(y); i += cm {
			copy(y[i:i+cm], b)
		}
	} else {
		clear(y)
	}
	m := o.m
	o.taps(func(xOff, wOff, yOff int) {
		ys, ws := y[yOff:yOff+cm], w[wOff:wOff+cm]
		if m == 1 {
			xs := x[xOff : xOff+cm]
			for c := range ys {
				ys[c] += xs[c] * ws[c]
			}
			return
		}
		for c, v := range x[xOff : xOff+cm/m] {
			for k := c * m; k < (c+1)*m; k++ {
				ys[k] += v * ws[k]
			}
		}
	})
}

func (o *depthwiseConv2D) Backward() {
	if o.y.Grad == nil {
		return
	}
	cm := o.y.Shape()[3]
	dy := o.y.Grad.Data()
	if o.b != nil && o.b.Grad != nil {
		db := o.b.Grad.Data()
		for i := 0; i < len(dy); i += cm {
			for k, v := range dy[i : i+cm] {
				db[k] += v
			}
		}
	}
	x, w, m := o.x.Value.Data(), o.w.Value.Data(), o.m
	var dx, dw []float32
	if o.x.Grad != nil {
		dx = o.x.Grad.Data()
	}
	if o.w.Grad != nil {
		dw = o.w.Grad.Data()
	}
	o.taps(func(xOff, wOff, yOff int) {
		g := dy[yOff : yOff+cm]
		for c := 0; c < cm/m; c++ {
			v := x[xOff+c]
			var s float32
			for k := c * m; k < (c+1)*m; k++ {
				s += g[k] * w[wOff+k]
				if dw != nil {
					dw[wOff+k] += v * g[k]
				}
			}
			if dx != nil {
				dx[xOff+c] += s
			}
		}
	})
}
