package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
)

// BatchNormLayer is Keras's BatchNormalization over the last (channels) axis.
//
// In training (Fit) it normalizes each channel with the batch's mean and
// biased variance, y = γ·(x - mean)/√(var + ε) + β, and moves its moving
// statistics toward them once per step:
// moving = moving·momentum + batch·(1 - momentum). At inference (Evaluate,
// Predict) it uses the moving statistics instead. γ (gamma) and β (beta) are
// trainable; the moving mean and variance are weights too, but
// non-trainable, and Summary counts them so.
type BatchNormLayer struct {
	base
	cfg                   batchNormConfig
	gamma, beta           *autograd.Param
	movingMean, movingVar *autograd.Param
}

type batchNormConfig struct {
	momentum, epsilon   float64
	center, scale       bool
	betaInit, gammaInit initializers.Initializer
	meanInit, varInit   initializers.Initializer
	betaReg, gammaReg   regularizers.Regularizer
	common              []Option
}

// BatchNormOption configures BatchNormalization: WithMomentum, WithEpsilon,
// WithCenter, WithScale, the initializer and regularizer options below, or
// WithName.
type BatchNormOption interface{ applyBatchNorm(*batchNormConfig) }

// applyBatchNorm lets the common options (WithName) configure
// BatchNormalization too.
func (o Option) applyBatchNorm(c *batchNormConfig) { c.common = append(c.common, o) }

type batchNormOption func(*batchNormConfig)

func (f batchNormOption) applyBatchNorm(c *batchNormConfig) { f(c) }

// WithMomentum sets how slowly the moving statistics follow the batches:
// moving = moving·momentum + batch·(1 - momentum). Default 0.99.
func WithMomentum(m float64) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.momentum = m })
}

// WithEpsilon sets the small variance added before the square root.
// Default 1e-3 (Keras's; PyTorch uses 1e-5).
func WithEpsilon(eps float64) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.epsilon = eps })
}

// WithCenter says whether the layer learns an offset β. Default true.
func WithCenter(on bool) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.center = on })
}

// WithScale says whether the layer learns a scale γ. Default true. (Keras
// suggests false when the next layer is linear or relu.)
func WithScale(on bool) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.scale = on })
}

// WithBetaInitializer sets how β starts. Default zeros.
func WithBetaInitializer(i initializers.Initializer) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.betaInit = i })
}

// WithGammaInitializer sets how γ starts. Default ones.
func WithGammaInitializer(i initializers.Initializer) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.gammaInit = i })
}

// WithMovingMeanInitializer sets how the moving mean starts. Default zeros.
func WithMovingMeanInitializer(i initializers.Initializer) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.meanInit = i })
}

// WithMovingVarianceInitializer sets how the moving variance starts.
// Default ones.
func WithMovingVarianceInitializer(i initializers.Initializer) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.varInit = i })
}

// WithBetaRegularizer adds a penalty on β to the loss. Default none.
func WithBetaRegularizer(r regularizers.Regularizer) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.betaReg = r })
}

// WithGammaRegularizer adds a penalty on γ to the loss. Default none.
func WithGammaRegularizer(r regularizers.Regularizer) BatchNormOption {
	return batchNormOption(func(c *batchNormConfig) { c.gammaReg = r })
}

// BatchNormalization makes a batch normalization layer with Keras's
// defaults: axis -1 (channels last), momentum 0.99, epsilon 1e-3, center and
// scale on, γ ones, β zeros, moving mean zeros, moving variance ones.
func BatchNormalization(opts ...BatchNormOption) *BatchNormLayer {
	c := batchNormConfig{
		momentum: 0.99, epsilon: 1e-3, center: true, scale: true,
		betaInit: initializers.Zeros(), gammaInit: initializers.Ones(),
		meanInit: initializers.Zeros(), varInit: initializers.Ones(),
	}
	for _, o := range opts {
		if o != nil {
			o.applyBatchNorm(&c)
		}
	}
	o, err := apply("BatchNormalization", c.common)
	initErr := checkInitializers("BatchNormalization", namedInit{"WithBetaInitializer", c.betaInit, "zeros"},
		namedInit{"WithGammaInitializer", c.gammaInit, "ones"}, namedInit{"WithMovingMeanInitializer", c.meanInit, "zeros"},
		namedInit{"WithMovingVarianceInitializer", c.varInit, "ones"})
	switch {
	case err != nil:
	case !(c.momentum >= 0 && c.momentum <= 1):
		err = fmt.Errorf("BatchNormalization momentum must be in [0, 1], got %v", c.momentum)
	case !(c.epsilon > 0):
		err = fmt.Errorf("BatchNormalization epsilon must be > 0, got %v", c.epsilon)
	case initErr != nil:
		err = initErr
	}
	return &BatchNormLayer{base: base{name: o.name, err: err}, cfg: c}
}

func (l *BatchNormLayer) ClassName() string { return "BatchNormalization" }

// ParamShapes is gamma and beta (when scale and center are on) and the
// moving statistics, one value per channel each; see ParamShaper.
func (l *BatchNormLayer) ParamShapes(input []int) ([]ParamShape, []int, error) {
	if l.err != nil {
		return nil, nil, buildError(l, "%v", l.err)
	}
	if len(input) == 0 {
		return nil, nil, buildError(l, "needs inputs with a channel axis, got a scalar per sample")
	}
	n := []int{input[len(input)-1]}
	var ps []ParamShape
	if l.cfg.scale {
		ps = append(ps, ParamShape{l.name + "/gamma", n})
	}
	if l.cfg.center {
		ps = append(ps, ParamShape{l.name + "/beta", n})
	}
	ps = append(ps, ParamShape{l.name + "/moving_mean", n}, ParamShape{l.name + "/moving_variance", n})
	return ps, input, nil
}

func (l *BatchNormLayer) Build(input []int, rng *rand.Rand) ([]int, error) {
	if _, _, err := l.ParamShapes(input); err != nil {
		return nil, err
	}
	n := input[len(input)-1]
	l.gamma, l.beta = nil, nil
	if l.cfg.scale {
		l.gamma = autograd.NewParam(l.name+"/gamma", true, n)
		l.gamma.Regularizer = penalty(l.cfg.gammaReg)
		l.cfg.gammaInit.Initialize(l.gamma.Value, rng)
	}
	if l.cfg.center {
		l.beta = autograd.NewParam(l.name+"/beta", true, n)
		l.beta.Regularizer = penalty(l.cfg.betaReg)
		l.cfg.betaInit.Initialize(l.beta.Value, rng)
	}
	l.movingMean = autograd.NewParam(l.name+"/moving_mean", false, n)
	l.cfg.meanInit.Initialize(l.movingMean.Value, rng)
	l.movingVar = autograd.NewParam(l.name+"/moving_variance", false, n)
	l.cfg.varInit.Initialize(l.movingVar.Value, rng)
	return input, nil
}

// Params are gamma and beta (trainable, when scale and center are on), then
// the non-trainable moving_mean and moving_variance, in Keras's order.
func (l *BatchNormLayer) Params() []*autograd.Param {
	var ps []*autograd.Param
	for _, p := range []*autograd.Param{l.gamma, l.beta, l.movingMean, l.movingVar} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// MovingMean is the moving mean used at inference (nil before Build).
func (l *BatchNormLayer) MovingMean() *autograd.Param { return l.movingMean }

// MovingVariance is the moving variance used at inference (nil before Build).
func (l *BatchNormLayer) MovingVariance() *autograd.Param { return l.movingVar }

// Inference is what the layer computes at inference (γ, β, the moving
// statistics and ε), for an inference plan that folds it into the
// convolution before it (Conv2DLayer.CallBatchNorm).
func (l *BatchNormLayer) Inference() autograd.BatchNormInference {
	return autograd.BatchNormInference{Gamma: l.gamma, Beta: l.beta, MovingMean: l.movingMean, MovingVariance: l.movingVar, Epsilon: l.cfg.epsilon}
}

func (l *BatchNormLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.BatchNorm(x, l.gamma, l.beta, l.movingMean, l.movingVar, l.cfg.momentum, l.cfg.epsilon)
}

// CallReLU adds the layer and a ReLU reading it to p as one op
// (autograd's BatchNormReLU): relu(Call(p, x)), the same bits, with the
// ReLU applied in the normalization's passes. It is for a model whose
// only reader of the layer's output is a plain ReLU; the layer's weights
// and config are those of Call.
func (l *BatchNormLayer) CallReLU(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.BatchNormReLU(x, l.gamma, l.beta, l.movingMean, l.movingVar, l.cfg.momentum, l.cfg.epsilon)
}

func (l *BatchNormLayer) Config() map[string]any {
	c := l.cfg
	return map[string]any{
		"name":                        l.name,
		"axis":                        -1,
		"momentum":                    c.momentum,
		"epsilon":                     c.epsilon,
		"center":                      c.center,
		"scale":                       c.scale,
		"beta_initializer":            initializerConfig(c.betaInit),
		"gamma_initializer":           initializerConfig(c.gammaInit),
		"moving_mean_initializer":     initializerConfig(c.meanInit),
		"moving_variance_initializer": initializerConfig(c.varInit),
		"beta_regularizer":            regularizerConfig(c.betaReg),
		"gamma_regularizer":           regularizerConfig(c.gammaReg),
	}
}

func init() { Register("BatchNormalization", batchNormFromConfig) }

func batchNormFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("BatchNormalization", config)
	r.Accept("axis", -1)
	opts := []BatchNormOption{
		WithName(r.Name()),
		WithMomentum(r.Float("momentum", 0.99)),
		WithEpsilon(r.Float("epsilon", 1e-3)),
		WithCenter(r.Bool("center", true)),
		WithScale(r.Bool("scale", true)),
		WithBetaInitializer(r.Initializer("beta_initializer", initializers.Zeros())),
		WithGammaInitializer(r.Initializer("gamma_initializer", initializers.Ones())),
		WithMovingMeanInitializer(r.Initializer("moving_mean_initializer", initializers.Zeros())),
		WithMovingVarianceInitializer(r.Initializer("moving_variance_initializer", initializers.Ones())),
		WithBetaRegularizer(r.Regularizer("beta_regularizer")),
		WithGammaRegularizer(r.Regularizer("gamma_regularizer")),
	}
	r.Null("beta_constraint", "gamma_constraint")
	r.Accept("synchronized", false)
	if err := r.Err(); err != nil {
		return nil, err
	}
	return BatchNormalization(opts...), nil
}
