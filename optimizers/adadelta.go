package optimizers

import (
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Adadelta is Keras's keras.optimizers.Adadelta (Zeiler, 2012), with ε
// inside the square roots:
//
//	a = ρa + (1-ρ)g²
//	Δ = -sqrt(d+ε)·g / sqrt(a+ε)
//	d = ρd + (1-ρ)Δ²
//	w += lr·Δ
type Adadelta struct {
	base
	rho, epsilon float64
	acc, delta   [][]float32
}

// NewAdadelta returns Keras's Adadelta(learning_rate=0.001, rho=0.95,
// epsilon=1e-7). It takes the options LearningRate (default 0.001; Keras's
// docs note that 1.0 matches the paper), Rho (0.95), Epsilon (1e-7) and
// those every optimizer takes.
func NewAdadelta(opts ...Option) (*Adadelta, error) {
	o, b, err := prepare("Adadelta", "adadelta", opts, 0.001, optFloat{}, "Rho", "Epsilon")
	if err != nil {
		return nil, err
	}
	a := &Adadelta{base: b, rho: o.get("Rho", 0.95), epsilon: o.get("Epsilon", 1e-7)}
	if err := checkRange("Adadelta", "rho", "Rho", a.rho, 0, 1, false); err != nil {
		return nil, err
	}
	if err := checkRange("Adadelta", "epsilon", "Epsilon", a.epsilon, 0, maxFloat, false); err != nil {
		return nil, err
	}
	return a, nil
}

// Build implements Optimizer: slots "adadelta/accumulated_grad/i" and
// "adadelta/accumulated_delta_var/i".
func (o *Adadelta) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh {
		o.acc = o.slotSet(vars, "accumulated_grad", 0)
		o.delta = o.slotSet(vars, "accumulated_delta_var", 0)
	}
	return err
}

// Apply implements Optimizer.
func (o *Adadelta) Apply(vars, grads []*tensor.Tensor) {
	lr64, _ := o.begin(vars, grads)
	lr, rho, eps := float32(lr64), float32(o.rho), float32(o.epsilon)
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		kernel.Adadelta(w, o.acc[i][:len(w)], o.delta[i][:len(w)], g, rho, 1-rho, eps, lr)
	}
	o.end(vars)
}

// Config implements Optimizer.
func (o *Adadelta) Config() map[string]any {
	c := o.config()
	c["rho"] = o.rho
	c["epsilon"] = o.epsilon
	return c
}
