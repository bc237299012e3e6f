package optimizers

import (
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

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

// NewSGD returns Keras's SGD(learning_rate=0.01, momentum=0.0,
// nesterov=False). It takes the options LearningRate (default 0.01),
// Momentum (default 0), Nesterov (default false) and those every optimizer
// takes: Schedule, WeightDecay, Clipnorm, Clipvalue, GlobalClipnorm.
func NewSGD(opts ...Option) (*SGD, error) {
	o, b, err := prepare("SGD", "sgd", opts, 0.01, optFloat{}, "Momentum", "Nesterov")
	if err != nil {
		return nil, err
	}
	momentum := o.get("Momentum", 0)
	if err := checkRange("SGD", "momentum", "Momentum", momentum, 0, 1, false); err != nil {
		return nil, err
	}
	return &SGD{base: b, momentum: momentum, nesterov: o.bools["Nesterov"]}, nil
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
	o.end(vars)
}

// Config implements Optimizer.
func (o *SGD) Config() map[string]any {
	c := o.config()
	c["momentum"] = o.momentum
	c["nesterov"] = o.nesterov
	return c
}
