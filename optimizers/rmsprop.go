package optimizers

import (
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

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

// NewRMSprop returns Keras's RMSprop(learning_rate=0.001, rho=0.9,
// momentum=0.0, epsilon=1e-7, centered=False). It takes the options
// LearningRate (default 0.001), Rho (0.9), Momentum (0), Epsilon (1e-7),
// Centered (false) and those every optimizer takes: Schedule, WeightDecay,
// Clipnorm, Clipvalue, GlobalClipnorm.
func NewRMSprop(opts ...Option) (*RMSprop, error) {
	o, b, err := prepare("RMSprop", "rmsprop", opts, 0.001, optFloat{}, "Rho", "Momentum", "Epsilon", "Centered")
	if err != nil {
		return nil, err
	}
	r := &RMSprop{base: b, rho: o.get("Rho", 0.9), momentum: o.get("Momentum", 0), epsilon: o.get("Epsilon", 1e-7), centered: o.bools["Centered"]}
	if err := checkRange("RMSprop", "rho", "Rho", r.rho, 0, 1, false); err != nil {
		return nil, err
	}
	if err := checkRange("RMSprop", "momentum", "Momentum", r.momentum, 0, 1, false); err != nil {
		return nil, err
	}
	if err := checkRange("RMSprop", "epsilon", "Epsilon", r.epsilon, 0, maxFloat, false); err != nil {
		return nil, err
	}
	return r, nil
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
		kernel.RMSpropFull(w, v, a, mom, g, rho, c, lr, eps, mu)
	}
	o.end(vars)
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
