package optimizers

import (
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Adagrad is Keras's keras.optimizers.Adagrad:
//
//	acc += g²; w -= lr*g/sqrt(acc+ε)
type Adagrad struct {
	base
	initial, epsilon float64
	acc              [][]float32
}

// NewAdagrad returns Keras's Adagrad(learning_rate=0.001,
// initial_accumulator_value=0.1, epsilon=1e-7). It takes the options
// LearningRate (default 0.001, far below the paper's; Keras's docs suggest
// 1.0 to match it), InitialAccumulatorValue (0.1), Epsilon (1e-7) and those
// every optimizer takes: Schedule, WeightDecay, Clipnorm, Clipvalue,
// GlobalClipnorm.
func NewAdagrad(opts ...Option) (*Adagrad, error) {
	o, b, err := prepare("Adagrad", "adagrad", opts, 0.001, optFloat{}, "InitialAccumulatorValue", "Epsilon")
	if err != nil {
		return nil, err
	}
	a := &Adagrad{base: b, initial: o.get("InitialAccumulatorValue", 0.1), epsilon: o.get("Epsilon", 1e-7)}
	if err := checkRange("Adagrad", "initial_accumulator_value", "InitialAccumulatorValue", a.initial, 0, maxFloat, false); err != nil {
		return nil, err
	}
	if err := checkRange("Adagrad", "epsilon", "Epsilon", a.epsilon, 0, maxFloat, false); err != nil {
		return nil, err
	}
	return a, nil
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
		kernel.Adagrad(w, o.acc[i][:len(w)], g, lr, eps)
	}
	o.end(vars)
}

// Config implements Optimizer.
func (o *Adagrad) Config() map[string]any {
	c := o.config()
	c["initial_accumulator_value"] = o.initial
	c["epsilon"] = o.epsilon
	return c
}
