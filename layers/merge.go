package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// Keras's merge layers join the outputs of several layers of a graph model:
// Add, Subtract, Multiply, Average, Maximum and Minimum element-wise, and
// Concatenate along an axis. They have no weights. A graph model calls their
// BuildMulti and CallMulti (MultiInput); Build and Call, for one input,
// report that they need several.

var (
	_ MultiInput = (*MergeLayer)(nil)
	_ MultiInput = (*ConcatenateLayer)(nil)
)

// MergeLayer is one of the element-wise merge layers: Add, Subtract,
// Multiply, Average, Maximum or Minimum. Its inputs must all have the same
// shape, which is its output's shape. Keras would also broadcast inputs of
// different shapes; goras does not and reports them when the model is built.
type MergeLayer struct {
	base
	class string
	exact bool // Subtract: exactly 2 inputs, not at least 2
	op    func(p *autograd.Plan, xs ...*autograd.Var) *autograd.Var
}

func newMerge(class string, exact bool, op func(*autograd.Plan, ...*autograd.Var) *autograd.Var, opts []Option) *MergeLayer {
	o, err := apply(class, opts)
	return &MergeLayer{base: base{name: o.name, err: err}, class: class, exact: exact, op: op}
}

// Add makes a layer that sums its inputs (two or more, of one shape). It
// takes only WithName.
func Add(opts ...Option) *MergeLayer { return newMerge("Add", false, (*autograd.Plan).Add, opts) }

// Subtract makes a layer that computes its first input minus its second
// (exactly two, of one shape). It takes only WithName.
func Subtract(opts ...Option) *MergeLayer {
	return newMerge("Subtract", true, (*autograd.Plan).Subtract, opts)
}

// Multiply makes a layer that multiplies its inputs element-wise (two or
// more, of one shape). It takes only WithName.
func Multiply(opts ...Option) *MergeLayer {
	return newMerge("Multiply", false, (*autograd.Plan).Multiply, opts)
}

// Average makes a layer that averages its inputs element-wise (two or more,
// of one shape). It takes only WithName.
func Average(opts ...Option) *MergeLayer {
	return newMerge("Average", false, (*autograd.Plan).Average, opts)
}

// Maximum makes a layer that takes the element-wise maximum of its inputs
// (two or more, of one shape). Each element's gradient goes to the input
// that held the maximum, to the first of them on a tie. It takes only
// WithName.
func Maximum(opts ...Option) *MergeLayer {
	return newMerge("Maximum", false, (*autograd.Plan).Maximum, opts)
}

// Minimum makes a layer that takes the element-wise minimum of its inputs
// (two or more, of one shape). Each element's gradient goes to the input
// that held the minimum, to the first of them on a tie. It takes only
// WithName.
func Minimum(opts ...Option) *MergeLayer {
	return newMerge("Minimum", false, (*autograd.Plan).Minimum, opts)
}

// ClassName is the Keras class name: "Add", "Subtract", and so on.
func (l *MergeLayer) ClassName() string { return l.class }

// Build reports that the layer needs several inputs.
func (l *MergeLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	return nil, buildError(l, "needs %s inputs, got 1 of shape %s; call it on a list of inputs in a graph model",
		l.wantCount(), tensor.ShapeString(input, true))
}

// Call panics: the layer needs several inputs (CallMulti), and a model that
// built it with BuildMulti never calls it this way.
func (l *MergeLayer) Call(*autograd.Plan, *autograd.Var) *autograd.Var {
	panic(fmt.Sprintf("layers: %s layer %q called with 1 input: it merges %s, through CallMulti", l.class, l.name, l.wantCount()))
}

func (l *MergeLayer) wantCount() string {
	if l.exact {
		return "exactly 2"
	}
	return "at least 2"
}

// BuildMulti checks that there are enough inputs and that their per-sample
// shapes are equal, and returns that shape.
func (l *MergeLayer) BuildMulti(inputs [][]int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if err := checkCount(l, inputs, l.exact); err != nil {
		return nil, err
	}
	for i, s := range inputs[1:] {
		if !tensor.SameShape(s, inputs[0]) {
			return nil, buildError(l, "needs inputs of one shape, got %s (input 0) and %s (input %d); goras does not broadcast, so reshape one of them first",
				tensor.ShapeString(inputs[0], true), tensor.ShapeString(s, true), i+1)
		}
	}
	return slices.Clone(inputs[0]), nil
}

// CallMulti adds the merge op to the plan.
func (l *MergeLayer) CallMulti(p *autograd.Plan, xs []*autograd.Var) *autograd.Var {
	return l.op(p, xs...)
}

// Config is Keras's get_config: the name only (trainable and dtype are
// read back at their only values, true and float32).
func (l *MergeLayer) Config() map[string]any { return map[string]any{"name": l.name} }

// checkCount returns an error unless there are at least 2 inputs, or
// exactly 2 when exact.
func checkCount(l Layer, inputs [][]int, exact bool) error {
	switch {
	case exact && len(inputs) != 2:
		return buildError(l, "needs exactly 2 inputs, got %d", len(inputs))
	case len(inputs) < 2:
		return buildError(l, "needs at least 2 inputs, got %d", len(inputs))
	}
	return nil
}

// ConcatenateLayer is Keras's Concatenate: it joins its inputs along one
// axis. The inputs must have the same rank and the same sizes on every
// other axis.
type ConcatenateLayer struct {
	base
	axis int
}

// Concatenate makes a layer that joins its inputs (two or more) along an
// axis. It takes WithAxis (default -1, the last axis; counted with the batch
// as axis 0, so WithAxis(1) is the first axis of a sample; axis 0 is
// refused) and WithName.
func Concatenate(opts ...Option) *ConcatenateLayer {
	o, err := apply("Concatenate", opts, "axis")
	axis := -1
	if slices.Contains(o.set, "axis") {
		axis = o.axis
	}
	if err == nil && axis == 0 {
		err = fmt.Errorf("Concatenate cannot join along axis 0, the batch axis; use 1 for the first axis of a sample, or -1 (the default) for the last")
	}
	return &ConcatenateLayer{base: base{name: o.name, err: err}, axis: axis}
}

// ClassName is "Concatenate".
func (l *ConcatenateLayer) ClassName() string { return "Concatenate" }

// Axis is the axis the layer joins along, as given (negative from the end).
func (l *ConcatenateLayer) Axis() int { return l.axis }

// Build reports that the layer needs several inputs.
func (l *ConcatenateLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	return nil, buildError(l, "needs at least 2 inputs, got 1 of shape %s; call it on a list of inputs in a graph model",
		tensor.ShapeString(input, true))
}

// Call panics: the layer needs several inputs (CallMulti).
func (l *ConcatenateLayer) Call(*autograd.Plan, *autograd.Var) *autograd.Var {
	panic(fmt.Sprintf("layers: Concatenate layer %q called with 1 input: it joins at least 2, through CallMulti", l.name))
}

// BuildMulti checks the axis against the inputs' rank and their sizes on
// the other axes, and returns the joined shape.
func (l *ConcatenateLayer) BuildMulti(inputs [][]int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if err := checkCount(l, inputs, false); err != nil {
		return nil, err
	}
	rank := len(inputs[0]) // per sample; the full shape has one more axis
	a := l.axis
	if a < 0 {
		a += rank + 1
	}
	if a < 1 || a > rank {
		return nil, buildError(l, "axis %d is out of range for inputs of shape %s: use 1 to %d, or -%d to -1 from the end (axis 0 is the batch)",
			l.axis, tensor.ShapeString(inputs[0], true), rank, rank)
	}
	out := slices.Clone(inputs[0])
	for i, s := range inputs[1:] {
		if len(s) != rank || !slices.Equal(s[:a-1], out[:a-1]) || !slices.Equal(s[a:], out[a:]) {
			return nil, buildError(l, "cannot join %s (input 0) and %s (input %d) on axis %d: they must have the same rank and the same sizes on every other axis",
				tensor.ShapeString(inputs[0], true), tensor.ShapeString(s, true), i+1, l.axis)
		}
		out[a-1] += s[a-1]
	}
	return out, nil
}

// CallMulti adds the concatenation to the plan; the plan counts axes as the
// layer does, with the batch as 0.
func (l *ConcatenateLayer) CallMulti(p *autograd.Plan, xs []*autograd.Var) *autograd.Var {
	return p.Concatenate(l.axis, xs...)
}

// Config is Keras's get_config: name and axis.
func (l *ConcatenateLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "axis": l.axis}
}

func init() {
	for _, m := range []struct {
		class string
		ctor  func(...Option) *MergeLayer
	}{{"Add", Add}, {"Subtract", Subtract}, {"Multiply", Multiply}, {"Average", Average}, {"Maximum", Maximum}, {"Minimum", Minimum}} {
		Register(m.class, func(config map[string]any) (Layer, error) {
			r := NewConfigReader(m.class, config)
			name := r.Name()
			if err := r.Err(); err != nil {
				return nil, err
			}
			return m.ctor(WithName(name)), nil
		})
	}
	Register("Concatenate", concatenateFromConfig)
}

func concatenateFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Concatenate", config)
	axis := r.Int("axis", -1)
	name := r.Name()
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Concatenate(WithAxis(axis), WithName(name)), nil
}
