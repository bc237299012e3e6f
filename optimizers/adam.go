package optimizers

import (
	"math"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Adam is Keras's keras.optimizers.Adam. At step t (1-based):
//
//	α = lr*sqrt(1-β2^t)/(1-β1^t)
//	m += (g-m)(1-β1); v += (g²-v)(1-β2)
//	AMSGrad: v̂ = max(v̂, v), used in place of v
//	w -= α*m/(sqrt(v)+ε)
type Adam struct {
	base
	beta1, beta2, epsilon float64
	amsgrad               bool
	m, v, vhat            [][]float32
}

// NewAdam returns Keras's Adam(learning_rate=0.001, beta_1=0.9,
// beta_2=0.999, epsilon=1e-7, amsgrad=False). It takes the options
// LearningRate (default 0.001), Beta1 (0.9), Beta2 (0.999), Epsilon (1e-7),
// Amsgrad (false) and those every optimizer takes: Schedule, WeightDecay
// (default none; see AdamW), Clipnorm, Clipvalue, GlobalClipnorm.
func NewAdam(opts ...Option) (*Adam, error) {
	return newAdam("Adam", "adam", opts, optFloat{})
}

func newAdam(name, prefix string, opts []Option, defaultWD optFloat) (*Adam, error) {
	o, b, err := prepare(name, prefix, opts, 0.001, defaultWD, "Beta1", "Beta2", "Epsilon", "Amsgrad")
	if err != nil {
		return nil, err
	}
	a := &Adam{base: b, beta1: o.get("Beta1", 0.9), beta2: o.get("Beta2", 0.999), epsilon: o.get("Epsilon", 1e-7), amsgrad: o.bools["Amsgrad"]}
	if err := checkBetasEps(name, a.beta1, a.beta2, a.epsilon); err != nil {
		return nil, err
	}
	return a, nil
}

func checkBetasEps(name string, beta1, beta2, eps float64) error {
	if err := checkRange(name, "beta_1", "Beta1", beta1, 0, 1, true); err != nil {
		return err
	}
	if err := checkRange(name, "beta_2", "Beta2", beta2, 0, 1, true); err != nil {
		return err
	}
	return checkRange(name, "epsilon", "Epsilon", eps, 0, maxFloat, false)
}

// Build implements Optimizer: slots "adam/m/i", "adam/v/i" and, with
// AMSGrad, "adam/vhat/i" (prefix "adamw" for AdamW).
func (o *Adam) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh {
		o.m = o.slotSet(vars, "m", 0)
		o.v = o.slotSet(vars, "v", 0)
		if o.amsgrad {
			o.vhat = o.slotSet(vars, "vhat", 0)
		}
	}
	return err
}

// Apply implements Optimizer.
func (o *Adam) Apply(vars, grads []*tensor.Tensor) {
	lr, t := o.begin(vars, grads)
	tf := float64(t)
	alpha := float32(lr * math.Sqrt(1-math.Pow(o.beta2, tf)) / (1 - math.Pow(o.beta1, tf)))
	c1, c2, eps := float32(1-o.beta1), float32(1-o.beta2), float32(o.epsilon)
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		m := o.m[i][:len(w)]
		v := o.v[i][:len(w)]
		if o.amsgrad {
			kernel.AdamAMSGrad(w, m, v, o.vhat[i][:len(w)], g, c1, c2, alpha, eps)
			continue
		}
		kernel.Adam(w, m, v, g, c1, c2, alpha, eps)
	}
	o.end(vars)
}

// Config implements Optimizer.
func (o *Adam) Config() map[string]any {
	c := o.config()
	c["beta_1"] = o.beta1
	c["beta_2"] = o.beta2
	c["epsilon"] = o.epsilon
	c["amsgrad"] = o.amsgrad
	return c
}

// AdamW is Adam with decoupled weight decay, Keras's keras.optimizers.AdamW:
// each step first does w -= w*weight_decay*lr, then the Adam update.
type AdamW struct{ Adam }

// NewAdamW returns Keras's AdamW(learning_rate=0.001, weight_decay=0.004,
// beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False). It takes the
// options of Adam, with WeightDecay defaulting to 0.004 (WeightDecay(0)
// turns the decay off). With a Schedule, the decay uses the scheduled rate.
func NewAdamW(opts ...Option) (*AdamW, error) {
	a, err := newAdam("AdamW", "adamw", opts, optFloat{0.004, true})
	if err != nil {
		return nil, err
	}
	return &AdamW{*a}, nil
}
