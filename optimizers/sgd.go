package optimizers

import (
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// SGDConfig configures SGD. A zero field means the Keras default.
type SGDConfig struct {
	// LearningRate is the step size; default 0.01.
	LearningRate float64
	// Momentum in [0, 1]; default 0 (plain gradient descent).
	Momentum float64
	// Nesterov uses Nesterov momentum; default false.
	Nesterov bool

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

// SGD is stochastic gradient descent with optional (Nesterov) momentum,
// Keras's keras.optimizers.SGD:
//
//	momentum 0: w -= lr*g
//	momentum:   v = μv - lr*g; w += v
//	Nesterov:   v = μv - lr*g; w += μv - lr*g
type SGD struct {
	base
	momentum float64
	nesterov bool
	v        [][]float32 // velocity per variable; nil when momentum is 0
}

// NewSGD validates cfg and returns an SGD optimizer.
func NewSGD(cfg SGDConfig) (*SGD, error) {
	b, err := newBase("SGD", "sgd", common{cfg.LearningRate, cfg.Schedule, cfg.WeightDecay, cfg.Clipnorm, cfg.Clipvalue, cfg.GlobalClipnorm}, 0.01)
	if err != nil {
		return nil, err
	}
	if err := checkRange("SGD", "Momentum", cfg.Momentum, 0, 1, false); err != nil {
		return nil, err
	}
	return &SGD{base: b, momentum: cfg.Momentum, nesterov: cfg.Nesterov}, nil
}

// Build implements Optimizer. With momentum it allocates one velocity per
// variable, named "sgd/momentum/i".
func (o *SGD) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh && o.momentum != 0 {
		o.v = o.slotSet(vars, "momentum", 0)
	}
	return err
}

// Apply implements Optimizer.
func (o *SGD) Apply(vars, grads []*tensor.Tensor) {
	lr64, _ := o.begin(vars, grads)
	lr := float32(lr64)
	mu := float32(o.momentum)
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		switch {
		case o.v == nil: // w -= g*lr, as w + (-lr)*g: negation is exact
			kernel.Axpy(w, -lr, g)
		case o.nesterov:
			kernel.SGDNesterov(w, o.v[i][:len(w)], g, mu, lr)
		default:
			kernel.SGDMomentum(w, o.v[i][:len(w)], g, mu, lr)
		}
	}
	o.end()
}

// Config implements Optimizer.
func (o *SGD) Config() map[string]any {
	c := o.config()
	c["momentum"] = o.momentum
	c["nesterov"] = o.nesterov
	return c
}
