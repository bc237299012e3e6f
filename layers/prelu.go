package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
)

// PReLULayer is Keras's PReLU layer (keras.layers.PReLU), the parametric
// ReLU: f(x) = x for x > 0, α·x otherwise, where α is learned, one per
// value of a sample unless shared. Its weight alpha has the shape of a
// sample with 1 on the shared axes: for Conv2D features (N, H, W, C),
// WithSharedAxes(1, 2) learns one α per channel, as He et al. (2015) do.
// α starts at 0 (Keras's default; PyTorch's PReLU starts at 0.25).
type PReLULayer struct {
	base
	init   initializers.Initializer
	reg    regularizers.Regularizer
	cons   constraints.Constraint
	shared []int // Keras's shared_axes; nil is None
	alpha  *autograd.Param
}

// PReLUOption configures PReLU: WithAlphaInitializer,
// WithAlphaRegularizer, WithAlphaConstraint, WithSharedAxes, or WithName.
type PReLUOption interface{ applyPReLU(*PReLULayer, *[]Option) }

// applyPReLU lets the common options (WithName) configure PReLU too.
func (o Option) applyPReLU(_ *PReLULayer, common *[]Option) { *common = append(*common, o) }

type preluOption func(*PReLULayer)

func (f preluOption) applyPReLU(l *PReLULayer, _ *[]Option) { f(l) }

// WithAlphaInitializer sets how PReLU's α starts. Default zeros.
func WithAlphaInitializer(i initializers.Initializer) PReLUOption {
	return preluOption(func(l *PReLULayer) { l.init = i })
}

// WithAlphaRegularizer adds a penalty on PReLU's α to the loss. Default none.
func WithAlphaRegularizer(r regularizers.Regularizer) PReLUOption {
	return preluOption(func(l *PReLULayer) { l.reg = r })
}

// WithAlphaConstraint projects PReLU's α after each optimizer step, e.g.
// constraints.NonNeg(). Default none.
func WithAlphaConstraint(c constraints.Constraint) PReLUOption {
	return preluOption(func(l *PReLULayer) { l.cons = c })
}

// WithSharedAxes sets the axes along which PReLU shares one α, counted as
// Keras counts them, with the batch as axis 0: 1 is a sample's first axis.
// Default none: one α per value of a sample.
func WithSharedAxes(axes ...int) PReLUOption {
	return preluOption(func(l *PReLULayer) { l.shared = slices.Clone(axes) })
}

// PReLU makes Keras's PReLU layer, keras.layers.PReLU(alpha_initializer=
// "zeros", alpha_regularizer=None, alpha_constraint=None,
// shared_axes=None). It takes WithAlphaInitializer, WithAlphaRegularizer,
// WithAlphaConstraint, WithSharedAxes and WithName.
func PReLU(opts ...PReLUOption) *PReLULayer {
	l := &PReLULayer{init: initializers.Zeros()}
	var common []Option
	for _, o := range opts {
		if o != nil {
			o.applyPReLU(l, &common)
		}
	}
	o, err := apply("PReLU", common)
	if err == nil {
		err = checkInitializers("PReLU", namedInit{"WithAlphaInitializer", l.init, "zeros"})
	}
	for _, a := range l.shared {
		if err == nil && a < 1 {
			err = fmt.Errorf("PReLU shared axis %d: shared axes count from 1, a sample's first axis (axis 0 is the batch, and Keras does not count them from the end)", a)
		}
	}
	l.base = base{name: o.name, err: err}
	return l
}

// ClassName is "PReLU", Keras's class name.
func (l *PReLULayer) ClassName() string { return "PReLU" }

// SharedAxes are the axes along which one α is shared (nil: none).
func (l *PReLULayer) SharedAxes() []int { return slices.Clone(l.shared) }

// ParamShapes is alpha, the sample's shape with 1 on the shared axes; see
// ParamShaper.
func (l *PReLULayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	if len(input) == 0 {
		return nil, nil, buildError(l, "needs inputs with at least one axis, got a scalar per sample")
	}
	shape := slices.Clone(input)
	for _, a := range l.shared {
		if a > len(input) {
			return nil, nil, buildError(l, "shared axis %d is out of range for input of shape (None, %s): use 1 to %d (axis 0 is the batch)",
				a, shapeList(input), len(input))
		}
		shape[a-1] = 1
	}
	return []ParamShape{{l.name + "/alpha", shape}}, input, nil
}

// Build makes alpha for the input shape; the output has the input's shape.
func (l *PReLULayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	ps, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	l.alpha = autograd.NewParam(ps[0].Name, true, ps[0].Shape...)
	l.alpha.Regularizer = penalty(l.reg)
	l.init.Initialize(l.alpha.Value, rng)
	if err := constrain(l, l.alpha, l.cons); err != nil {
		return nil, err
	}
	return out, nil
}

// Params is alpha.
func (l *PReLULayer) Params() []*autograd.Param {
	if l.alpha == nil {
		return nil
	}
	return []*autograd.Param{l.alpha}
}

// Call adds the PReLU op.
func (l *PReLULayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.PReLU(x, l.alpha)
}

// Config is Keras's get_config: name, alpha_initializer,
// alpha_regularizer, alpha_constraint and shared_axes (null for none).
func (l *PReLULayer) Config() map[string]any {
	var shared any
	if l.shared != nil {
		shared = slices.Clone(l.shared)
	}
	return map[string]any{
		"name":              l.name,
		"alpha_initializer": initializerConfig(l.init),
		"alpha_regularizer": regularizerConfig(l.reg),
		"alpha_constraint":  constraintConfig(l.cons),
		"shared_axes":       shared,
	}
}

func init() { Register("PReLU", preluFromConfig) }

func preluFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("PReLU", config)
	opts := []PReLUOption{
		WithName(r.Name()),
		WithAlphaInitializer(r.Initializer("alpha_initializer", initializers.Zeros())),
		WithAlphaRegularizer(r.Regularizer("alpha_regularizer")),
		WithAlphaConstraint(r.Constraint("alpha_constraint")),
	}
	if axes, ok := r.intsOrNull("shared_axes"); ok {
		opts = append(opts, WithSharedAxes(axes...))
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return PReLU(opts...), nil
}

// intsOrNull reads a Keras argument that is null, an integer or a list of
// integers (shared_axes, axis): ok is false for null or absent.
func (r *ConfigReader) intsOrNull(key string) (list []int, ok bool) {
	v, present := r.get(key)
	if !present || v == nil {
		return nil, false
	}
	if x, isInt := configInt(v); isInt {
		return []int{x}, true
	}
	items, isList := v.([]any)
	if isList {
		list = make([]int, len(items))
		for i, e := range items {
			if list[i], isList = configInt(e); !isList {
				break
			}
		}
	}
	if !isList {
		r.fail("%q must be null, an integer or a list of integers, got %s", key, configShow(v))
		return nil, false
	}
	return list, true
}
