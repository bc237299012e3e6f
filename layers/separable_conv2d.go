package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
)

// SeparableConv2DLayer is Keras's SeparableConv2D (alias
// SeparableConvolution2D) on channels-last images: a depthwise convolution
// that filters each input channel on its own, then a pointwise (1×1)
// convolution that mixes the channels, then the bias and the activation.
// x (H, W, C) → (OH, OW, filters), with the weights
//
//	depthwise_kernel (KH, KW, C, M)     M = depth_multiplier
//	pointwise_kernel (1, 1, C·M, filters)
//	bias             (filters)
//
// It costs KH·KW·C·M + C·M·filters weights where Conv2D costs
// KH·KW·C·filters. The depthwise step is goras's DepthwiseConv2D op; the
// pointwise step is its Conv2D op on a 1×1 window, which multiplies the
// depthwise output in place by the pointwise kernel (one GEMM, the bias and
// a ReLU fused into it).
type SeparableConv2DLayer struct {
	base
	depthwiseWindow
	filters              int
	act                  activations.Activation
	opts                 *options // bias options, and activation
	w                    separableWeights
	depthwise, pointwise *autograd.Param
	bias                 *autograd.Param
}

// separableWeights is how SeparableConv2D's two kernels start, and their
// regularizers and constraints.
type separableWeights struct {
	depthwiseInit, pointwiseInit initializers.Initializer
	depthwiseReg, pointwiseReg   regularizers.Regularizer
	depthwiseCons, pointwiseCons constraints.Constraint
}

// separableOption is an option of SeparableConv2D's kernels: the common
// options know only one kernel, and SeparableConv2D has two. Other
// convolutions refuse it by its Keras name.
type separableOption struct {
	key string
	set func(*separableWeights)
}

func (s separableOption) applyConv(c *convConfig) { c.set = append(c.set, s.key) }

// WithDepthwiseInitializer sets how SeparableConv2D's depthwise kernel
// starts (Keras's depthwise_initializer). Default glorot_uniform, with
// fan_in = KH·KW·C and fan_out = KH·KW·M. (DepthwiseConv2D takes
// WithKernelInitializer for its one kernel.)
func WithDepthwiseInitializer(i initializers.Initializer) ConvOption {
	return separableOption{"depthwise_initializer", func(w *separableWeights) { w.depthwiseInit = i }}
}

// WithPointwiseInitializer sets how SeparableConv2D's pointwise kernel
// starts (Keras's pointwise_initializer). Default glorot_uniform, with
// fan_in = C·M and fan_out = filters.
func WithPointwiseInitializer(i initializers.Initializer) ConvOption {
	return separableOption{"pointwise_initializer", func(w *separableWeights) { w.pointwiseInit = i }}
}

// WithDepthwiseRegularizer adds a penalty on SeparableConv2D's depthwise
// kernel to the loss (Keras's depthwise_regularizer). Default none.
func WithDepthwiseRegularizer(r regularizers.Regularizer) ConvOption {
	return separableOption{"depthwise_regularizer", func(w *separableWeights) { w.depthwiseReg = r }}
}

// WithPointwiseRegularizer adds a penalty on SeparableConv2D's pointwise
// kernel to the loss (Keras's pointwise_regularizer). Default none.
func WithPointwiseRegularizer(r regularizers.Regularizer) ConvOption {
	return separableOption{"pointwise_regularizer", func(w *separableWeights) { w.pointwiseReg = r }}
}

// WithDepthwiseConstraint projects SeparableConv2D's depthwise kernel after
// each optimizer step (Keras's depthwise_constraint). Default none.
func WithDepthwiseConstraint(c constraints.Constraint) ConvOption {
	return separableOption{"depthwise_constraint", func(w *separableWeights) { w.depthwiseCons = c }}
}

// WithPointwiseConstraint projects SeparableConv2D's pointwise kernel after
// each optimizer step (Keras's pointwise_constraint). Default none.
func WithPointwiseConstraint(c constraints.Constraint) ConvOption {
	return separableOption{"pointwise_constraint", func(w *separableWeights) { w.pointwiseCons = c }}
}

// SeparableConv2D makes a depthwise separable convolution with the given
// number of filters and a kernelSize×kernelSize depthwise window, as
// keras.layers.SeparableConv2D(filters, kernel_size).
//
//	layers.SeparableConv2D(64, 3, layers.WithPadding("same"), layers.WithActivation("relu"))
//
// It takes WithKernelSize (rectangular windows), WithStrides (default 1),
// WithPadding (default "valid"), WithDilationRate (default 1; above 1 only
// with stride 1, as in Keras), WithDepthMultiplier (default 1),
// WithActivation (default linear), WithUseBias (default true),
// WithDepthwiseInitializer and WithPointwiseInitializer (default
// glorot_uniform), WithBiasInitializer (default zeros),
// WithDepthwiseRegularizer, WithPointwiseRegularizer, WithBiasRegularizer,
// WithDepthwiseConstraint, WithPointwiseConstraint, WithBiasConstraint
// (default none) and WithName. Only channels last is supported.
func SeparableConv2D(filters, kernelSize int, opts ...ConvOption) *SeparableConv2DLayer {
	own := []string{"dilation_rate", "depth_multiplier", "depthwise_initializer", "pointwise_initializer",
		"depthwise_regularizer", "pointwise_regularizer", "depthwise_constraint", "pointwise_constraint"}
	o, c, err := convOptions("SeparableConv2D", opts, own, "kernel_size", "strides", "padding", "activation", "use_bias",
		"bias_initializer", "bias_regularizer", "bias_constraint")
	l := &SeparableConv2DLayer{filters: filters, opts: o, depthwiseWindow: depthwiseWindow{multiplier: max(c.multiplier, 1)},
		w: separableWeights{depthwiseInit: initializers.GlorotUniform(), pointwiseInit: initializers.GlorotUniform()}}
	for _, opt := range opts {
		if s, ok := opt.(separableOption); ok {
			s.set(&l.w)
		}
	}
	act, aerr := activations.Get(o.activation)
	l.act = act
	if err == nil {
		err = l.resolve("SeparableConv2D", o, c, kernelSize)
	}
	if err == nil {
		err = checkInitializers("SeparableConv2D", namedInit{"WithDepthwiseInitializer", l.w.depthwiseInit, "glorot_uniform"},
			namedInit{"WithPointwiseInitializer", l.w.pointwiseInit, "glorot_uniform"})
	}
	switch {
	case err != nil:
	case filters <= 0:
		err = fmt.Errorf("SeparableConv2D needs a positive number of filters, got %d", filters)
	case c.multiplier < 0 || (c.multiplier == 0 && slices.Contains(c.set, "depth_multiplier")):
		err = fmt.Errorf("SeparableConv2D needs a positive depth multiplier, got %d", c.multiplier)
	case max(l.strides[0], l.strides[1]) > 1 && max(l.dilation[0], l.dilation[1]) > 1:
		err = fmt.Errorf("SeparableConv2D takes strides > 1 or dilation_rate > 1, not both (as Keras), got strides %v and dilation_rate %v; set one of them to 1", l.strides, l.dilation)
	case aerr != nil:
		err = aerr
	}
	l.base = base{name: o.name, err: err}
	return l
}

// ClassName is Keras's class name, "SeparableConv2D".
func (l *SeparableConv2DLayer) ClassName() string { return "SeparableConv2D" }

// Filters is the number of output channels.
func (l *SeparableConv2DLayer) Filters() int { return l.filters }

// KernelSize is the depthwise window, (rows, columns).
func (l *SeparableConv2DLayer) KernelSize() [2]int { return l.window }

// ParamShapes is the depthwise kernel (KH, KW, C, M), the pointwise kernel
// (1, 1, C·M, filters) and the bias (filters), and the output shape, for an
// input (H, W, C); see ParamShaper.
func (l *SeparableConv2DLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	what := "kernel"
	if l.dilation != [2]int{1, 1} {
		what = "dilated kernel"
	}
	depthwise, mid, err := l.depthwiseShapes(l, input, what) // mid: the depthwise step's output
	if err != nil {
		return nil, nil, err
	}
	pointwise := ParamShape{l.name + "/pointwise_kernel", []int{1, 1, mid[2], l.filters}}
	return l.opts.paramShapes(l.name, l.filters, depthwise, pointwise), []int{mid[0], mid[1], l.filters}, nil
}

// Build makes the weights in Keras's order (depthwise, pointwise, bias), so
// that one seed gives the same draws in the same order.
func (l *SeparableConv2DLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	ps, out, err := l.ParamShapes(input)
	if err != nil {
		return nil, err
	}
	l.place(input)
	l.depthwise = newWeight(ps[0], l.w.depthwiseInit, l.w.depthwiseReg, rng)
	l.pointwise = newWeight(ps[1], l.w.pointwiseInit, l.w.pointwiseReg, rng)
	l.bias = nil
	if l.opts.useBias {
		l.bias = newWeight(ps[2], l.opts.biasInit, l.opts.biasReg, rng)
	}
	for _, wc := range []struct {
		p *autograd.Param
		c constraints.Constraint
	}{{l.depthwise, l.w.depthwiseCons}, {l.pointwise, l.w.pointwiseCons}, {l.bias, l.opts.biasCons}} {
		if err := constrain(l, wc.p, wc.c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Geometry is the depthwise step's strides, dilations and padding, worked
// out by Build for its input.
func (l *SeparableConv2DLayer) Geometry() autograd.Conv2DGeometry { return l.geometry() }

// Params is the depthwise kernel, the pointwise kernel, then the bias
// unless WithUseBias(false).
func (l *SeparableConv2DLayer) Params() []*autograd.Param {
	return withBias(l.bias, l.depthwise, l.pointwise)
}

// Call adds the depthwise op, without a bias (Keras's separable
// convolution has one bias, after the pointwise step), and the pointwise
// 1×1 Conv2D with the bias and, for "relu", the activation fused.
func (l *SeparableConv2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	d := p.DepthwiseConv2D(x, l.depthwise, nil, l.Geometry())
	relu := l.act.Name() == "relu"
	y := p.Conv2DBiasReLU(d, l.pointwise, l.bias, relu, 1, 1, 0, 0, 0, 0)
	if relu {
		return y
	}
	return l.act.Apply(p, y)
}

// Config is Keras's get_config of SeparableConv2D (without trainable,
// dtype and activity_regularizer, as goras's other layers).
func (l *SeparableConv2DLayer) Config() map[string]any {
	return l.config(map[string]any{
		"name":                  l.name,
		"filters":               l.filters,
		"activation":            l.act.Name(),
		"use_bias":              l.opts.useBias,
		"depthwise_initializer": initializerConfig(l.w.depthwiseInit),
		"pointwise_initializer": initializerConfig(l.w.pointwiseInit),
		"bias_initializer":      initializerConfig(l.opts.biasInit),
		"depthwise_regularizer": regularizerConfig(l.w.depthwiseReg),
		"pointwise_regularizer": regularizerConfig(l.w.pointwiseReg),
		"bias_regularizer":      regularizerConfig(l.opts.biasReg),
		"depthwise_constraint":  constraintConfig(l.w.depthwiseCons),
		"pointwise_constraint":  constraintConfig(l.w.pointwiseCons),
		"bias_constraint":       constraintConfig(l.opts.biasCons),
	})
}

func init() { Register("SeparableConv2D", separableConv2DFromConfig) }

// separableConv2DFromConfig rebuilds a SeparableConv2D from its Keras
// config; kernel_size, strides and dilation_rate may be an integer or a
// pair.
func separableConv2DFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("SeparableConv2D", config)
	r.Require("filters", "kernel_size")
	filters := r.Int("filters", 0)
	opts := []ConvOption{
		WithName(r.Name()),
		r.convWindowOptions(2),
		WithDepthMultiplier(r.Int("depth_multiplier", 1)),
		WithActivation(r.String("activation", "linear")),
		WithUseBias(r.Bool("use_bias", true)),
		WithDepthwiseInitializer(r.Initializer("depthwise_initializer", initializers.GlorotUniform())),
		WithPointwiseInitializer(r.Initializer("pointwise_initializer", initializers.GlorotUniform())),
		WithBiasInitializer(r.Initializer("bias_initializer", initializers.Zeros())),
		WithDepthwiseRegularizer(r.Regularizer("depthwise_regularizer")),
		WithPointwiseRegularizer(r.Regularizer("pointwise_regularizer")),
		WithBiasRegularizer(r.Regularizer("bias_regularizer")),
		WithDepthwiseConstraint(r.Constraint("depthwise_constraint")),
		WithPointwiseConstraint(r.Constraint("pointwise_constraint")),
		WithBiasConstraint(r.Constraint("bias_constraint")),
	}
	r.Accept("data_format", "channels_last")
	r.Null("activity_regularizer")
	if err := r.Err(); err != nil {
		return nil, err
	}
	return SeparableConv2D(filters, 0, opts...), nil
}
