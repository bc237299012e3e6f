package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// ReLULayer is Keras's ReLU layer (keras.layers.ReLU), the relu activation
// with its three arguments set per layer:
//
//	f(x) = min(x, max_value)              for x > threshold
//	f(x) = negative_slope·(x - threshold)  otherwise
//
// With Keras's defaults (no max_value, negative_slope 0, threshold 0) it is
// max(x, 0), the relu activation; max_value 6 gives relu6. As in Keras,
// f(threshold) is 0 and the gradient is 0 at the kinks.
type ReLULayer struct {
	base
	maxValue  float64 // +Inf: Keras's None
	slope     float64
	threshold float64
}

// ReLUOption configures ReLU: WithMaxValue, WithNegativeSlope,
// WithThreshold, or WithName.
type ReLUOption interface{ applyReLU(*ReLULayer, *[]Option) }

// applyReLU lets the common options (WithName) configure ReLU too.
func (o Option) applyReLU(_ *ReLULayer, common *[]Option) { *common = append(*common, o) }

type reluOption func(*ReLULayer)

func (f reluOption) applyReLU(l *ReLULayer, _ *[]Option) { f(l) }

// WithMaxValue caps ReLU's output at v ≥ 0 (Keras's max_value). Default:
// no cap (Keras's None).
func WithMaxValue(v float64) ReLUOption {
	return reluOption(func(l *ReLULayer) { l.maxValue = v })
}

// WithNegativeSlope sets ReLU's slope below the threshold, ≥ 0 (Keras's
// negative_slope). Default 0.
func WithNegativeSlope(s float64) ReLUOption {
	return reluOption(func(l *ReLULayer) { l.slope = s })
}

// WithThreshold sets the value ≥ 0 below which ReLU damps its input
// (Keras's threshold). Default 0.
func WithThreshold(t float64) ReLUOption {
	return reluOption(func(l *ReLULayer) { l.threshold = t })
}

// ReLU makes Keras's ReLU layer, keras.layers.ReLU(max_value=None,
// negative_slope=0.0, threshold=0.0). It takes WithMaxValue,
// WithNegativeSlope, WithThreshold and WithName.
func ReLU(opts ...ReLUOption) *ReLULayer {
	l := &ReLULayer{maxValue: math.Inf(1)}
	var common []Option
	for _, o := range opts {
		if o != nil {
			o.applyReLU(l, &common)
		}
	}
	o, err := apply("ReLU", common)
	if err == nil {
		err = l.check()
	}
	l.base = base{name: o.name, err: err}
	return l
}

// check holds the arguments to Keras's rules, and to finite numbers, which
// a model file's JSON can carry.
func (l *ReLULayer) check() error {
	switch {
	case math.IsNaN(l.maxValue) || l.maxValue < 0 || math.IsInf(l.maxValue, -1):
		return fmt.Errorf("ReLU max_value must be a finite number ≥ 0, got %v; leave WithMaxValue out for no cap", l.maxValue)
	case !(l.slope >= 0) || math.IsInf(l.slope, 1):
		return fmt.Errorf("ReLU negative_slope must be a finite number ≥ 0, got %v", l.slope)
	case !(l.threshold >= 0) || math.IsInf(l.threshold, 1):
		return fmt.Errorf("ReLU threshold must be a finite number ≥ 0, got %v", l.threshold)
	}
	return nil
}

// ClassName is "ReLU", Keras's class name.
func (l *ReLULayer) ClassName() string { return "ReLU" }

// MaxValue is the cap on the output and whether there is one.
func (l *ReLULayer) MaxValue() (float64, bool) { return l.maxValue, !math.IsInf(l.maxValue, 1) }

// NegativeSlope is the slope below the threshold.
func (l *ReLULayer) NegativeSlope() float64 { return l.slope }

// Threshold is the value below which the input is damped.
func (l *ReLULayer) Threshold() float64 { return l.threshold }

// Build checks the arguments; the output has the input's shape.
func (l *ReLULayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	return input, nil
}

// Call uses the plain relu op (SIMD kernels) for Keras's defaults.
func (l *ReLULayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	if l.slope == 0 && l.threshold == 0 && math.IsInf(l.maxValue, 1) {
		return p.ReLU(x)
	}
	return p.ReLUWith(x, l.slope, l.maxValue, l.threshold)
}

// Config is Keras's get_config: name, max_value (null for none),
// negative_slope and threshold.
func (l *ReLULayer) Config() map[string]any {
	var mv any
	if v, ok := l.MaxValue(); ok {
		mv = v
	}
	return map[string]any{"name": l.name, "max_value": mv, "negative_slope": l.slope, "threshold": l.threshold}
}

func init() { Register("ReLU", reluFromConfig) }

func reluFromConfig(config map[string]any) (Layer, error) {
	r := NewConfigReader("ReLU", config)
	opts := []ReLUOption{
		WithName(r.Name()),
		WithNegativeSlope(r.Float("negative_slope", 0)),
		WithThreshold(r.Float("threshold", 0)),
	}
	if v, ok := config["max_value"]; ok && v != nil {
		opts = append(opts, WithMaxValue(r.Float("max_value", 0)))
	} else {
		r.Null("max_value")
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	return ReLU(opts...), nil
}
