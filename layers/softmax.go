package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/goras-ml/goras/autograd"
)

// SoftmaxLayer is Keras's Softmax layer (keras.layers.Softmax): exp(x) /
// Σ exp(x) along an axis, by default the last. Over the last axis it is the
// softmax activation, and a cross-entropy loss after it works on its
// logits, as after Activation("softmax"). Any other axis of a sample, or
// several adjacent axes (Keras's axis=[-2, -1]), works too; the batch axis
// does not, nor axes that are not adjacent.
type SoftmaxLayer struct {
	base
	axes []int // as given, counted with the batch as axis 0
	list bool  // given as a list (WithAxes), as Keras's config keeps it
	// first and last are the axes made non-negative by Build.
	first, last int
}

// SoftmaxOption configures Softmax: WithAxis, WithAxes, or WithName.
type SoftmaxOption interface {
	applySoftmax(*SoftmaxLayer, *[]Option)
}

// applySoftmax lets the common options (WithName, WithAxis) configure
// Softmax too.
func (o Option) applySoftmax(_ *SoftmaxLayer, common *[]Option) { *common = append(*common, o) }

// AxesOption is WithAxes, which Softmax and LayerNormalization take.
type AxesOption struct{ axes []int }

// WithAxes sets the axes a layer works over, as Keras's axis argument
// given as a list: counted with the batch as axis 0, negative from the end;
// e.g. WithAxes(-2, -1) for the last two axes of a sample. Softmax and
// LayerNormalization take it, for adjacent axes; one axis is given by
// WithAxis, or by WithAxes when the config is to show a list, as Keras's
// does for axis=[-1].
func WithAxes(axes ...int) AxesOption { return AxesOption{slices.Clone(axes)} }

func (a AxesOption) applySoftmax(l *SoftmaxLayer, _ *[]Option) {
	l.axes, l.list = slices.Clone(a.axes), true
}

// axisOption is WithAxis or WithAxes, as Softmax and LayerNormalization
// both take them.
type axisOption interface {
	SoftmaxOption
	LayerNormOption
}

// readAxis reads Keras's "axis" of Softmax and LayerNormalization from
// their config: an integer, as WithAxis, or a list, as WithAxes, so that
// the config shows a list again (Keras's keeps axis=[-1] a list). ok is
// false when the config has no "axis".
func (r *ConfigReader) readAxis(config map[string]any) (axis axisOption, ok bool) {
	v, ok := config["axis"]
	if !ok {
		return nil, false
	}
	if _, isList := v.([]any); isList {
		axes, _ := r.intsOrNull("axis")
		return WithAxes(axes...), true
	}
	return WithAxis(r.Int("axis", -1)), true
}

// Softmax makes Keras's Softmax layer, keras.layers.Softmax(axis=-1). It
// takes WithAxis, WithAxes and WithName.
func Softmax(opts ...SoftmaxOption) *SoftmaxLayer {
	l := &SoftmaxLayer{}
	var common []Option
	for _, o := range opts {
		if o != nil {
			o.applySoftmax(l, &common)
		}
	}
	o, err := apply("Softmax", common, "axis")
	switch {
	case err != nil:
	case slices.Contains(o.set, "axis") && l.list:
		err = fmt.Errorf("Softmax was given both WithAxis and WithAxes; give one")
	case slices.Contains(o.set, "axis"):
		l.axes = []int{o.axis}
	case l.list && len(l.axes) == 0:
		err = fmt.Errorf("Softmax was given WithAxes with no axis; give at least one, e.g. WithAxes(-1)")
	case !l.list:
		l.axes = []int{-1}
	}
	l.base = base{name: o.name, err: err}
	return l
}

// ClassName is "Softmax", Keras's class name.
func (l *SoftmaxLayer) ClassName() string { return "Softmax" }

// Axes are the axes softmax normalizes over, as given.
func (l *SoftmaxLayer) Axes() []int { return slices.Clone(l.axes) }

// Build resolves the axes against the input shape; the output has the
// input's shape.
func (l *SoftmaxLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	first, last, err := adjacentAxes(l.axes, input)
	if err != nil {
		return nil, buildError(l, "%v", err)
	}
	l.first, l.last = first, last
	return input, nil
}

// adjacentAxes resolves axes (counted with the batch as axis 0, negative
// from the end) for per-sample inputs of shape input, and checks that they
// are adjacent sample axes, in increasing order, each once: it returns the
// first and the last, non-negative.
func adjacentAxes(axes, input []int) (first, last int, err error) {
	rank := len(input) + 1
	if len(input) == 0 {
		return 0, 0, fmt.Errorf("needs inputs with at least one axis, got a scalar per sample")
	}
	resolved := make([]int, len(axes))
	for i, a := range axes {
		r := a
		if r < 0 {
			r += rank
		}
		switch {
		case r < 0 || r >= rank:
			return 0, 0, fmt.Errorf("axis %d is out of range for input of shape (None, %s): use 1 to %d, or -%d to -1 from the end",
				a, shapeList(input), rank-1, rank-1)
		case r == 0:
			return 0, 0, fmt.Errorf("axis %d is the batch axis, which would mix the samples; use 1 to %d for the axes of a sample", a, rank-1)
		case i > 0 && r != resolved[i-1]+1:
			return 0, 0, fmt.Errorf("axes %v of input of shape (None, %s) are not adjacent axes in increasing order; goras supports one axis or adjacent ones, such as [-2, -1]",
				axes, shapeList(input))
		}
		resolved[i] = r
	}
	return resolved[0], resolved[len(resolved)-1], nil
}

// Call is the softmax op over the last axis (which a cross-entropy loss
// can fuse with), else the op over the layer's axes.
func (l *SoftmaxLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if l.first == l.last && l.last == len(x.Shape())-1 {
		return p.Softmax(x)
	}
	return p.SoftmaxAxes(x, l.first, l.last)
}

// Config is Keras's get_config: name and axis (an integer, or a list when
// given as one).
func (l *SoftmaxLayer) Config() map[string]any {
	var axis any
	if len(l.axes) == 1 && !l.list {
		axis = l.axes[0]
	} else {
		axis = slices.Clone(l.axes)
	}
	return map[string]any{"name": l.name, "axis": axis}
}

func init() { Register("Softmax", softmaxFromConfig) }

func softmaxFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("Softmax", config)
	opts := []SoftmaxOption{WithName(r.Name())}
	if axis, ok := r.readAxis(config); ok {
		opts = append(opts, axis)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return Softmax(opts...), nil
}
