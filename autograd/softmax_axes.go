package autograd

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/tensor"
)

// softmaxAxes is softmax over adjacent axes of x that are not only the last
// one (the last alone is Softmax, fused with cross-entropy): x is read as
// (outer, n, inner), n the product of the axes' sizes, and each of the
// outer·inner columns of n values, inner apart, is normalized. The columns
// of one outer block are swept together, a row of inner values at a time,
// so that memory is read in order.
type softmaxAxes struct {
	x, y            *Var
	outer, n, inner int
	mx              []float32 // per column of the current block: its maximum
	sum             []float64 // and its sum of exponentials (Backward: Σ dy·y)
}

// SoftmaxAxes normalizes x into probabilities over its axes first to last
// (inclusive, counted on x's full shape with the batch as axis 0, which
// neither may be): y = exp(x - max) / Σ exp(x - max), the max and the sum
// taken over those axes, the sum in float64, as Softmax does over the last
// axis. Keras's Softmax(axis=1) on (N, C, W) is SoftmaxAxes(x, 1, 1);
// Softmax(axis=[-2, -1]) on (N, H, W) is SoftmaxAxes(x, 1, 2).
func (p *Plan) SoftmaxAxes(x *Var, first, last int) *Var {
	xs := x.Shape()
	if first < 1 || last < first || last >= len(xs) {
		panic(fmt.Sprintf("autograd: SoftmaxAxes(%d, %d) of %v: want 1 ≤ first ≤ last < %d", first, last, xs, len(xs)))
	}
	op := &softmaxAxes{
		x: x, outer: tensor.Numel(xs[:first]), n: tensor.Numel(xs[first : last+1]), inner: tensor.Numel(xs[last+1:]),
	}
	op.mx, op.sum = make([]float32, op.inner), make([]float64, op.inner)
	op.y = p.newVar(op, x.Grad != nil, xs...)
	p.add(op)
	return op.y
}

func (o *softmaxAxes) Forward(bool) {
	block := o.n * o.inner
	if block == 0 {
		return
	}
	x, y := o.x.Value.Data(), o.y.Value.Data()
	for b := 0; b < len(x); b += block {
		xb, yb := x[b:b+block], y[b:b+block]
		copy(o.mx, xb[:o.inner])
		for k := o.inner; k < block; k += o.inner {
			for t, v := range xb[k : k+o.inner] {
				if v > o.mx[t] {
					o.mx[t] = v
				}
			}
		}
		clear(o.sum)
		for k := 0; k < block; k += o.inner {
			yr := yb[k : k+o.inner]
			for t, v := range xb[k : k+o.inner] {
				e := math.Exp(float64(v - o.mx[t]))
				yr[t] = float32(e)
				o.sum[t] += e
			}
		}
		for t, s := range o.sum {
			o.mx[t] = float32(1 / s) // mx is free again: the reciprocals
		}
		for k := 0; k < block; k += o.inner {
			yr := yb[k : k+o.inner]
			for t, inv := range o.mx {
				yr[t] *= inv
			}
		}
	}
}

// Backward adds dx = y·(dy - Σ dy·y), the sum over each column.
func (o *softmaxAxes) Backward() {
	block := o.n * o.inner
	if o.x.Grad == nil || block == 0 {
		return
	}
	dx, dy, y := o.x.Grad.Data(), o.y.Grad.Data(), o.y.Value.Data()
	for b := 0; b < len(y); b += block {
		clear(o.sum)
		for k := b; k < b+block; k += o.inner {
			gr := dy[k : k+o.inner]
			for t, v := range y[k : k+o.inner] {
				o.sum[t] += float64(gr[t]) * float64(v)
			}
		}
		for t, s := range o.sum {
			o.mx[t] = float32(s)
		}
		for k := b; k < b+block; k += o.inner {
			xr, gr := dx[k:k+o.inner], dy[k:k+o.inner]
			for t, v := range y[k : k+o.inner] {
				xr[t] += v * (gr[t] - o.mx[t])
			}
		}
	}
}
