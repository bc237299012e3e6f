package layers

import (
	"math/rand/v2"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
)

// Dense and the convolutions with one kernel (Conv1D, Conv2D,
// Conv2DTranspose, DepthwiseConv2D) share their weights' options: an
// activation, use_bias, and an initializer, a regularizer and a constraint
// for the kernel and for the bias. What they do with them is the same in
// each, so it is written once, here: the option keys they take, the
// weights' shapes, making and listing the weights, and writing and reading
// the options as Keras's config keys. SeparableConv2D, whose two kernels
// have options of their own, uses paramShapes, newWeight and withBias.

// kernelBiasOptionKeys are the keys of those options, in the order the
// layers list what they take (apply's error message shows this order).
var kernelBiasOptionKeys = []string{"activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
	"bias_regularizer", "kernel_constraint", "bias_constraint"}

// convOptionKeys are the option keys the convolutions with one kernel take:
// the window's, then the kernel's and the bias's.
var convOptionKeys = append([]string{"kernel_size", "strides", "padding"}, kernelBiasOptionKeys...)

// paramShapes is a layer's ParamShapes list of weights: its kernels, then,
// unless WithUseBias(false), the bias of biasLen values, named after the
// layer. Build makes the weights from this list, so that it makes what
// ParamShapes promised a model file.
func (o *options) paramShapes(layer string, biasLen int, kernels ...ParamShape) []ParamShape {
	if o.useBias {
		return append(kernels, ParamShape{layer + "/bias", []int{biasLen}})
	}
	return kernels
}

// newWeight makes the trainable weight w (its name and shape, from
// paramShapes) with its penalty, and draws its starting values from rng.
// Layers make their weights in Keras's order, so that a seed draws the
// same numbers for the same weights.
func newWeight(w ParamShape, init initializers.Initializer, reg regularizers.Regularizer, rng *rand.Rand) *autograd.Param {
	p := autograd.NewParam(w.Name, true, w.Shape...)
	p.Regularizer = penalty(reg)
	init.Initialize(p.Value, rng)
	return p
}

// kernelAndBias makes the weights of a layer l with one kernel from its
// paramShapes list ps: the kernel, then the bias unless WithUseBias(false),
// each with o's initializer and regularizer; then it sets o's constraints
// on them, an error of l's when one does not fit its weight's shape.
func (o *options) kernelAndBias(l Layer, ps []ParamShape, rng *rand.Rand) (kernel, bias *autograd.Param, err error) {
	kernel = newWeight(ps[0], o.kernelInit, o.kernelReg, rng)
	if o.useBias {
		bias = newWeight(ps[1], o.biasInit, o.biasReg, rng)
	}
	if err := constrain(l, kernel, o.kernelCons); err != nil {
		return kernel, bias, err
	}
	return kernel, bias, constrain(l, bias, o.biasCons)
}

// withBias is a layer's Params: its kernels in order, then the bias, which
// is nil (and left out) under WithUseBias(false). Before Build the kernels
// are nil, and listed all the same.
func withBias(bias *autograd.Param, kernels ...*autograd.Param) []*autograd.Param {
	n := len(kernels)
	if bias != nil {
		n++
	}
	ps := append(make([]*autograd.Param, 0, n), kernels...)
	if bias != nil {
		ps = append(ps, bias)
	}
	return ps
}

// kernelBiasConfig adds the Keras config keys of these options to config,
// a layer's own keys. kernel is Keras's name for the kernel in them:
// "kernel" (kernel_initializer, ...), or "depthwise" for DepthwiseConv2D
// (depthwise_initializer, ...).
func (o *options) kernelBiasConfig(act activations.Activation, kernel string, config map[string]any) map[string]any {
	config["activation"] = act.Name()
	config["use_bias"] = o.useBias
	config[kernel+"_initializer"] = initializerConfig(o.kernelInit)
	config["bias_initializer"] = initializerConfig(o.biasInit)
	config[kernel+"_regularizer"] = regularizerConfig(o.kernelReg)
	config["bias_regularizer"] = regularizerConfig(o.biasReg)
	config[kernel+"_constraint"] = constraintConfig(o.kernelCons)
	config["bias_constraint"] = constraintConfig(o.biasCons)
	return config
}

// kernelBiasOptions reads back what kernelBiasConfig writes, each key with
// Keras's default when absent, in Keras's order of the keys (the first
// wrong one is the error reported). It returns them as one Option, which
// goes in any layer's option list, of Options or of ConvOptions.
func (r *ConfigReader) kernelBiasOptions(kernel string) Option {
	opts := []Option{
		WithActivation(r.String("activation", "linear")),
		WithUseBias(r.Bool("use_bias", true)),
		WithKernelInitializer(r.Initializer(kernel+"_initializer", initializers.GlorotUniform())),
		WithBiasInitializer(r.Initializer("bias_initializer", initializers.Zeros())),
		WithKernelRegularizer(r.Regularizer(kernel + "_regularizer")),
		WithBiasRegularizer(r.Regularizer("bias_regularizer")),
		WithKernelConstraint(r.Constraint(kernel + "_constraint")),
		WithBiasConstraint(r.Constraint("bias_constraint")),
	}
	return func(o *options) {
		for _, opt := range opts {
			opt(o)
		}
	}
}
