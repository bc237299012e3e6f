package optimizers

import (
	"math"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Adamax is Adam with the infinity norm, Keras's keras.optimizers.Adamax. At
// step t (1-based):
//
//	m += (g-m)(1-β1); u = max(β2*u, |g|)
//	w -= lr*m/((1-β1^t)(u+ε))
type Adamax struct {
	base
	beta1, beta2, epsilon float64
	m, u                  [][]float32
}

// NewAdamax returns Keras's Adamax(learning_rate=0.001, beta_1=0.9,
// beta_2=0.999, epsilon=1e-7). It takes the options LearningRate (default
// 0.001), Beta1 (0.9), Beta2 (0.999), Epsilon (1e-7) and those every
// optimizer takes: Schedule, WeightDecay, Clipnorm, Clipvalue,
// GlobalClipnorm.
func NewAdamax(opts ...Option) (*Adamax, error) {
	o, b, err := prepare("Adamax", "adamax", opts, 0.001, optFloat{}, "Beta1", "Beta2", "Epsilon")
	if err != nil {
		return nil, err
	}
	n := &Adamax{base: b, beta1: o.get("Beta1", 0.9), beta2: o.get("Beta2", 0.999), epsilon: o.get("Epsilon", 1e-7)}
	if err := checkBetasEps("Adamax", n.beta1, n.beta2, n.epsilon); err != nil {
		return nil, err
	}
	return n, nil
}

// Build implements Optimizer: slots "adamax/m/i", then "adamax/u/i".
func (o *Adamax) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh {
		o.m = o.slotSet(vars, "m", 0)
		o.u = o.slotSet(vars, "u", 0)
	}
	return err
}

// Apply implements Optimizer.
func (o *Adamax) Apply(vars, grads []*tensor.Tensor) {
	lr, t := o.begin(vars, grads)
	step := float32(lr / (1 - math.Pow(o.beta1, float64(t))))
	c1, b2, eps := float32(1-o.beta1), float32(o.beta2), float32(o.epsilon)
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		kernel.Adamax(w, o.m[i][:len(w)], o.u[i][:len(w)], g, c1, b2, step, eps)
	}
	o.end(vars)
}

// Config implements Optimizer.
func (o *Adamax) Config() map[string]any {
	c := o.config()
	c["beta_1"] = o.beta1
	c["beta_2"] = o.beta2
	c["epsilon"] = o.epsilon
	return c
}
