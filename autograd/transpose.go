package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// transpose reorders the per-sample axes of x: y's axis i is x's axis
// perm[i] (the batch axis stays first), as NumPy's transpose and ONNX's
// Transpose with the batch kept in place. Keras's Permute layer is made of
// it.
type transpose struct {
	x, y *Var
	// from[i] is the index, within a sample of x, of the i-th value of a
	// sample of y: worked out once, so that Forward and Backward are one
	// gather and one scatter per sample.
	from []int32
}

// Transpose permutes the axes of x (N, d1, ..., dk): perm lists every axis
// of the result by the axis of x it takes, counting the batch axis as 0,
// which must stay first (perm[0] == 0). The result is a copy.
func (p *Plan) Transpose(x *Var, perm ...int) *Var {
	xs := x.Shape()
	if len(perm) != len(xs) || len(perm) == 0 || perm[0] != 0 {
		panic(fmt.Sprintf("autograd: Transpose of %v by %v: give one axis per axis of x, the batch axis 0 first", xs, perm))
	}
	seen := make([]bool, len(perm))
	ys := make([]int, len(perm))
	for i, a := range perm {
		if a < 0 || a >= len(perm) || seen[a] {
			panic(fmt.Sprintf("autograd: Transpose by %v: not a permutation of the axes of %v", perm, xs))
		}
		seen[a] = true
		ys[i] = xs[a]
	}
	per := tensor.Numel(xs[1:])
	if per > 1<<31-1 {
		panic(fmt.Sprintf("autograd: Transpose of %v: samples too large for int32 indices", xs))
	}
	op := &transpose{x: x, from: make([]int32, per)}
	// strides[a] is how far apart, within a sample of x, two values one step
	// apart along x's axis a are.
	strides := make([]int, len(xs))
	s := 1
	for a := len(xs) - 1; a >= 1; a-- {
		strides[a] = s
		s *= xs[a]
	}
	idx := make([]int, len(xs)) // y's index, an odometer over its per-sample axes
	for i := range op.from {
		off := 0
		for a := 1; a < len(ys); a++ {
			off += idx[a] * strides[perm[a]]
		}
		op.from[i] = int32(off)
		for a := len(ys) - 1; a >= 1; a-- {
			if idx[a]++; idx[a] < ys[a] {
				break
			}
			idx[a] = 0
		}
	}
	op.y = p.newVar(op, x.Grad != nil, ys...)
	p.add(op)
	return op.y
}

func (o *transpose) Forward(bool) {
	x, y, per := o.x.Value.Data(), o.y.Value.Data(), len(o.from)
	for n := 0; n < len(y); n += per {
		xs, ys := x[n:n+per], y[n:n+per]
		for i, f := range o.from {
			ys[i] = xs[f]
		}
	}
}

func (o *transpose) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy, per := o.x.Grad.Data(), o.y.Grad.Data(), len(o.from)
	for n := 0; n < len(dy); n += per {
		dxs, dys := dx[n:n+per], dy[n:n+per]
		for i, f := range o.from {
			dxs[f] += dys[i]
		}
	}
}
