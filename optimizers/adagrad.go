package optimizers

import (
	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/tensor"
)

// AdagradConfig configures Adagrad. A zero field means the Keras default.
type AdagradConfig struct {
	// LearningRate is the step size; default 0.001 (far below the paper's;
	// Keras's docs suggest 1.0 to match it).
	LearningRate float64
	// InitialAccumulatorValue is the starting value of the squared-gradient
	// sums (> 0); default 0.1.
	InitialAccumulatorValue float64
	// Epsilon is added inside the square root; default 1e-7.
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

// Adagrad is Keras's keras.optimizers.Adagrad:
//
//	acc += g²; w -= lr*g/sqrt(acc+ε)
type Adagrad struct {
	base
	initial, epsilon float64
	acc              [][]float32
}

// NewAdagrad validates cfg and returns an Adagrad optimizer.
func NewAdagrad(cfg AdagradConfig) (*Adagrad, error) {
	b, err := newBase("Adagrad", "adagrad", common{cfg.LearningRate, cfg.Schedule, cfg.WeightDecay, cfg.Clipnorm, cfg.Clipvalue, cfg.GlobalClipnorm}, 0.001)
	if err != nil {
		return nil, err
	}
	o := &Adagrad{base: b, initial: orDefault(cfg.InitialAccumulatorValue, 0.1), epsilon: orDefault(cfg.Epsilon, 1e-7)}
	if err := checkRange("Adagrad", "InitialAccumulatorValue", o.initial, 0, maxFloat, false); err != nil {
		return nil, err
	}
	if err := checkRange("Adagrad", "Epsilon", o.epsilon, 0, maxFloat, false); err != nil {
		return nil, err
	}
	return o, nil
}

// Build implements Optimizer: slots "adagrad/accumulator/i", filled with
// InitialAccumulatorValue.
func (o *Adagrad) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh {
		o.acc = o.slotSet(vars, "accumulator", float32(o.initial))
	}
	return err
}

// Apply implements Optimizer.
func (o *Adagrad) Apply(vars, grads []*tensor.Tensor) {
	lr64, _ := o.begin(vars, grads)
	lr, eps := float32(lr64), float32(o.epsilon)
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		acc := o.acc[i][:len(w)]
		for j := range w {
			acc[j] += g[j] * g[j]
			w[j] -= lr * g[j] / sqrt32(acc[j]+eps)
		}
	}
	o.end()
}

// Config implements Optimizer.
func (o *Adagrad) Config() map[string]any {
	c := o.config()
	c["initial_accumulator_value"] = o.initial
	c["epsilon"] = o.epsilon
	return c
}
