package optimizers

import (
	"math"

	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// NadamConfig configures Nadam. A zero field means the Keras default.
type NadamConfig struct {
	// LearningRate is the step size; default 0.001.
	LearningRate float64
	// Beta1 is the decay of the first-moment average, in [0, 1); default 0.9.
	Beta1 float64
	// Beta2 is the decay of the second-moment average, in [0, 1); default
	// 0.999.
	Beta2 float64
	// Epsilon is added to sqrt(v̂), outside the square root; default 1e-7.
	Epsilon float64

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

// NewNadam validates cfg and returns a Nadam optimizer.
func NewNadam(cfg NadamConfig) (*Nadam, error) {
	b, err := newBase("Nadam", "nadam", common{cfg.LearningRate, cfg.Schedule, cfg.WeightDecay, cfg.Clipnorm, cfg.Clipvalue, cfg.GlobalClipnorm}, 0.001)
	if err != nil {
		return nil, err
	}
	o := &Nadam{base: b, beta1: orDefault(cfg.Beta1, 0.9), beta2: orDefault(cfg.Beta2, 0.999), epsilon: orDefault(cfg.Epsilon, 1e-7)}
	if err := checkBetasEps("Nadam", o.beta1, o.beta2, o.epsilon); err != nil {
		return nil, err
	}
	return o, nil
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
		m := o.m[i][:len(w)]
		v := o.v[i][:len(w)]
		for j := range w {
			m[j] += (g[j] - m[j]) * c1
			v[j] += (g[j]*g[j] - v[j]) * c2
			mhat := cm*m[j] + cg*g[j]
			w[j] -= mhat * lr32 / (sqrt32(v[j]*cv) + eps)
		}
	}
	o.end()
}

// Config implements Optimizer.
func (o *Nadam) Config() map[string]any {
	c := o.config()
	c["beta_1"] = o.beta1
	c["beta_2"] = o.beta2
	c["epsilon"] = o.epsilon
	return c
}
