package optimizers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goras-ml/goras/optimizers/schedules"
)

// Option sets one hyper-parameter of an optimizer, as a Keras keyword
// argument does: optimizers.NewAdam(optimizers.LearningRate(0.01),
// optimizers.Beta1(0)). An option that is not given takes Keras's default
// (each option's comment names it); an option that is given is used as
// given, zero included. Each constructor lists the options it takes; giving
// it another is an error that names them. When an option is given twice,
// the last one wins.
type Option func(*options)

// options records the options given, by Go name, with their values.
type options struct {
	set      []string // Go names of the options given, in order
	floats   map[string]float64
	bools    map[string]bool
	schedule schedules.Schedule
}

func (o *options) float(name string, x float64) {
	o.set = append(o.set, name)
	o.floats[name] = x
}

func (o *options) bool(name string, b bool) {
	o.set = append(o.set, name)
	o.bools[name] = b
}

func (o *options) has(name string) bool { return slices.Contains(o.set, name) }

// get returns the value of a number option, or def when it was not given.
func (o *options) get(name string, def float64) float64 {
	if x, ok := o.floats[name]; ok {
		return x
	}
	return def
}

// optional returns a number option that Keras defaults to None.
func (o *options) optional(name string) optFloat {
	x, ok := o.floats[name]
	return optFloat{x, ok}
}

// commonOptions lists the options every optimizer takes, as Keras's
// BaseOptimizer.
var commonOptions = []string{"LearningRate", "Schedule", "WeightDecay", "Clipnorm", "Clipvalue", "GlobalClipnorm",
	"UseEMA", "EMAMomentum", "EMAOverwriteFrequency"}

// apply runs opts and returns an error naming any option the optimizer
// class does not take, with the list of those it takes.
func apply(class string, opts []Option, own ...string) (*options, error) {
	o := &options{floats: map[string]float64{}, bools: map[string]bool{}}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	takes := append(slices.Clone(commonOptions), own...)
	for _, name := range o.set {
		if !slices.Contains(takes, name) {
			return nil, fmt.Errorf("optimizers: %s does not take the option %s (it takes %s)", class, name, strings.Join(takes, ", "))
		}
	}
	return o, nil
}

// LearningRate sets the step size, a finite number >= 0 (0 is allowed, as
// in Keras). Default: the optimizer's Keras default, 0.01 for SGD and 0.001
// for the others. It cannot be given with Schedule.
func LearningRate(lr float64) Option { return func(o *options) { o.float("LearningRate", lr) } }

// Schedule makes a learning-rate schedule drive the step size instead of a
// fixed LearningRate. Default none.
func Schedule(s schedules.Schedule) Option {
	return func(o *options) { o.set = append(o.set, "Schedule"); o.schedule = s }
}

// WeightDecay applies w -= w*decay*lr to every variable before each update,
// decay a finite number >= 0. Default none (Keras's None), except AdamW's
// 0.004.
func WeightDecay(decay float64) Option { return func(o *options) { o.float("WeightDecay", decay) } }

// Clipnorm rescales each gradient to an L2 norm of at most c (c > 0; 0
// clips nothing, as in Keras). Default none. At most one of Clipnorm,
// Clipvalue and GlobalClipnorm may be given.
func Clipnorm(c float64) Option { return func(o *options) { o.float("Clipnorm", c) } }

// Clipvalue clips each gradient element to [-c, c] (c > 0; 0 clips
// nothing, as in Keras). Default none.
func Clipvalue(c float64) Option { return func(o *options) { o.float("Clipvalue", c) } }

// GlobalClipnorm rescales all gradients together to a global L2 norm of at
// most c (c > 0; 0 clips nothing, as in Keras). Default none.
func GlobalClipnorm(c float64) Option { return func(o *options) { o.float("GlobalClipnorm", c) } }

// Momentum, for SGD and RMSprop, in [0, 1]. Default 0 (none).
func Momentum(m float64) Option { return func(o *options) { o.float("Momentum", m) } }

// Nesterov, for SGD, uses Nesterov momentum. Default false.
func Nesterov(on bool) Option { return func(o *options) { o.bool("Nesterov", on) } }

// Beta1, for Adam, AdamW, Nadam and Adamax, is the decay of the
// first-moment average, in [0, 1); for Lion, the weight of the momentum in
// the update's sign, in (0, 1]. Default 0.9.
func Beta1(b float64) Option { return func(o *options) { o.float("Beta1", b) } }

// Beta2, for Adam, AdamW, Nadam and Adamax, is the decay of the
// second-moment average (Adamax: of the infinity norm), in [0, 1). Default
// 0.999. For Lion, the decay of the momentum, in [0, 1]; default 0.99.
func Beta2(b float64) Option { return func(o *options) { o.float("Beta2", b) } }

// Epsilon is the small constant that keeps divisions finite, >= 0: added to
// sqrt(v) in Adam, AdamW, Nadam and Adamax, inside the square roots in
// RMSprop, Adagrad and Adadelta. Default 1e-7.
func Epsilon(eps float64) Option { return func(o *options) { o.float("Epsilon", eps) } }

// Amsgrad, for Adam and AdamW, uses the running maximum of the second
// moment (AMSGrad). Default false.
func Amsgrad(on bool) Option { return func(o *options) { o.bool("Amsgrad", on) } }

// Rho, for RMSprop and Adadelta, is the decay of the squared-gradient
// average, in [0, 1]. Default 0.9 for RMSprop, 0.95 for Adadelta.
func Rho(rho float64) Option { return func(o *options) { o.float("Rho", rho) } }

// Centered, for RMSprop, normalises by the estimated variance (subtracting
// the squared mean gradient) instead of the second moment. Default false.
func Centered(on bool) Option { return func(o *options) { o.bool("Centered", on) } }

// InitialAccumulatorValue, for Adagrad and Ftrl, is the starting value of
// the squared-gradient sums, >= 0. Default 0.1.
func InitialAccumulatorValue(v float64) Option {
	return func(o *options) { o.float("InitialAccumulatorValue", v) }
}

// UseEMA keeps an exponential moving average of every variable, updated
// after each step (average = m·average + (1-m)·w, m = EMAMomentum, 0 on the
// first step), and puts the averages into the variables every
// EMAOverwriteFrequency steps and when training ends (Fit calls
// FinalizeVariableValues, as Keras's fit calls finalize_variable_values).
// Default false.
func UseEMA(on bool) Option { return func(o *options) { o.bool("UseEMA", on) } }

// EMAMomentum is the decay m of the moving average, in [0, 1]; used with
// UseEMA. Default 0.99.
func EMAMomentum(m float64) Option { return func(o *options) { o.float("EMAMomentum", m) } }

// EMAOverwriteFrequency makes every n-th step (n ≥ 1) copy the moving
// averages into the variables; used with UseEMA. Default 0, none (Keras's
// None): the averages replace the variables only at the end of training.
func EMAOverwriteFrequency(n int) Option {
	return func(o *options) { o.float("EMAOverwriteFrequency", float64(n)) }
}

// LearningRatePower, for Ftrl, is ≤ 0: how the per-weight rate shrinks as
// squared gradients accumulate (0 for a fixed rate). Default -0.5.
func LearningRatePower(p float64) Option { return func(o *options) { o.float("LearningRatePower", p) } }

// L1RegularizationStrength, for Ftrl, ≥ 0, drives small weights to exactly
// 0. Default 0.
func L1RegularizationStrength(l1 float64) Option {
	return func(o *options) { o.float("L1RegularizationStrength", l1) }
}

// L2RegularizationStrength, for Ftrl, ≥ 0: Ftrl's stabilising L2 penalty.
// Default 0.
func L2RegularizationStrength(l2 float64) Option {
	return func(o *options) { o.float("L2RegularizationStrength", l2) }
}

// L2ShrinkageRegularizationStrength, for Ftrl, ≥ 0: an L2 penalty added to
// the gradient (2·l2·w), unlike L2RegularizationStrength. Default 0.
func L2ShrinkageRegularizationStrength(l2 float64) Option {
	return func(o *options) { o.float("L2ShrinkageRegularizationStrength", l2) }
}

// Beta, for Ftrl, adds beta/(2·lr) to the L2 strength, as in the FTRL-
// Proximal paper. Default 0.
func Beta(beta float64) Option { return func(o *options) { o.float("Beta", beta) } }
