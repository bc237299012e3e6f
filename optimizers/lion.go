package optimizers

import (
	"fmt"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Lion is Keras's keras.optimizers.Lion (Chen et al., 2023), which moves
// every weight by ±lr, the sign of an interpolated momentum:
//
//	w -= lr·sign(β1·m + (1-β1)·g)
//	m = β2·m + (1-β2)·g
//
// Its steps are as large as SGD's at the same rate whatever the gradient's
// size, so it wants a rate 3 to 10 times smaller than Adam's.
type Lion struct {
	base
	beta1, beta2 float64
	m            [][]float32
}

// NewLion returns Keras's Lion(learning_rate=0.001, beta_1=0.9,
// beta_2=0.99). It takes the options LearningRate (default 0.001), Beta1
// (0.9, in (0, 1]: 0 would make it SignSGD, which Keras refuses), Beta2
// (0.99, in [0, 1]) and those every optimizer takes.
func NewLion(opts ...Option) (*Lion, error) {
	o, b, err := prepare("Lion", "lion", opts, 0.001, optFloat{}, "Beta1", "Beta2")
	if err != nil {
		return nil, err
	}
	l := &Lion{base: b, beta1: o.get("Beta1", 0.9), beta2: o.get("Beta2", 0.99)}
	if !(l.beta1 > 0 && l.beta1 <= 1) {
		return nil, fmt.Errorf("optimizers: Lion beta_1 (Beta1) must be in (0, 1], got %v (at 0 Lion would be SignSGD, which Keras refuses too)", l.beta1)
	}
	if err := checkRange("Lion", "beta_2", "Beta2", l.beta2, 0, 1, false); err != nil {
		return nil, err
	}
	return l, nil
}

// Build implements Optimizer: slots "lion/momentum/i".
func (o *Lion) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh {
		o.m = o.slotSet(vars, "momentum", 0)
	}
	return err
}

// Apply implements Optimizer.
func (o *Lion) Apply(vars, grads []*tensor.Tensor) {
	lr64, _ := o.begin(vars, grads)
	lr, b1, b2 := float32(lr64), float32(o.beta1), float32(o.beta2)
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		kernel.Lion(w, o.m[i][:len(w)], g, lr, b1, b2)
	}
	o.end(vars)
}

// Config implements Optimizer.
func (o *Lion) Config() map[string]any {
	c := o.config()
	c["beta_1"] = o.beta1
	c["beta_2"] = o.beta2
	return c
}
