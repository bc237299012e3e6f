package autograd

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// Arithmetic is one of the four operations ConstantArithmetic applies.
type Arithmetic int

// The operations of ConstantArithmetic.
const (
	ArithmeticAdd Arithmetic = iota
	ArithmeticSubtract
	ArithmeticMultiply
	ArithmeticDivide
)

// constantArithmetic is y = x ∘ c (or c ∘ x when reversed) for ∘ one of +,
// -, ·, /, with c broadcast over each sample of x as NumPy broadcasts: c's
// axes line up with the last axes of a sample, and an axis of size 1 in c
// repeats. It is how an ONNX model's Add, Sub, Mul and Div with a constant
// become a goras layer.
type constantArithmetic struct {
	x, y    *Var
	c       *Param
	op      Arithmetic
	reverse bool
	// at[i] is the index in c of the constant that meets value i of a
	// sample; nil when c is a single number.
	at []int32
}

// ConstantArithmetic computes x ∘ c, or c ∘ x when reverse is set, for ∘
// the operation op, c broadcast over each sample of x (N, d1, ..., dk): c's
// shape has at most k axes, lined up with the last axes of (d1, ..., dk),
// each of the same size or 1. c is a weight: its gradient is computed when
// it has one (a trainable c).
func (p *Plan) ConstantArithmetic(x *Var, c *Param, op Arithmetic, reverse bool) *Var {
	xs, cs := x.Shape(), c.Value.Shape()
	if op < ArithmeticAdd || op > ArithmeticDivide {
		panic(fmt.Sprintf("autograd: ConstantArithmetic with operation %d", op))
	}
	at, err := broadcastIndex(xs[1:], cs)
	if err != nil {
		panic(fmt.Sprintf("autograd: ConstantArithmetic of %v and constant %v: %v", xs, cs, err))
	}
	o := &constantArithmetic{x: x, c: c, op: op, reverse: reverse, at: at}
	o.y = p.newVar(o, x.Grad != nil || c.Grad != nil, xs...)
	p.Use(c)
	p.add(o)
	return o.y
}

// broadcastIndex maps every index of a sample of shape s to the index in a
// constant of shape cs broadcast over it, or returns nil when cs holds one
// value.
func broadcastIndex(s, cs []int) ([]int32, error) {
	if len(cs) > len(s) {
		return nil, fmt.Errorf("the constant has more axes than a sample")
	}
	lead := len(s) - len(cs)
	for i, d := range cs {
		if d != 1 && d != s[lead+i] {
			return nil, fmt.Errorf("axis %d of the constant has size %d, the sample's %d (give size 1 to repeat it)", i, d, s[lead+i])
		}
	}
	if tensor.Numel(cs) == 1 {
		return nil, nil
	}
	n := tensor.Numel(s)
	if n > 1<<31-1 {
		return nil, fmt.Errorf("samples too large for int32 indices")
	}
	// stride[a] is the step in c for one step along the sample's axis a: 0
	// where c repeats.
	stride := make([]int, len(s))
	step := 1
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i] != 1 {
			stride[lead+i] = step
		}
		step *= cs[i]
	}
	at := make([]int32, n)
	idx := make([]int, len(s))
	for i := range at {
		off := 0
		for a, k := range idx {
			off += k * stride[a]
		}
		at[i] = int32(off)
		for a := len(s) - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < s[a] {
				break
			}
			idx[a] = 0
		}
	}
	return at, nil
}

// constant returns the constant that meets value i of a sample.
func (o *constantArithmetic) constant(c []float32, i int) (float32, int) {
	if o.at == nil {
		return c[0], 0
	}
	k := int(o.at[i])
	return c[k], k
}

func (o *constantArithmetic) Forward(bool) {
	x, y, c := o.x.Value.Data(), o.y.Value.Data(), o.c.Value.Data()
	per := len(x) / o.x.Shape()[0]
	for i, v := range x {
		k, _ := o.constant(c, i%per)
		a, b := v, k
		if o.reverse {
			a, b = k, v
		}
		switch o.op {
		case ArithmeticAdd:
			y[i] = a + b
		case ArithmeticSubtract:
			y[i] = a - b
		case ArithmeticMultiply:
			y[i] = a * b
		default:
			y[i] = a / b
		}
	}
}

// Backward uses ∂(x∘c)/∂x and ∂(x∘c)/∂c: 1 and 1 for +; 1 and -1 for x-c
// (-1 and 1 for c-x); c and x for ·; 1/c and -x/c² for x/c (-c/x² and 1/x
// for c/x).
func (o *constantArithmetic) Backward() {
	if o.y.Grad == nil {
		return
	}
	x, dy, c := o.x.Value.Data(), o.y.Grad.Data(), o.c.Value.Data()
	var dx, dc []float32
	if o.x.Grad != nil {
		dx = o.x.Grad.Data()
	}
	if o.c.Grad != nil {
		dc = o.c.Grad.Data()
	}
	per := len(x) / o.x.Shape()[0]
	for i, g := range dy {
		k, at := o.constant(c, i%per)
		gx, gc := o.partials(x[i], k)
		if dx != nil {
			dx[i] += g * gx
		}
		if dc != nil {
			dc[at] += g * gc
		}
	}
}

// partials are ∂y/∂x and ∂y/∂c at x = v, c = k.
func (o *constantArithmetic) partials(v, k float32) (gx, gc float32) {
	switch o.op {
	case ArithmeticAdd:
		return 1, 1
	case ArithmeticSubtract:
		if o.reverse {
			return -1, 1
		}
		return 1, -1
	case ArithmeticMultiply:
		return k, v
	}
	if o.reverse { // c/x
		return -k / (v * v), 1 / v
	}
	return 1 / k, -v / (k * k)
}
