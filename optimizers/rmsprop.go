package optimizers

import (
	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// RMSpropConfig configures RMSprop. A zero field means the Keras default.
type RMSpropConfig struct {
	// LearningRate is the step size; default 0.001.
	LearningRate float64
	// Rho is the decay of the squared-gradient average, in [0, 1]; default
	// 0.9.
	Rho float64
	// Momentum in [0, 1]; default 0 (none).
	Momentum float64
	// Epsilon is added to the average inside the square root; default 1e-7.
	Epsilon float64
	// Centered normalises by the estimated variance (subtracting the squared
	// mean gradient) instead of the second moment; default false.
	Centered bool

	// WeightDecay, if > 0, applies w -= w*WeightDecay*lr before each update;
	// default 0 (off).
	WeightDecay float64
	// Clipnorm, if > 0, rescales each gradient to an L2 norm of at most
	// Clipnorm; default 0 (off).
	Clipnorm float64
	// Clipvalue, if > 0, clips each gradient element to [-Clipvalue,
	// Clipvalue]; default 0 (off).
	Clipvalue float64
	// GlobalClipnorm, if > 0, rescales all gradients together to a global L2
	// norm of at most GlobalClipnorm; default 0 (off). At most one of the
	// three clipping fields may be set.
	GlobalClipnorm float64
	// Schedule, if non-nil, drives the learning rate instead of
	// LearningRate (which must then be 0); default nil.
	Schedule schedules.Schedule
}

// RMSprop is Keras's keras.optimizers.RMSprop:
//
//	v = ρv + (1-ρ)g²
//	centered: a = ρa + (1-ρ)g; d = v - a² + ε; otherwise d = v + ε
//	inc = lr*g/sqrt(d)          (ε inside the square root, unlike Adam)
//	momentum: mom = μ*mom + inc; w -= mom; otherwise w -= inc
type RMSprop struct {
	base
	rho, momentum, epsilon float64
	centered               bool
	v, mom, avg            [][]float32
}

// NewRMSprop validates cfg and returns an RMSprop optimizer.
func NewRMSprop(cfg RMSpropConfig) (*RMSprop, error) {
	b, err := newBase("RMSprop", "rmsprop", common{cfg.LearningRate, cfg.Schedule, cfg.WeightDecay, cfg.Clipnorm, cfg.Clipvalue, cfg.GlobalClipnorm}, 0.001)
	if err != nil {
		return nil, err
	}
	o := &RMSprop{base: b, rho: orDefault(cfg.Rho, 0.9), momentum: cfg.Momentum, epsilon: orDefault(cfg.Epsilon, 1e-7), centered: cfg.Centered}
	if err := checkRange("RMSprop", "Rho", o.rho, 0, 1, false); err != nil {
		return nil, err
	}
	if err := checkRange("RMSprop", "Momentum", o.momentum, 0, 1, false); err != nil {
		return nil, err
	}
	if err := checkRange("RMSprop", "Epsilon", o.epsilon, 0, maxFloat, false); err != nil {
		return nil, err
	}
	return o, nil
}

// Build implements Optimizer: slots "rmsprop/velocity/i", then
// "rmsprop/momentum/i" if Momentum > 0, then "rmsprop/average_gradient/i" if
// Centered.
func (o *RMSprop) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh {
		o.v = o.slotSet(vars, "velocity", 0)
		if o.momentum > 0 {
			o.mom = o.slotSet(vars, "momentum", 0)
		}
		if o.centered {
			o.avg = o.slotSet(vars, "average_gradient", 0)
		}
	}
	return err
}

// Apply implements Optimizer.
func (o *RMSprop) Apply(vars, grads []*tensor.Tensor) {
	lr64, _ := o.begin(vars, grads)
	lr, rho, c, eps, mu := float32(lr64), float32(o.rho), float32(1-o.rho), float32(o.epsilon), float32(o.momentum)
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		v := o.v[i][:len(w)]
		var a, mom []float32
		if o.centered {
			a = o.avg[i][:len(w)]
		}
		if o.mom != nil {
			mom = o.mom[i][:len(w)]
		}
		for j := range w {
			v[j] = rho*v[j] + c*(g[j]*g[j])
			var d float32
			if a != nil {
				a[j] = rho*a[j] + c*g[j]
				d = v[j] - a[j]*a[j] + eps
			} else {
				d = v[j] + eps
			}
			inc := lr * g[j] / sqrt32(d)
			if mom != nil {
				mom[j] = mu*mom[j] + inc
				w[j] -= mom[j]
			} else {
				w[j] -= inc
			}
		}
	}
	o.end()
}

// Config implements Optimizer.
func (o *RMSprop) Config() map[string]any {
	c := o.config()
	c["rho"] = o.rho
	c["momentum"] = o.momentum
	c["epsilon"] = o.epsilon
	c["centered"] = o.centered
	return c
}
