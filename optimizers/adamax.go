package optimizers

import (
	"math"

	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// AdamaxConfig configures Adamax. A zero field means the Keras default.
type AdamaxConfig struct {
	// LearningRate is the step size; default 0.001.
	LearningRate float64
	// Beta1 is the decay of the first-moment average, in [0, 1); default 0.9.
	Beta1 float64
	// Beta2 is the decay of the infinity norm, in [0, 1); default 0.999.
	Beta2 float64
	// Epsilon is added to the infinity norm; default 1e-7.
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

// NewAdamax validates cfg and returns an Adamax optimizer.
func NewAdamax(cfg AdamaxConfig) (*Adamax, error) {
	b, err := newBase("Adamax", "adamax", common{cfg.LearningRate, cfg.Schedule, cfg.WeightDecay, cfg.Clipnorm, cfg.Clipvalue, cfg.GlobalClipnorm}, 0.001)
	if err != nil {
		return nil, err
	}
	o := &Adamax{base: b, beta1: orDefault(cfg.Beta1, 0.9), beta2: orDefault(cfg.Beta2, 0.999), epsilon: orDefault(cfg.Epsilon, 1e-7)}
	if err := checkBetasEps("Adamax", o.beta1, o.beta2, o.epsilon); err != nil {
		return nil, err
	}
	return o, nil
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
		m := o.m[i][:len(w)]
		u := o.u[i][:len(w)]
		for j := range w {
			m[j] += (g[j] - m[j]) * c1
			u[j] = max(b2*u[j], abs32(g[j]))
			w[j] -= step * m[j] / (u[j] + eps)
		}
	}
	o.end()
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// Config implements Optimizer.
func (o *Adamax) Config() map[string]any {
	c := o.config()
	c["beta_1"] = o.beta1
	c["beta_2"] = o.beta2
	c["epsilon"] = o.epsilon
	return c
}
