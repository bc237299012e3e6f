package optimizers

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Ftrl is Keras's keras.optimizers.Ftrl, "Follow The Regularized Leader"
// (McMahan et al., 2013), with online L2 (l2, plus beta/(2·lr)) and
// shrinkage L2 (l2s), p the learning-rate power:
//
//	g' = g + 2·l2s·w
//	n' = n + g²
//	z += g' - (n'^-p - n^-p)/lr · w
//	w = (clip(z, -l1, l1) - z) / (n'^-p/lr + 2·(l2 + beta/(2·lr)))
//	n = n'
//
// The accumulator n starts at InitialAccumulatorValue, the linear term z at 0.
type Ftrl struct {
	base
	power, initial, l1, l2, shrink, beta float64
	n, z                                 [][]float32
}

// NewFtrl returns Keras's Ftrl(learning_rate=0.001,
// learning_rate_power=-0.5, initial_accumulator_value=0.1,
// l1_regularization_strength=0.0, l2_regularization_strength=0.0,
// l2_shrinkage_regularization_strength=0.0, beta=0.0). It takes those
// options (LearningRate, LearningRatePower, InitialAccumulatorValue,
// L1RegularizationStrength, L2RegularizationStrength,
// L2ShrinkageRegularizationStrength, Beta) and those every optimizer takes.
func NewFtrl(opts ...Option) (*Ftrl, error) {
	o, b, err := prepare("Ftrl", "ftrl", opts, 0.001, optFloat{}, "LearningRatePower", "InitialAccumulatorValue",
		"L1RegularizationStrength", "L2RegularizationStrength", "L2ShrinkageRegularizationStrength", "Beta")
	if err != nil {
		return nil, err
	}
	f := &Ftrl{base: b, power: o.get("LearningRatePower", -0.5), initial: o.get("InitialAccumulatorValue", 0.1),
		l1: o.get("L1RegularizationStrength", 0), l2: o.get("L2RegularizationStrength", 0),
		shrink: o.get("L2ShrinkageRegularizationStrength", 0), beta: o.get("Beta", 0)}
	if !finite(f.power) || f.power > 0 {
		return nil, fmt.Errorf("optimizers: Ftrl learning_rate_power (LearningRatePower) must be a finite number <= 0 (0 for a fixed rate), got %v", f.power)
	}
	if !finite(f.beta) {
		return nil, fmt.Errorf("optimizers: Ftrl beta (Beta) must be a finite number, got %v", f.beta)
	}
	for _, c := range []struct {
		key, option string
		v           float64
	}{
		{"initial_accumulator_value", "InitialAccumulatorValue", f.initial},
		{"l1_regularization_strength", "L1RegularizationStrength", f.l1},
		{"l2_regularization_strength", "L2RegularizationStrength", f.l2},
		{"l2_shrinkage_regularization_strength", "L2ShrinkageRegularizationStrength", f.shrink},
	} {
		if err := checkRange("Ftrl", c.key, c.option, c.v, 0, maxFloat, false); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Build implements Optimizer: slots "ftrl/accumulator/i", filled with
// InitialAccumulatorValue, and "ftrl/linear/i".
func (o *Ftrl) Build(vars []*tensor.Tensor) error {
	fresh, err := o.build(vars)
	if fresh {
		o.n = o.slotSet(vars, "accumulator", float32(o.initial))
		o.z = o.slotSet(vars, "linear", 0)
	}
	return err
}

// pow32 is x^y rounded to float32, as Keras's float32 ops.power.
func pow32(x float32, y float64) float32 { return float32(math.Pow(float64(x), y)) }

// Apply implements Optimizer.
func (o *Ftrl) Apply(vars, grads []*tensor.Tensor) {
	lr64, _ := o.begin(vars, grads)
	lr := float32(lr64)
	l1 := float32(o.l1)
	l2 := float32(o.l2 + o.beta/(2*lr64))
	shrink2 := float32(2 * o.shrink)
	p := -o.power
	for i, vt := range vars {
		w := vt.Data()
		g := grads[i].Data()[:len(w)]
		n, z := o.n[i][:len(w)], o.z[i][:len(w)]
		if p == 0.5 { // the default power, -0.5: a square root
			kernel.FtrlSqrt(w, n, z, g, lr, l1, 2*l2, shrink2)
			continue
		}
		for j := range w {
			gs := g[j] + shrink2*w[j]
			nn := n[j] + g[j]*g[j]
			pn := pow32(nn, p)
			z[j] += gs - (pn-pow32(n[j], p))/lr*w[j]
			quad := pn/lr + 2*l2
			w[j] = (min(max(z[j], -l1), l1) - z[j]) / quad
			n[j] = nn
		}
	}
	o.end(vars)
}

// Config implements Optimizer.
func (o *Ftrl) Config() map[string]any {
	c := o.config()
	c["learning_rate_power"] = o.power
	c["initial_accumulator_value"] = o.initial
	c["l1_regularization_strength"] = o.l1
	c["l2_regularization_strength"] = o.l2
	c["l2_shrinkage_regularization_strength"] = o.shrink
	c["beta"] = o.beta
	return c
}
