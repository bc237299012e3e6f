package optimizers

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// Exponential moving averages of the weights (Keras's use_ema), which every
// optimizer keeps when asked: after each step, average = m·average +
// (1-m)·w, with m = ema_momentum (0 on the first step, so that the average
// starts at the weights). Every ema_overwrite_frequency steps the weights
// are replaced by their averages; at the end of training,
// FinalizeVariableValues does the same, as Keras's fit does.

// ema is the part of base that keeps the averages.
type ema struct {
	useEMA   bool
	momentum float64 // Keras's ema_momentum, default 0.99
	every    int64   // ema_overwrite_frequency; 0 is None
	avg      [][]float32
}

// Finalizer is implemented by every optimizer of this package:
// FinalizeVariableValues puts the final values into the variables at the
// end of training. Keras's fit calls optimizer.finalize_variable_values
// after its last epoch; goras's Fit does the same through this interface.
type Finalizer interface {
	FinalizeVariableValues(vars []*tensor.Tensor)
}

// newEMA reads UseEMA, EMAMomentum and EMAOverwriteFrequency.
func newEMA(name string, o *options) (ema, error) {
	e := ema{useEMA: o.bools["UseEMA"], momentum: o.get("EMAMomentum", 0.99)}
	if err := checkRange(name, "ema_momentum", "EMAMomentum", e.momentum, 0, 1, false); err != nil {
		return e, err
	}
	f := o.get("EMAOverwriteFrequency", 0)
	if f < 0 || f != float64(int64(f)) {
		return e, fmt.Errorf("optimizers: %s ema_overwrite_frequency (EMAOverwriteFrequency) must be an integer >= 1, or 0 for none, got %v", name, f)
	}
	e.every = int64(f)
	return e, nil
}

// buildEMA allocates the averages, "prefix/average/i", when asked. Keras
// makes them before the optimizer's own slots, and so does Build.
func (b *base) buildEMA(vars []*tensor.Tensor) {
	if b.useEMA {
		b.avg = b.slotSet(vars, "average", 0)
	}
}

// stepEMA updates the averages after the update of step b.iter+1 and, on
// every ema_overwrite_frequency-th step, copies them into the variables,
// in Keras's float32 arithmetic and order.
func (b *base) stepEMA(vars []*tensor.Tensor) {
	if !b.useEMA {
		return
	}
	var m float32
	if b.iter != 0 {
		m = float32(b.momentum)
	}
	for i, vt := range vars {
		w := vt.Data()
		a := b.avg[i][:len(w)]
		for j := range w {
			a[j] = m*a[j] + (1-m)*w[j]
		}
	}
	if b.every > 0 && (b.iter+1)%b.every == 0 {
		b.overwrite(vars)
	}
}

func (b *base) overwrite(vars []*tensor.Tensor) {
	for i, vt := range vars {
		copy(vt.Data(), b.avg[i])
	}
}

// FinalizeVariableValues replaces the variables by their moving averages
// when UseEMA is on (Keras's finalize_variable_values), and does nothing
// otherwise. Call it once training is over, with the variables of Apply.
// It panics if the optimizer keeps averages but was built for other
// variables (a programmer error).
func (b *base) FinalizeVariableValues(vars []*tensor.Tensor) {
	if !b.useEMA || !b.built {
		return
	}
	if len(vars) != len(b.avg) {
		panic(fmt.Sprintf("optimizers: %s.FinalizeVariableValues got %d variables, built for %d", b.name, len(vars), len(b.avg)))
	}
	for i, v := range vars {
		if v.Len() != len(b.avg[i]) {
			panic(fmt.Sprintf("optimizers: %s.FinalizeVariableValues: variable %d has %d values, built for %d", b.name, i, v.Len(), len(b.avg[i])))
		}
	}
	b.overwrite(vars)
}

// emaConfig writes the EMA keys of Keras's get_config.
func (e ema) emaConfig(c map[string]any) {
	c["use_ema"] = e.useEMA
	c["ema_momentum"] = e.momentum
	c["ema_overwrite_frequency"] = nil
	if e.every > 0 {
		c["ema_overwrite_frequency"] = e.every
	}
}
