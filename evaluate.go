package goras

import (
	"os"

	"github.com/goras-ml/goras/internal/progbar"
	"github.com/goras-ml/goras/tensor"
)

// Evaluate returns the loss and metrics of the model on x and y, e.g.
// {"loss": 0.05, "accuracy": 0.98}, as Keras's evaluate.
// Options: BatchSize (32), Verbose (1), Output.
func (m *Sequential) Evaluate(x, y Data, opts ...Option) (Logs, error) {
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
func (m *Sequential) evaluate(x, y Data, rows []int, batch int, s *settings) (Logs, error) {
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
func (m *Sequential) Predict(x Data, opts ...Option) (*tensor.Tensor, error) {
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
	rows := rowRange(0, n)
	out := tensor.New(append([]int{n}, m.OutputShape()...)...)
	steps := (n + batch - 1) / batch
	pb := newBar(s, steps)
	for step := 0; step < steps; step++ {
		lo, hi := step*batch, min((step+1)*batch, n)
		bp, err := m.plan(hi-lo, false, nil)
		if err != nil {
			return nil, err
		}
		x.Gather(bp.x.Value.Data(), rows[lo:hi])
		bp.plan.Forward(false)
		copy(out.Slice(lo, hi).Data(), bp.out.Value.Data())
		pb.Update(step+1, nil)
	}
	pb.Finish(nil)
	return out, nil
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
