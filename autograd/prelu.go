package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// prelu is Keras's PReLU: y = x for x > 0, α·x otherwise, with a learned α
// per position of a sample, shared along the axes where α has size 1.
//
// When the shared axes all come before the others (none shared, or the
// spatial axes of NHWC features with one α per channel), the α of a value
// is its position modulo α's size: x is read as rows of len(α) values.
// Otherwise index maps each position of a sample to its α.
type prelu struct {
	x, y  *Var
	alpha *Param
	n     int       // len(α)
	index []int32   // per position of a sample, its α; nil in the row case
	acc   []float64 // dα summed over the batch in float64, then added to α's gradient
}

// PReLU is max(x, 0) + α·min(x, 0). alpha has x's per-sample shape (x's
// shape without the batch axis) with 1 on each axis along which one α is
// shared: for x (N, H, W, C), alpha (1, 1, C) gives one α per channel.
// The gradient with respect to x is 1 for x > 0 and α otherwise; with
// respect to α, x for x < 0.
func (p *Plan) PReLU(x *Var, alpha *Param) *Var {
	xs, as := x.Shape(), alpha.Value.Shape()
	if len(xs) != len(as)+1 {
		panic(fmt.Sprintf("autograd: PReLU of %v with alpha %v: alpha must have the rank of a sample, %d", xs, as, len(xs)-1))
	}
	sample := xs[1:]
	lead := 0 // the leading axes where α is shared
	for lead < len(as) && as[lead] == 1 {
		lead++
	}
	rowCase := true
	for i, d := range as {
		switch {
		case d != 1 && d != sample[i]:
			panic(fmt.Sprintf("autograd: PReLU of %v with alpha %v: each axis of alpha must be 1 or the sample's", xs, as))
		case i >= lead && d != sample[i]:
			rowCase = false
		}
	}
	op := &prelu{x: x, alpha: alpha, n: alpha.Value.Len(), acc: make([]float64, alpha.Value.Len())}
	if !rowCase {
		op.index = alphaIndex(sample, as)
	}
	op.y = p.newVar(op, x.Grad != nil || alpha.Grad != nil, xs...)
	p.Use(alpha)
	p.add(op)
	return op.y
}

// alphaIndex maps each position of a sample of the given shape to the
// position in alpha (same rank, 1 on the shared axes) that it reads.
func alphaIndex(sample, alpha []int) []int32 {
	index := make([]int32, 0, tensor.Numel(sample))
	pos := make([]int, len(sample))
	for range cap(index) {
		k := 0
		for a, d := range alpha {
			k *= d
			if d != 1 {
				k += pos[a]
			}
		}
		index = append(index, int32(k))
		for a := len(pos) - 1; a >= 0; a-- { // the next position, last axis fastest
			if pos[a]++; pos[a] < sample[a] {
				break
			}
			pos[a] = 0
		}
	}
	return index
}

func (o *prelu) Forward(bool) {
	x, y, a := o.x.Value.Data(), o.y.Value.Data(), o.alpha.Value.Data()
	if o.index == nil {
		for r := 0; r < len(x); r += o.n {
			xr, yr := x[r:r+o.n], y[r:r+o.n]
			for j, v := range xr {
				if v > 0 {
					yr[j] = v
				} else {
					yr[j] = a[j] * v
				}
			}
		}
		return
	}
	s := len(o.index)
	for r := 0; r < len(x); r += s {
		xr, yr := x[r:r+s], y[r:r+s]
		for j, k := range o.index {
			if v := xr[j]; v > 0 {
				yr[j] = v
			} else {
				yr[j] = a[k] * v
			}
		}
	}
}

func (o *prelu) Backward() {
	if o.y.Grad == nil {
		return
	}
	x, dy, a := o.x.Value.Data(), o.y.Grad.Data(), o.alpha.Value.Data()
	var dx []float32
	if o.x.Grad != nil {
		dx = o.x.Grad.Data()
	}
	clear(o.acc)
	if o.index == nil {
		for r := 0; r < len(x); r += o.n {
			o.rowGrad(dxRow(dx, r, o.n), dy[r:r+o.n], x[r:r+o.n], a, nil)
		}
	} else {
		s := len(o.index)
		for r := 0; r < len(x); r += s {
			o.rowGrad(dxRow(dx, r, s), dy[r:r+s], x[r:r+s], a, o.index)
		}
	}
	if o.alpha.Grad != nil {
		da := o.alpha.Grad.Data()
		for k, v := range o.acc {
			da[k] += float32(v)
		}
	}
}

// dxRow is dx[r:r+n], or nil when x has no gradient.
func dxRow(dx []float32, r, n int) []float32 {
	if dx == nil {
		return nil
	}
	return dx[r : r+n]
}

// rowGrad adds one row's (one sample's, with index) gradients: to dx, when
// not nil, and to acc, dα in float64. index maps the row's positions to
// α's; nil is the identity.
func (o *prelu) rowGrad(dx, dy, x, a []float32, index []int32) {
	for j, v := range x {
		k := j
		if index != nil {
			k = int(index[j])
		}
		if v > 0 {
			if dx != nil {
				dx[j] += dy[j]
			}
			continue
		}
		if dx != nil {
			dx[j] += a[k] * dy[j]
		}
		o.acc[k] += float64(dy[j]) * float64(v)
	}
}
