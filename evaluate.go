package goras

import (
	"os"

	"github.com/goras-ml/goras/internal/progbar"
)

// Evaluate returns the loss and metrics of the model on x and y, e.g.
// {"loss": 0.05, "accuracy": 0.98}, as Keras's evaluate; with several
// outputs also each output's loss and metrics ("dense_1_loss", ...).
// Options: BatchSize (32), Verbose (1), SampleWeight, Output.
//
// Evaluate may be called from several goroutines at once: the calls take
// turns, each with the whole model.
func (m *Model) Evaluate(x, y Data, opts ...Option) (Logs, error) {
	s, err := parse("evaluate", opts, "batch_size", "verbose", "sample_weight")
	if err != nil {
		return nil, err
	}
	var d dataSet
	if err := m.checkData("evaluate", x, y, &d); err != nil {
		return nil, err
	}
	for i, xi := range d.xs { // as Fit and Predict: a NaN input would make the loss NaN
		if err := checkFinite("evaluate", i, xi); err != nil {
			return nil, err
		}
	}
	if s.sampleWeight != nil {
		if err := checkSampleWeights("evaluate", s.sampleWeight, d.samples()); err != nil {
			return nil, err
		}
		d.weights = s.sampleWeight
	}
	m.evaluating.Lock()
	tr, err := m.evaluate(&d, rowRange(0, d.samples()), s.batchSize, s)
	m.evaluating.Unlock()
	if err != nil {
		return nil, err
	}
	return tr.logs(""), nil
}

// evaluate runs inference over the samples rows of d in batches; s, when
// not nil, says how to show progress.
func (m *Model) evaluate(d *dataSet, rows []int, batch int, s *settings) (*tracker, error) {
	tr, err := m.newTracker(d.targets)
	if err != nil {
		return nil, err
	}
	n := len(rows)
	steps := ceilDivInt(n, batch)
	var pb *progbar.Bar
	var bar []progbar.Metric
	if s != nil {
		pb = newBar(s, steps)
	}
	for step := 0; step < steps; step++ {
		lo, hi := step*batch, min((step+1)*batch, n)
		bp, err := m.plan(hi-lo, false, d)
		if err != nil {
			return nil, err
		}
		bp.gather(d, rows[lo:hi])
		bp.plan.Forward(false)
		tr.update(bp, hi-lo, bp.loss(m.compiled.weights)+bp.penalty(false))
		if pb != nil {
			bar = tr.results(bar[:0])
			pb.Update(step+1, bar)
		}
	}
	if pb != nil {
		pb.Finish(bar)
	}
	return tr, nil
}

func newBar(s *settings, steps int) *progbar.Bar {
	interactive := false
	if f, ok := s.out.(*os.File); ok {
		interactive = progbar.IsTerminal(f)
	}
	return progbar.New(s.out, steps, s.verbose, interactive)
}
