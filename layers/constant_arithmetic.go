package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// ConstantArithmeticLayer adds, subtracts, multiplies or divides each
// sample by a constant tensor broadcast over it, as NumPy broadcasts: the
// constant's axes line up with the last axes of a sample, an axis of size
// 1 repeating. It is goras's own layer (Keras writes such arithmetic as
// Lambda code), made for ONNX's Add, Sub, Mul and Div with a constant: a
// per-channel normalization, a scale, an offset. The constant is a
// non-trainable weight named "constant", so that model files carry it.
type ConstantArithmeticLayer struct {
	base
	op      string
	shape   []int
	reverse bool
	init    *tensor.Tensor // the constructor's values, nil after FromConfig
	c       *autograd.Param
}

var arithmetics = map[string]autograd.Arithmetic{
	"add": autograd.ArithmeticAdd, "subtract": autograd.ArithmeticSubtract,
	"multiply": autograd.ArithmeticMultiply, "divide": autograd.ArithmeticDivide,
}

// ConstantArithmetic makes the layer computing x ∘ constant, or constant ∘
// x when reverse is set, for operation "add", "subtract", "multiply" or
// "divide". The constant's values are copied. It takes only WithName.
//
//	layers.ConstantArithmetic("subtract", mean, false) // x - mean, mean (1, 1, 3) per channel
func ConstantArithmetic(operation string, constant *tensor.Tensor, reverse bool, opts ...Option) *ConstantArithmeticLayer {
	var shape []int
	var init *tensor.Tensor
	if constant != nil {
		shape, init = constant.Shape(), constant.Clone()
	}
	return newConstantArithmetic(operation, shape, init, reverse, opts)
}

func newConstantArithmetic(op string, shape []int, init *tensor.Tensor, reverse bool, opts []Option) *ConstantArithmeticLayer {
	o, err := apply("ConstantArithmetic", opts)
	l := &ConstantArithmeticLayer{op: op, shape: slices.Clone(shape), reverse: reverse, init: init}
	if _, ok := arithmetics[op]; err == nil && !ok {
		err = fmt.Errorf("ConstantArithmetic operation must be add, subtract, multiply or divide, got %q", op)
	}
	for _, d := range shape {
		if err == nil && (d <= 0 || d > maxSampleConstant) {
			err = fmt.Errorf("ConstantArithmetic constant shape %v: every size must be in [1, %d]", shape, maxSampleConstant)
		}
	}
	if err == nil && init == nil && shape == nil {
		err = fmt.Errorf("ConstantArithmetic needs a constant")
	}
	l.base = base{name: o.name, err: err}
	return l
}

// maxSampleConstant bounds each axis of a constant read from a file.
const maxSampleConstant = 1 << 28

func (l *ConstantArithmeticLayer) ClassName() string { return "ConstantArithmetic" }

// Operation is "add", "subtract", "multiply" or "divide", and Reverse
// whether the constant comes first.
func (l *ConstantArithmeticLayer) Operation() (op string, reverse bool) { return l.op, l.reverse }

// Constant is the constant's weight (nil before Build).
func (l *ConstantArithmeticLayer) Constant() *autograd.Param { return l.c }

// ParamShapes is the constant, and the output shape (the input's); see
// ParamShaper.
func (l *ConstantArithmeticLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	if len(l.shape) > len(input) {
		return nil, nil, buildError(l, "a constant of shape %v does not broadcast over samples of shape (None, %s): it has more axes", l.shape, shapeList(input))
	}
	lead := len(input) - len(l.shape)
	for i, d := range l.shape {
		if d != 1 && d != input[lead+i] {
			return nil, nil, buildError(l, "a constant of shape %v does not broadcast over samples of shape (None, %s): give each axis the sample's size or 1", l.shape, shapeList(input))
		}
	}
	return []ParamShape{{l.name + "/constant", slices.Clone(l.shape)}}, input, nil
}

func (l *ConstantArithmeticLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	ps, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	l.c = autograd.NewParam(ps[0].Name, false, l.shape...)
	if l.init != nil {
		copy(l.c.Value.Data(), l.init.Data())
	}
	return out, nil
}

func (l *ConstantArithmeticLayer) Params() []*autograd.Param {
	if l.c == nil {
		return nil
	}
	return []*autograd.Param{l.c}
}

func (l *ConstantArithmeticLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.ConstantArithmetic(x, l.c, arithmetics[l.op], l.reverse)
}

func (l *ConstantArithmeticLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "operation": l.op, "constant_shape": intsToAny(l.shape), "reverse": l.reverse}
}

func init() {
	Register("ConstantArithmetic", func(config map[string]any) (Layer, error) {
		r := NewConfigReader("ConstantArithmetic", config)
		r.Require("operation", "constant_shape")
		name, op, reverse := r.Name(), r.String("operation", ""), r.Bool("reverse", false)
		shape, err := r.intList("constant_shape")
		if err := r.Err(); err != nil {
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		return newConstantArithmetic(op, shape, nil, reverse, []Option{WithName(name)}), nil
	})
}
