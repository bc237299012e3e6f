package goras

import (
	"fmt"
	"runtime/debug"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/internal/progbar"
	"github.com/goras-ml/goras/tensor"
)

// Predict returns the model's outputs for x, e.g. (N, 10) probabilities, as
// Keras's predict. A model with several outputs answers through
// PredictOutputs. Options: BatchSize (32), Verbose (1), Output.
//
// Predict may be called from many goroutines at once: each call runs its
// own copy of the model's buffers (the weights are shared, read-only).
// Once a batch size has been seen, a call allocates only its result and
// the options, so that serving one sample at a time stays cheap;
// PredictOnBatch skips the options too.
func (m *Model) Predict(x Data, opts ...Option) (*tensor.Tensor, error) {
	outs, err := m.PredictOutputs(x, opts...)
	if err != nil {
		return nil, err
	}
	if len(outs) != 1 {
		return nil, fmt.Errorf("goras: predict: the model has %d outputs; use PredictOutputs", len(outs))
	}
	return outs[0], nil
}

// PredictOutputs returns the outputs of a model with any number of them,
// one tensor per output, in the model's order. Options as Predict.
func (m *Model) PredictOutputs(x Data, opts ...Option) ([]*tensor.Tensor, error) {
	s, err := parse("predict", opts, "batch_size", "verbose")
	if err != nil {
		return nil, err
	}
	if err := m.Build(); err != nil {
		return nil, err
	}
	var d dataSet
	if err := m.checkInputs("predict", x, &d); err != nil {
		return nil, err
	}
	n, batch := d.samples(), s.batchSize
	outs := m.outputTensors(n)
	steps := ceilDivInt(n, batch)
	var pb *progbar.Bar // none at Verbose(0): finding out whether the output is a terminal costs a system call
	if s.verbose > 0 {
		pb = newBar(s, steps)
	}
	for step := 0; step < steps; step++ {
		lo, hi := step*batch, min((step+1)*batch, n)
		if err := m.predictRows(outs, &d, lo, hi); err != nil {
			return nil, err
		}
		if pb != nil {
			pb.Update(step+1, nil)
		}
	}
	if pb != nil {
		pb.Finish(nil)
	}
	return outs, nil
}

// PredictOnBatch returns the model's output for x, all of it one batch, as
// Keras's predict_on_batch: no options, no progress bar, and once the plan
// for x's batch size exists, no allocation but the result. It may be
// called from many goroutines at once, as Predict.
func (m *Model) PredictOnBatch(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	if len(m.inputs) != 1 || len(m.outputs) != 1 {
		return nil, fmt.Errorf("goras: predict_on_batch: the model has %d inputs and %d outputs; use PredictOutputs", len(m.inputs), len(m.outputs))
	}
	if err := checkInput("predict_on_batch", m.inputName(0), x, m.inputs[0].shape); err != nil {
		return nil, err
	}
	n := x.Dim(0)
	out := newOutput(n, m.outputs[0].shape)
	if shares := predictShares(n); shares > 1 {
		if err := m.splitBatch([]*tensor.Tensor{out}, "predict_on_batch", x.Data(), nil, 0, n, shares); err != nil {
			return nil, err
		}
		return out, nil
	}
	bp, err := m.takePredictPlan(n)
	if err != nil {
		return nil, err
	}
	defer m.givePredictPlan(bp)
	// Copied and checked for NaN and ±Inf in one pass (the check reads
	// each chunk while it is in L1), before the plan runs on it.
	if err := bp.copyFinite("predict_on_batch", 0, x.Data(), 0, n); err != nil {
		return nil, err
	}
	if err := bp.forward(func() {}); err != nil {
		return nil, err
	}
	copy(out.Data(), bp.outs[0].Value.Data())
	return out, nil
}

// outputTensors allocates the outputs of n samples, one per model output.
func (m *Model) outputTensors(n int) []*tensor.Tensor {
	outs := make([]*tensor.Tensor, len(m.outputs))
	for i, o := range m.outputs {
		outs[i] = newOutput(n, o.shape)
	}
	return outs
}

func newOutput(n int, shape []int) *tensor.Tensor {
	full := make([]int, 0, 1+len(shape))
	return tensor.New(append(append(full, n), shape...)...)
}

// predictRows runs samples [lo, hi) through a prediction plan of its own
// and writes their outputs to the same rows of outs.
func (m *Model) predictRows(outs []*tensor.Tensor, d *dataSet, lo, hi int) error {
	if shares := predictShares(hi - lo); shares > 1 {
		// A single tensor input is copied by the workers, each its own
		// samples, as PredictOnBatch's: gathered on the caller's
		// goroutine first, the course MLP's batch of 1000 took twice
		// PredictOnBatch's time on two cores of an Intel Xeon.
		var x []float32
		if len(d.xs) == 1 && d.allTensors() {
			x = d.xs[0].(*tensor.Tensor).Data()
		}
		return m.splitBatch(outs, "predict", x, d, lo, hi-lo, shares)
	}
	bp, err := m.takePredictPlan(hi - lo)
	if err != nil {
		return err
	}
	defer m.givePredictPlan(bp)
	if d.allTensors() {
		// One pass over each input: copied and checked together.
		for i, x := range d.xs {
			if err := bp.copyFinite("predict", i, x.(*tensor.Tensor).Data(), lo, hi); err != nil {
				return err
			}
		}
		err = bp.forward(func() {})
	} else {
		err = bp.forward(func() {
			rows := bp.rowsFrom(lo)
			for i, x := range d.xs {
				x.Gather(bp.xs[i].Value.Data(), rows)
			}
		})
		if err == nil {
			for i, x := range d.xs {
				if err := bp.checkFinite("predict", x, i, lo); err != nil {
					return err
				}
			}
		}
	}
	if err != nil {
		return err
	}
	for i, o := range bp.outs {
		res := o.Value.Data()
		copy(outs[i].Data()[lo*len(res)/(hi-lo):], res)
	}
	return nil
}

// allTensors reports whether every input of d is a tensor: its samples
// [lo, hi) are then one run of memory, which copyFinite copies and checks
// for NaN and ±Inf in one pass (kernel.CopyFinite), where other Data are
// gathered row by row and the batch read again after (the scan was 9 % of
// the course MLP's prediction time at batch 1000 on an Intel Xeon).
func (d *dataSet) allTensors() bool {
	for _, x := range d.xs {
		if _, ok := x.(*tensor.Tensor); !ok {
			return false
		}
	}
	return true
}

// copyFinite fills the plan's input i with samples [lo, hi) of src (the
// values of every sample, one after another) and reports the first of
// them that holds NaN or ±Inf, by its index in src. Like gather, it drops
// what Plan.Prepare made of the inputs it replaces.
func (bp *batchPlan) copyFinite(method string, i int, src []float32, lo, hi int) error {
	bp.plan.Unprepare()
	in := bp.xs[i].Value.Data()
	per := len(in) / (hi - lo)
	if at := kernel.CopyFinite(in, src[lo*per:hi*per]); at >= 0 {
		return nonFinite(method, i, lo+at/per, at%per, in[at])
	}
	return nil
}

// checkFinite reports the first sample of input i in the plan's batch
// (samples lo onward of x) that holds NaN or ±Inf, which would make every
// output of the sample meaningless without a sign of it. Data that cannot
// hold such values (FiniteData) is not looked at.
func (bp *batchPlan) checkFinite(method string, x Data, i, lo int) error {
	if f, ok := x.(FiniteData); ok && f.Finite() {
		return nil
	}
	v := bp.xs[i].Value
	at := kernel.FirstNonFinite(v.Data())
	if at < 0 {
		return nil
	}
	per := v.Len() / v.Dim(0)
	return nonFinite(method, i, lo+at/per, at%per, v.Data()[at])
}

// forward fills the plan's inputs with fill and runs it forward; a panic
// on the way (a kernel's, or a user layer's) comes back as an error.
func (bp *batchPlan) forward(fill func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("goras: predict failed: %v\n%s", r, debug.Stack())
		}
	}()
	fill()
	bp.plan.Forward(false)
	return nil
}
