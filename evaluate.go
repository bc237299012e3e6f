package goras

import (
	"os"

	"github.com/goras-ml/goras/internal/progbar"
	"github.com/goras-ml/goras/tensor"
)

// Evaluate returns the loss and metrics of the model on x and y, e.g.
// {"loss": 0.05, "accuracy": 0.98}, as Keras's evaluate.
// Options: BatchSize (32), Verbose (1), Output.
func (m *Model) Evaluate(x, y Data, opts ...Option) (Logs, error) {
	s, err := parse("evaluate", opts, "batch_size", "verbose")
	if err != nil {
		return nil, err
	}
	if _, err := m.checkData("evaluate", x, y); err != nil {
		return nil, err
	}
	return m.evaluate(x, y, rowRange(0, x.Shape()[0]), s.batchSize, s)
}

// evaluate runs inference over the samples rows of (x, y) in batches; s,
// when not nil, says how to show progress.
func (m *Model) evaluate(x, y Data, rows []int, batch int, s *settings) (Logs, error) {
	target := y.Shape()[1:]
	ms, err := m.newMetrics(target)
	if err != nil {
		return nil, err
	}
	n := len(rows)
	steps := (n + batch - 1) / batch
	var pb *progbar.Bar
	var bar []progbar.Metric
	if s != nil {
		pb = newBar(s, steps)
	}
	var lossSum float64
	for step := 0; step < steps; step++ {
		lo, hi := step*batch, min((step+1)*batch, n)
		bp, err := m.plan(hi-lo, false, target)
		if err != nil {
			return nil, err
		}
		x.Gather(bp.x.Value.Data(), rows[lo:hi])
		y.Gather(bp.y.Value.Data(), rows[lo:hi])
		bp.plan.Forward(false)
		lossSum += (bp.loss.Loss() + bp.penalty(false)) * float64(hi-lo)
		for _, mt := range ms {
			mt.Update(bp.out.Value, bp.y.Value)
		}
		if pb != nil {
			bar = runningMetrics(bar[:0], lossSum/float64(hi), ms)
			pb.Update(step+1, bar)
		}
	}
	if pb != nil {
		pb.Finish(bar)
	}
	logs := Logs{"loss": lossSum / float64(n)}
	for _, mt := range ms {
		logs[mt.Name()] = mt.Result()
	}
	return logs, nil
}

// Predict returns the model's outputs for x, e.g. (N, 10) probabilities, as
// Keras's predict. Options: BatchSize (32), Verbose (1), Output.
//
// Once the model has run a batch of a size, Predict allocates only its
// result (and the options), so that serving one sample at a time stays
// cheap; PredictOnBatch skips the options too.
func (m *Model) Predict(x Data, opts ...Option) (*tensor.Tensor, error) {
	s, err := parse("predict", opts, "batch_size", "verbose")
	if err != nil {
		return nil, err
	}
	if err := m.Build(); err != nil {
		return nil, err
	}
	if err := m.checkInput("predict", x); err != nil {
		return nil, err
	}
	n, batch := x.Shape()[0], s.batchSize
	out := m.outputTensor(n)
	steps := (n + batch - 1) / batch
	var pb *progbar.Bar // none at Verbose(0): finding out whether the output is a terminal costs a system call
	if s.verbose > 0 {
		pb = newBar(s, steps)
	}
	for step := 0; step < steps; step++ {
		lo, hi := step*batch, min((step+1)*batch, n)
		if err := m.predictRows(out, x, lo, hi); err != nil {
			return nil, err
		}
		if pb != nil {
			pb.Update(step+1, nil)
		}
	}
	if pb != nil {
		pb.Finish(nil)
	}
	return out, nil
}

// PredictOnBatch returns the model's outputs for x, all of it one batch, as
// Keras's predict_on_batch: no options, no progress bar, and once the plan
// for x's batch size exists, no allocation but the result.
func (m *Model) PredictOnBatch(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	if err := m.checkInput("predict_on_batch", x); err != nil {
		return nil, err
	}
	n := x.Dim(0)
	out := m.outputTensor(n)
	if err := m.predictRows(out, x, 0, n); err != nil {
		return nil, err
	}
	return out, nil
}

// outputTensor allocates the outputs of n samples, (n, output shape...).
func (m *Model) outputTensor(n int) *tensor.Tensor {
	shape := make([]int, 0, 1+len(m.OutputShape()))
	return tensor.New(append(append(shape, n), m.OutputShape()...)...)
}

// predictRows runs samples [lo, hi) of x through the inference plan for a
// batch of hi-lo and writes their outputs to the same rows of out.
func (m *Model) predictRows(out *tensor.Tensor, x Data, lo, hi int) error {
	bp, err := m.plan(hi-lo, false, nil)
	if err != nil {
		return err
	}
	x.Gather(bp.x.Value.Data(), bp.rowsFrom(lo))
	bp.plan.Forward(false)
	res := bp.out.Value.Data()
	copy(out.Data()[lo*len(res)/(hi-lo):], res)
	return nil
}

// ArgMax returns the index of the largest value of each row of t (N, K):
// the predicted classes of Predict's output.
func ArgMax(t *tensor.Tensor) []int {
	n := t.Dim(0)
	k := t.Len() / max(n, 1)
	out := make([]int, n)
	for i := range out {
		row := t.Data()[i*k : (i+1)*k]
		for j, v := range row {
			if v > row[out[i]] {
				out[i] = j
			}
		}
	}
	return out
}

func newBar(s *settings, steps int) *progbar.Bar {
	interactive := false
	if f, ok := s.out.(*os.File); ok {
		interactive = progbar.IsTerminal(f)
	}
	return progbar.New(s.out, steps, s.verbose, interactive)
}
