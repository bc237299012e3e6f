package autograd

// extreme is y = max(xs) or min(xs), element-wise. Each output element's
// gradient goes to the one input it was taken from: on ties, the first such
// input in argument order (the comparisons are strict): a subgradient must
// pick one, and TensorFlow's gradient of maximum(x, y) picks x on ties.
type extreme struct {
	xs  []*Var
	y   *Var
	min bool
	arg []int32     // the input each output element came from; nil without gradient
	dxs [][]float32 // Backward's view of the inputs' gradients, nil where none
}

// Maximum returns the element-wise maximum of two or more inputs of one
// shape. The gradient of each element goes to the input holding the
// maximum; on a tie, to the first of them.
func (p *Plan) Maximum(xs ...*Var) *Var { return p.extreme("Maximum", xs, false) }

// Minimum returns the element-wise minimum of two or more inputs of one
// shape. The gradient of each element goes to the input holding the
// minimum; on a tie, to the first of them.
func (p *Plan) Minimum(xs ...*Var) *Var { return p.extreme("Minimum", xs, true) }

func (p *Plan) extreme(name string, xs []*Var, min bool) *Var {
	s := mergeShape(name, xs, 2, false)
	op := &extreme{xs: append([]*Var(nil), xs...), min: min}
	op.y = p.newVar(op, anyGrad(xs), s...)
	if op.y.Grad != nil {
		op.arg = make([]int32, op.y.Value.Len())
		op.dxs = make([][]float32, len(xs))
	}
	p.add(op)
	return op.y
}

func (o *extreme) Forward(bool) {
	y := o.y.Value.Data()
	copy(y, o.xs[0].Value.Data())
	clear(o.arg)
	for i, x := range o.xs[1:] {
		o.merge(y, x.Value.Data(), int32(i+1))
	}
}

// merge lets input i take every element of y it beats strictly, so that a
// tie leaves the element with the earlier input. A NaN takes the element
// and keeps it (no comparison with a NaN is true): a NaN in any input shows
// in the output, whatever the order of the inputs, rather than being hidden
// by a later number.
func (o *extreme) merge(y, x []float32, i int32) {
	x = x[:len(y)]
	arg := o.arg
	if o.min {
		for k, v := range x {
			if v < y[k] || v != v {
				y[k] = v
				if arg != nil {
					arg[k] = i
				}
			}
		}
		return
	}
	for k, v := range x {
		if v > y[k] || v != v {
			y[k] = v
			if arg != nil {
				arg[k] = i
			}
		}
	}
}

// Backward: dx_arg[k][k] += dy[k], nothing to the other inputs.
func (o *extreme) Backward() {
	if o.y.Grad == nil {
		return
	}
	for i, x := range o.xs {
		o.dxs[i] = nil
		if x.Grad != nil {
			o.dxs[i] = x.Grad.Data()
		}
	}
	dy := o.y.Grad.Data()
	for k, i := range o.arg {
		if dx := o.dxs[i]; dx != nil {
			dx[k] += dy[k]
		}
	}
}
