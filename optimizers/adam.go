package optimizers

import (
	"github.com/goras-ml/goras/internal/kernel"
	"math"

	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// AdamConfig configures Adam. A zero field means the Keras default.
type AdamConfig struct {
	// LearningRate is the step size; default 0.001.
	LearningRate float64
	// Beta1 is the decay of the first-moment average, in [0, 1); default 0.9.
	Beta1 float64
	// Beta2 is the decay of the second-moment average, in [0, 1); default
	// 0.999.
	Beta2 float64
	// Epsilon is added to sqrt(v), outside the square root ("epsilon hat");
	// default 1e-7.
	Epsilon float64
	// Amsgrad uses the running maximum of v (AMSGrad); default false.
	Amsgrad bool

	// WeightDecay, if > 0, applies w -= w*WeightDecay*lr before each update;
	// default 0 (off). See AdamW for Adam with decay on by default.
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

// NewAdam validates cfg and returns an Adam optimizer.
func NewAdam(cfg AdamConfig) (*Adam, error) {
	c := common{cfg.LearningRate, cfg.Schedule, cfg.WeightDecay, cfg.Clipnorm, cfg.Clipvalue, cfg.GlobalClipnorm}
	return newAdam("Adam", "adam", c, cfg.Beta1, cfg.Beta2, cfg.Epsilon, cfg.Amsgrad)
}

func newAdam(name, prefix string, c common, beta1, beta2, eps float64, amsgrad bool) (*Adam, error) {
	b, err := newBase(name, prefix, c, 0.001)
	if err != nil {
		return nil, err
	}
	o := &Adam{base: b, beta1: orDefault(beta1, 0.9), beta2: orDefault(beta2, 0.999), epsilon: orDefault(eps, 1e-7), amsgrad: amsgrad}
	if err := checkBetasEps(name, o.beta1, o.beta2, o.epsilon); err != nil {
		return nil, err
	}
	return o, nil
}

func checkBetasEps(name string, beta1, beta2, eps float64) error {
	if err := checkRange(name, "Beta1", beta1, 0, 1, true); err != nil {
		return err
	}
	if err := checkRange(name, "Beta2", beta2, 0, 1, true); err != nil {
		return err
	}
	return checkRange(name, "Epsilon", eps, 0, maxFloat, false)
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
			vh := o.vhat[i][:len(w)]
			for j := range w {
				m[j] += (g[j] - m[j]) * c1
				v[j] += (g[j]*g[j] - v[j]) * c2
				vh[j] = max(vh[j], v[j])
				w[j] -= m[j] * alpha / (sqrt32(vh[j]) + eps)
			}
			continue
		}
		kernel.Adam(w, m, v, g, c1, c2, alpha, eps)
	}
	o.end()
}

// sqrt32 is the correctly rounded float32 square root.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// Config implements Optimizer.
func (o *Adam) Config() map[string]any {
	c := o.config()
	c["beta_1"] = o.beta1
	c["beta_2"] = o.beta2
	c["epsilon"] = o.epsilon
	c["amsgrad"] = o.amsgrad
	return c
}

// AdamWConfig configures AdamW. A zero field means the Keras default.
type AdamWConfig struct {
	// LearningRate is the step size; default 0.001.
	LearningRate float64
	// WeightDecay is the decoupled decay, w -= w*WeightDecay*lr before each
	// Adam step; default 0.004 (use Adam for no decay).
	WeightDecay float64
	// Beta1 is the decay of the first-moment average, in [0, 1); default 0.9.
	Beta1 float64
	// Beta2 is the decay of the second-moment average, in [0, 1); default
	// 0.999.
	Beta2 float64
	// Epsilon is added to sqrt(v), outside the square root; default 1e-7.
	Epsilon float64
	// Amsgrad uses the running maximum of v (AMSGrad); default false.
	Amsgrad bool

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
	// LearningRate (which must then be 0); default nil. The weight decay
	// uses the scheduled rate too.
	Schedule schedules.Schedule
}

// AdamW is Adam with decoupled weight decay, Keras's keras.optimizers.AdamW:
// each step first does w -= w*weight_decay*lr, then the Adam update.
type AdamW struct{ Adam }

// NewAdamW validates cfg and returns an AdamW optimizer.
func NewAdamW(cfg AdamWConfig) (*AdamW, error) {
	c := common{cfg.LearningRate, cfg.Schedule, orDefault(cfg.WeightDecay, 0.004), cfg.Clipnorm, cfg.Clipvalue, cfg.GlobalClipnorm}
	a, err := newAdam("AdamW", "adamw", c, cfg.Beta1, cfg.Beta2, cfg.Epsilon, cfg.Amsgrad)
	if err != nil {
		return nil, err
	}
	return &AdamW{*a}, nil
}
