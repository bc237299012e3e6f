package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
)

// LayerNormLayer is Keras's LayerNormalization (keras.layers.
// LayerNormalization, Ba et al. 2016): each sample is normalized over its
// own values along the given axes, by default the last,
//
//	y = γ·(x - mean)/√(var + ε) + β,
//
// with the sample's mean and biased variance over those axes, in training
// and inference alike (it keeps no moving statistics, unlike
// BatchNormalization). γ (gamma) and β (beta) are trainable and have the
// shape of the normalized axes. With WithRMSScaling, as Keras's
// rms_scaling=True, y = γ·x/√(var + ε): not centered, no β (var is still
// the variance about the mean, as Keras computes it).
//
// goras normalizes over trailing axes: the last (-1, Keras's default) or
// several ending with it (WithAxes(-2, -1), or [1, 2, 3] for images).
type LayerNormLayer struct {
	base
	cfg         layerNormConfig
	gamma, beta *autograd.Param
	count       int // the number of trailing axes normalized, set by Build
}

type layerNormConfig struct {
	axes                []int
	list                bool // axes given as a list (WithAxes), as the config keeps them
	epsilon             float64
	center, scale, rms  bool
	betaInit, gammaInit initializers.Initializer
	betaReg, gammaReg   regularizers.Regularizer
	betaCons, gammaCons constraints.Constraint
}

// LayerNormOption configures LayerNormalization. It is BatchNormOption:
// the options the two layers share in Keras (WithEpsilon, WithCenter,
// WithScale, WithBetaInitializer, WithGammaInitializer,
// WithBetaRegularizer, WithGammaRegularizer) serve both. LayerNormalization
// also takes WithAxis, WithAxes, WithRMSScaling, WithBetaConstraint,
// WithGammaConstraint and WithName, and refuses the options of moving
// statistics (WithMomentum, WithMovingMeanInitializer, ...).
type LayerNormOption = BatchNormOption

// layerNormOnly is an option of LayerNormalization that
// BatchNormalization does not take: given to it, it is reported by name.
type layerNormOnly struct {
	key string
	f   func(*layerNormConfig)
}

// applyBatchNorm makes BatchNormalization report the option as one it
// does not take.
func (o layerNormOnly) applyBatchNorm(c *batchNormConfig) {
	c.common = append(c.common, func(op *options) { op.mark(o.key) })
}

// applyBatchNorm makes BatchNormalization report WithAxes as an option it
// does not take (it normalizes the last axis only).
func (a AxesOption) applyBatchNorm(c *batchNormConfig) {
	c.common = append(c.common, func(op *options) { op.mark("axis") })
}

// WithRMSScaling is Keras's rms_scaling: y = γ·x/√(var + ε), without
// centering and without β (WithCenter and WithScale are then ignored, as in
// Keras). Default false.
func WithRMSScaling(on bool) LayerNormOption {
	return layerNormOnly{"rms_scaling", func(c *layerNormConfig) { c.rms = on }}
}

// WithBetaConstraint projects β after each optimizer step. Default none.
func WithBetaConstraint(cons constraints.Constraint) LayerNormOption {
	return layerNormOnly{"beta_constraint", func(c *layerNormConfig) { c.betaCons = cons }}
}

// WithGammaConstraint projects γ after each optimizer step, e.g.
// constraints.NonNeg(). Default none.
func WithGammaConstraint(cons constraints.Constraint) LayerNormOption {
	return layerNormOnly{"gamma_constraint", func(c *layerNormConfig) { c.gammaCons = cons }}
}

// LayerNormalization makes Keras's LayerNormalization with its defaults:
// axis -1, epsilon 1e-3, center and scale on, rms_scaling off, β zeros,
// γ ones, no regularizers or constraints.
func LayerNormalization(opts ...LayerNormOption) *LayerNormLayer {
	// Options shared with BatchNormalization write a batchNormConfig;
	// momentum NaN and nil moving initializers tell if its own were given.
	bn := batchNormConfig{
		momentum: math.NaN(), epsilon: 1e-3, center: true, scale: true,
		betaInit: initializers.Zeros(), gammaInit: initializers.Ones(),
	}
	var c layerNormConfig
	for _, opt := range opts {
		switch o := opt.(type) {
		case nil:
		case layerNormOnly:
			o.f(&c)
		case AxesOption:
			c.axes, c.list = slices.Clone(o.axes), true
		default:
			opt.applyBatchNorm(&bn)
		}
	}
	o, err := apply("LayerNormalization", bn.common, "axis")
	c.epsilon, c.center, c.scale = bn.epsilon, bn.center, bn.scale
	c.betaInit, c.gammaInit, c.betaReg, c.gammaReg = bn.betaInit, bn.gammaInit, bn.betaReg, bn.gammaReg
	axisSet := slices.Contains(o.set, "axis")
	switch {
	case err != nil:
	case !math.IsNaN(bn.momentum):
		err = fmt.Errorf("LayerNormalization does not take WithMomentum: it keeps no moving statistics")
	case bn.meanInit != nil || bn.varInit != nil:
		err = fmt.Errorf("LayerNormalization does not take WithMovingMeanInitializer or WithMovingVarianceInitializer: it keeps no moving statistics")
	case !(c.epsilon > 0) || math.IsInf(c.epsilon, 1):
		err = fmt.Errorf("LayerNormalization epsilon must be a finite number > 0, got %v", c.epsilon)
	case c.betaInit == nil || c.gammaInit == nil:
		err = checkInitializers("LayerNormalization", namedInit{"WithBetaInitializer", c.betaInit, "zeros"},
			namedInit{"WithGammaInitializer", c.gammaInit, "ones"})
	case axisSet && c.list:
		err = fmt.Errorf("LayerNormalization was given both WithAxis and WithAxes; give one")
	case c.list && len(c.axes) == 0:
		err = fmt.Errorf("LayerNormalization was given WithAxes with no axis; give at least one, e.g. WithAxes(-1)")
	case axisSet:
		c.axes = []int{o.axis}
	case !c.list:
		c.axes = []int{-1}
	}
	return &LayerNormLayer{base: base{name: o.name, err: err}, cfg: c}
}

// ClassName is "LayerNormalization", Keras's class name.
func (l *LayerNormLayer) ClassName() string { return "LayerNormalization" }

// Axes are the axes normalized over, as given.
func (l *LayerNormLayer) Axes() []int { return slices.Clone(l.cfg.axes) }

// Epsilon is the small variance added before the square root.
func (l *LayerNormLayer) Epsilon() float64 { return l.cfg.epsilon }

// RMSScaling reports Keras's rms_scaling (see WithRMSScaling).
func (l *LayerNormLayer) RMSScaling() bool { return l.cfg.rms }

// hasGamma and hasBeta are which weights the layer makes, as Keras:
// γ with scale or rms_scaling, β with center unless rms_scaling.
func (l *LayerNormLayer) hasGamma() bool { return l.cfg.scale || l.cfg.rms }
func (l *LayerNormLayer) hasBeta() bool  { return l.cfg.center && !l.cfg.rms }

// normalized resolves the axes for per-sample inputs of shape input and
// returns the shape of the normalized (trailing) axes.
func (l *LayerNormLayer) normalized(input []int) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	first, last, err := adjacentAxes(l.cfg.axes, input)
	if err != nil {
		return nil, buildError(l, "%v", err)
	}
	if last != len(input) {
		return nil, buildError(l, "axes %v of input of shape (None, %s) do not end with the last axis; goras normalizes over trailing axes, such as -1 or [-2, -1]",
			l.cfg.axes, shapeList(input))
	}
	return slices.Clone(input[first-1:]), nil
}

// ParamShapes is gamma and beta (as hasGamma and hasBeta say), each of the
// normalized axes' shape; see ParamShaper.
func (l *LayerNormLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	shape, err := l.normalized(input)
	if err != nil {
		return nil, nil, err
	}
	var ps []ParamShape
	if l.hasGamma() {
		ps = append(ps, ParamShape{l.name + "/gamma", shape})
	}
	if l.hasBeta() {
		ps = append(ps, ParamShape{l.name + "/beta", slices.Clone(shape)})
	}
	return ps, input, nil
}

// Build makes gamma and beta for the input shape; the output has the
// input's shape.
func (l *LayerNormLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	shape, err := l.normalized(input)
	if err != nil {
		return nil, err
	}
	c := l.cfg
	l.gamma, l.beta, l.count = nil, nil, len(shape)
	if l.hasGamma() {
		l.gamma = autograd.NewParam(l.name+"/gamma", true, shape...)
		l.gamma.Regularizer = penalty(c.gammaReg)
		c.gammaInit.Initialize(l.gamma.Value, rng)
	}
	if l.hasBeta() {
		l.beta = autograd.NewParam(l.name+"/beta", true, shape...)
		l.beta.Regularizer = penalty(c.betaReg)
		c.betaInit.Initialize(l.beta.Value, rng)
	}
	if err := constrain(l, l.gamma, c.gammaCons); err != nil {
		return nil, err
	}
	if err := constrain(l, l.beta, c.betaCons); err != nil {
		return nil, err
	}
	return input, nil
}

// Params are gamma, then beta, when the layer has them.
func (l *LayerNormLayer) Params() []*autograd.Param {
	var ps []*autograd.Param
	for _, p := range []*autograd.Param{l.gamma, l.beta} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// Call adds the layer normalization op over the normalized axes.
func (l *LayerNormLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.LayerNorm(x, l.count, l.gamma, l.beta, l.cfg.epsilon, l.cfg.rms)
}

// Config is Keras's get_config: name, axis (an integer, or a list when
// given as one), epsilon, center, scale, rms_scaling and β's and γ's
// initializers, regularizers and constraints.
func (l *LayerNormLayer) Config() map[string]any {
	c := l.cfg
	var axis any
	if len(c.axes) == 1 && !c.list {
		axis = c.axes[0]
	} else {
		axis = slices.Clone(c.axes)
	}
	return map[string]any{
		"name":              l.name,
		"axis":              axis,
		"epsilon":           c.epsilon,
		"center":            c.center,
		"scale":             c.scale,
		"rms_scaling":       c.rms,
		"beta_initializer":  initializerConfig(c.betaInit),
		"gamma_initializer": initializerConfig(c.gammaInit),
		"beta_regularizer":  regularizerConfig(c.betaReg),
		"gamma_regularizer": regularizerConfig(c.gammaReg),
		"beta_constraint":   constraintConfig(c.betaCons),
		"gamma_constraint":  constraintConfig(c.gammaCons),
	}
}

func init() { Register("LayerNormalization", layerNormFromConfig) }

func layerNormFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("LayerNormalization", config)
	opts := []LayerNormOption{
		WithName(r.Name()),
		WithEpsilon(r.Float("epsilon", 1e-3)),
		WithCenter(r.Bool("center", true)),
		WithScale(r.Bool("scale", true)),
		WithRMSScaling(r.Bool("rms_scaling", false)),
		WithBetaInitializer(r.Initializer("beta_initializer", initializers.Zeros())),
		WithGammaInitializer(r.Initializer("gamma_initializer", initializers.Ones())),
		WithBetaRegularizer(r.Regularizer("beta_regularizer")),
		WithGammaRegularizer(r.Regularizer("gamma_regularizer")),
		WithBetaConstraint(r.Constraint("beta_constraint")),
		WithGammaConstraint(r.Constraint("gamma_constraint")),
	}
	if axis, ok := r.readAxis(config); ok {
		opts = append(opts, axis)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return LayerNormalization(opts...), nil
}
