package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
)

// Layer is one stage of a model.
type Layer interface {
	// Name is the layer's unique name in its model, e.g. "dense_1". The
	// model assigns Keras-style names (snake_case class name plus a
	// counter) to layers that were not given one with WithName.
	Name() string
	SetName(name string)
	// ClassName is the Keras class name, e.g. "Dense".
	ClassName() string
	// Build creates the layer's weights for a per-sample input shape (no
	// batch axis) and returns the per-sample output shape. A configuration
	// or shape mistake is returned as an error that names the layer.
	Build(input []int, rng *rand.Rand) (output []int, err error)
	// Params lists the weights made by Build, trainable ones first.
	Params() []*autograd.Param
	// Call adds the layer's ops to a plan and returns its output.
	Call(p *autograd.Plan, x *autograd.Var) *autograd.Var
	// Config is Keras's get_config of the layer.
	Config() map[string]any
}

// MultiInput is a layer that takes several inputs, such as the merge layers
// (Add, Concatenate, ...). A graph model calls BuildMulti and CallMulti on
// it instead of Build and Call; its Build and Call, for a single input,
// report that it needs several.
type MultiInput interface {
	Layer
	// BuildMulti is Build for the per-sample shapes of every input, in the
	// order the layer was called with them.
	BuildMulti(inputs [][]int, rng *rand.Rand) (output []int, err error)
	// CallMulti is Call for several inputs.
	CallMulti(p *autograd.Plan, xs []*autograd.Var) *autograd.Var
}

// ParamShaper is implemented by layers with weights: the weights Build
// would make for a per-sample input shape, and the output shape, without
// making them. Loading a model file compares these with the file's tensors
// before any weight is allocated, so that a small file declaring huge
// layers is refused instead of exhausting memory.
type ParamShaper interface {
	ParamShapes(input []int) (params []ParamShape, output []int, err error)
}

// ParamShape is a weight's name (as its Param is named, "dense/kernel")
// and shape.
type ParamShape struct {
	Name  string
	Shape []int
}

// base carries what every layer has: a name, and a construction error that
// is reported when the model is built.
type base struct {
	name string
	err  error
}

func (b *base) Name() string        { return b.name }
func (b *base) SetName(name string) { b.name = name }

func (b *base) Params() []*autograd.Param { return nil }

// Option configures a layer; each constructor documents which it takes.
type Option func(*options)

type options struct {
	set        []string // Keras names of the options given, to reject misplaced ones
	name       string
	activation string
	useBias    bool
	kernelInit initializers.Initializer
	biasInit   initializers.Initializer
	kernelReg  regularizers.Regularizer
	biasReg    regularizers.Regularizer
	kernelCons constraints.Constraint
	biasCons   constraints.Constraint
	kernelSize []int  // WithKernelSize; see conv_options.go
	strides    []int  // WithStrides
	poolSize   []int  // WithPoolSize
	padding    string // WithPadding; "" means the default, "valid"
	axis       int    // WithAxis; read only when "axis" is in set, see merge.go
}

func (o *options) mark(key string) { o.set = append(o.set, key) }

// WithName names the layer (default: the snake_case class name, numbered
// from the second one on, e.g. dense, dense_1).
func WithName(name string) Option { return func(o *options) { o.mark("name"); o.name = name } }

// WithActivation sets the activation applied to the output, by Keras name:
// "relu", "sigmoid", "tanh", "softmax", "linear". Default linear (none).
func WithActivation(name string) Option {
	return func(o *options) { o.mark("activation"); o.activation = name }
}

// WithUseBias says whether the layer adds a bias vector. Default true.
func WithUseBias(use bool) Option { return func(o *options) { o.mark("use_bias"); o.useBias = use } }

// WithKernelInitializer sets how the kernel starts. Default glorot_uniform.
func WithKernelInitializer(i initializers.Initializer) Option {
	return func(o *options) { o.mark("kernel_initializer"); o.kernelInit = i }
}

// WithBiasInitializer sets how the bias starts. Default zeros.
func WithBiasInitializer(i initializers.Initializer) Option {
	return func(o *options) { o.mark("bias_initializer"); o.biasInit = i }
}

// WithKernelRegularizer adds a penalty on the kernel to the loss. Default none.
func WithKernelRegularizer(r regularizers.Regularizer) Option {
	return func(o *options) { o.mark("kernel_regularizer"); o.kernelReg = r }
}

// WithBiasRegularizer adds a penalty on the bias to the loss. Default none.
func WithBiasRegularizer(r regularizers.Regularizer) Option {
	return func(o *options) { o.mark("bias_regularizer"); o.biasReg = r }
}

// WithKernelConstraint projects the kernel after each optimizer step, e.g.
// constraints.MaxNorm(2). Default none.
func WithKernelConstraint(c constraints.Constraint) Option {
	return func(o *options) { o.mark("kernel_constraint"); o.kernelCons = c }
}

// WithBiasConstraint projects the bias after each optimizer step, e.g.
// constraints.NonNeg(). Default none.
func WithBiasConstraint(c constraints.Constraint) Option {
	return func(o *options) { o.mark("bias_constraint"); o.biasCons = c }
}

// WithAxis sets the axis a layer works along, counted on the full shape
// with the batch axis as 0, and from the end when negative, as Keras's axis
// arguments. Concatenate takes it (default -1, the last axis).
func WithAxis(axis int) Option { return func(o *options) { o.mark("axis"); o.axis = axis } }

// apply runs the options over Keras's defaults and returns an error naming
// any option the layer does not take.
func apply(class string, opts []Option, allowed ...string) (*options, error) {
	o := &options{useBias: true, kernelInit: initializers.GlorotUniform(), biasInit: initializers.Zeros()}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	for _, key := range o.set {
		if key != "name" && !slices.Contains(allowed, key) {
			return o, fmt.Errorf("%s does not take the option %s (it takes: %s)", class, key, strings.Join(append([]string{"name"}, allowed...), ", "))
		}
	}
	return o, checkInitializers(class, namedInit{"WithKernelInitializer", o.kernelInit, "glorot_uniform"},
		namedInit{"WithBiasInitializer", o.biasInit, "zeros"})
}

// namedInit is an initializer with the option that sets it and its
// default, for checkInitializers.
type namedInit struct {
	option string
	init   initializers.Initializer
	def    string
}

// checkInitializers returns an error naming the first option that was
// given a nil initializer: a layer would call it when it builds its
// weights. (A nil regularizer or constraint means none.)
func checkInitializers(class string, inits ...namedInit) error {
	for _, i := range inits {
		if i.init == nil {
			return fmt.Errorf("%s was given %s(nil); leave the option out for the default, %s, or give an initializer, e.g. initializers.HeNormal()", class, i.option, i.def)
		}
	}
	return nil
}

// buildError prefixes an error with the layer it concerns.
func buildError(l Layer, format string, args ...any) error {
	return fmt.Errorf("layer %q (%s): %s", l.Name(), l.ClassName(), fmt.Sprintf(format, args...))
}

// initializerConfig is Keras's serialized form of an initializer, or null
// for the nil one a layer refuses to build with (see checkInitializers):
// its Config still works.
func initializerConfig(i initializers.Initializer) any {
	if i == nil {
		return nil
	}
	return initializers.Serialize(i)
}

// regularizerConfig is Keras's serialized form of a regularizer, or null.
func regularizerConfig(r regularizers.Regularizer) any {
	if r == nil {
		return nil
	}
	return regularizers.Serialize(r)
}

// constraintConfig is Keras's serialized form of a constraint, or null.
func constraintConfig(c constraints.Constraint) any {
	if c == nil {
		return nil
	}
	return constraints.Serialize(c)
}

// constrain sets c on p, after checking that it fits p's shape; nil c and
// nil p leave p as is.
func constrain(l Layer, p *autograd.Param, c constraints.Constraint) error {
	if c == nil || p == nil {
		return nil
	}
	if err := constraints.Check(c, p.Value.Shape()); err != nil {
		return buildError(l, "%s: %v", p.Name, err)
	}
	p.Constraint = c
	return nil
}

// penalty adapts a regularizer to the plan's view of it, keeping nil nil.
func penalty(r regularizers.Regularizer) autograd.Penalty {
	if r == nil {
		return nil
	}
	return r
}

func shapeList(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, ", ")
}
