package optimizers

import (
	"math"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Nadam is Adam with Nesterov momentum, Keras's keras.optimizers.Nadam, with
// its momentum cache u_product (a float32 state variable, initially 1). At
// step t (1-based):
//
//	u_t = β1(1 - 0.5*0.96^t); u_t1 = β1(1 - 0.5*0.96^(t+1))
//	P_t = P_{t-1}*u_t (stored); P_t1 = P_t*u_t1
//	m += (g-m)(1-β1); v += (g²-v)(1-β2)
//	m̂ = u_t1*m/(1-P_t1) + (1-u_t)*g/(1-P_t); v̂ = v/(1-β2^t)
//	w -= lr*m̂/(sqrt(v̂)+ε)
type Nadam struct {
	base
	beta1, beta2, epsilon float64
	m, v                  [][]float32
	uProduct              *tensor.Tensor
}

// NewNadam returns Keras's Nadam(learning_rate=0.001, beta_1=0.9,
// beta_2=0.999, epsilon=1e-7). It takes the options LearningRate (default
// 0.001), Beta1 (0.9), Beta2 (0.999), Epsilon (1e-7) and those every
// optimizer takes: Schedule, WeightDecay, Clipnorm, Clipvalue,
// GlobalClipnorm.
func NewNadam(opts ...Option) (*Nadam, error) {
	o, b, err := prepare("Nadam", "nadam", opts, 0.001, optFloat{}, "Beta1", "Beta2", "Epsilon")
	if err != nil {
		return nil, err
	}
	n := &Nadam{base: b, beta1: o.get("Beta1", 0.9), beta2: o.get("Beta2", 0.999), epsilon: o.get("Epsilon", 1e-7)}
	if err := checkBetasEps("Nadam", n.beta1, n.beta2, n.epsilon); err != nil {
		return nil, err
	}
	return n, nil
}

// Build implements Optimizer: slots "nadam/m/i", "nadam/v/i", then the
// 1-element "nadam/u_product".
func (o *Nadam) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh {
		o.m = o.slotSet(vars, "m", 0)
		o.v = o.slotSet(vars, "v", 0)
		o.uProduct = tensor.Full(1, 1)
		o.slots = append(o.slots, Variable{Name: o.prefix + "/u_product", Value: o.uProduct})
	}
	return err
}

// Apply implements Optimizer.
func (o *Nadam) Apply(vars, grads []*tensor.Tensor) {
	lr, t := o.begin(vars, grads)
	tf := float64(t)
	uT := o.beta1 * (1 - 0.5*math.Pow(0.96, tf))
	uT1 := o.beta1 * (1 - 0.5*math.Pow(0.96, tf+1))
	up := &o.uProduct.Data()[0]
	*up = float32(float64(*up) * uT) // Keras updates u_product before the variables
	pT := float64(*up)
	pT1 := pT * uT1
	cm := float32(uT1 / (1 - pT1))                 // coefficient of m in m̂
	cg := float32((1 - uT) / (1 - pT))             // coefficient of g in m̂
	cv := float32(1 / (1 - math.Pow(o.beta2, tf))) // v̂ = v*cv
	lr32, c1, c2, eps := float32(lr), float32(1-o.beta1), float32(1-o.beta2), float32(o.epsilon)
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		kernel.Nadam(w, o.m[i][:len(w)], o.v[i][:len(w)], g, c1, c2, cm, cg, lr32, cv, eps)
	}
	o.end(vars)
}

// Config implements Optimizer.
func (o *Nadam) Config() map[string]any {
	c := o.config()
	c["beta_1"] = o.beta1
	c["beta_2"] = o.beta2
	c["epsilon"] = o.epsilon
	return c
}
