package goras

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/goras-ml/goras/internal/progbar"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// Fit trains the model on x (N, input...) and y (N, target...) and returns
// the per-epoch History, as Keras's fit. A model with several inputs or
// outputs takes Arrays, one array per input or output. ctx stops training
// between two steps; Fit then returns the History so far with ctx's error.
//
// Options: BatchSize (32), Epochs (1), Verbose (1), Shuffle (true),
// ValidationSplit (0), ValidationData, ValidationFreq (1), StepsPerEpoch
// (0: all), SampleWeight, ClassWeight, Callbacks, InitialEpoch (0), Output,
// Warnings.
//
// Fit is not to be called concurrently on one model: a second call while
// one runs returns an error.
func (m *Model) Fit(ctx context.Context, x, y Data, opts ...Option) (*History, error) {
	s, err := parse("fit", opts, "batch_size", "epochs", "verbose", "shuffle", "validation_split", "validation_data", "callbacks", "initial_epoch", "validation_freq", "steps_per_epoch", "sample_weight", "class_weight")
	if err != nil {
		return nil, err
	}
	if !m.training.CompareAndSwap(false, true) {
		return nil, errors.New("goras: fit: the model is already being trained by another call; one model trains in one goroutine at a time")
	}
	defer m.training.Store(false)
	r, err := m.newFitRun(s, x, y)
	if err != nil {
		return nil, err
	}
	defer r.pf.stop() // no Gather outlives Fit (fit_prefetch.go)
	for _, cb := range s.callbacks {
		cb.SetModel(m)
	}
	m.StopTraining = false // before the hooks, so that a callback may stop at once
	m.resumeAt = -1
	logs := Logs{}
	for _, cb := range s.callbacks {
		cb.OnTrainBegin(logs)
	}
	first := s.initialEpoch
	if m.resumeAt >= 0 {
		first = m.resumeAt
	}
	ran := false
	for epoch := first; epoch < s.epochs && !m.StopTraining; epoch++ {
		if logs, err = r.epoch(ctx, epoch, logs); err != nil {
			return r.hist, err
		}
		ran = true
	}
	if f, ok := m.compiled.optimizer.(optimizers.Finalizer); ok && ran {
		// Keras's finalize_variable_values: with use_ema, the averaged
		// weights become the model's at the end of training.
		f.FinalizeVariableValues(m.compiled.vars)
	}
	for _, cb := range s.callbacks {
		cb.OnTrainEnd(logs)
	}
	return r.hist, nil
}

// fitRun is one call of Fit: the data, checked, and what the epochs share.
type fitRun struct {
	m           *Model
	s           *settings
	train, val  dataSet
	n           int   // training samples
	valRows     []int // nil without validation
	order       []int
	steps       int
	tracker     *tracker
	hist        *History
	bar         []progbar.Metric
	batchLogs   Logs
	haveVal     bool
	valFromTail bool
	prefetching bool       // gather the next batch beside the step (fit_prefetch.go)
	pf          prefetcher // what does it
}

func (m *Model) newFitRun(s *settings, x, y Data) (*fitRun, error) {
	r := &fitRun{m: m, s: s}
	if err := m.checkData("fit", x, y, &r.train); err != nil {
		return nil, err
	}
	r.n = r.train.samples()
	if s.sampleWeight != nil {
		if err := checkSampleWeights("fit", s.sampleWeight, r.n); err != nil {
			return nil, err
		}
		r.train.weights = s.sampleWeight
	}
	switch {
	case !isNil(s.valX):
		if err := m.checkData("fit (validation data)", s.valX, s.valY, &r.val); err != nil {
			return nil, err
		}
		r.valRows, r.haveVal = rowRange(0, r.val.samples()), true
	case s.validationSplit > 0:
		// Keras takes the validation samples from the end, before shuffling.
		at := int(math.Floor(float64(r.n) * (1 - s.validationSplit)))
		if at == 0 || at == r.n {
			return nil, fmt.Errorf("goras: fit: validation_split %g of %d samples leaves an empty set", s.validationSplit, r.n)
		}
		r.val, r.valRows, r.haveVal = r.train, rowRange(at, r.n), true
		r.n = at
	}
	if s.classWeight != nil {
		// After the split, which holds out samples with their own weights
		// (none): class_weight weighs training only, as in Keras.
		w, err := m.classWeights(s.classWeight, &r.train)
		if err != nil {
			return nil, err
		}
		r.train.weights = w
	}
	for i, xi := range r.train.xs {
		if err := checkFinite("fit", i, xi); err != nil {
			return nil, err
		}
		warnUnscaled(s.warn, xi)
	}
	if r.haveVal && !isNil(s.valX) {
		for i, xi := range r.val.xs {
			if err := checkFinite("fit (validation data)", i, xi); err != nil {
				return nil, err
			}
		}
	}
	var err error
	if r.tracker, err = m.newTracker(r.train.targets); err != nil {
		return nil, err
	}
	r.steps = ceilDivInt(r.n, s.batchSize)
	if s.stepsPerEpoch > 0 {
		r.steps = min(r.steps, s.stepsPerEpoch)
	}
	r.hist = newHistory(s.epochs, r.steps, s.verbose)
	r.order = rowRange(0, r.n)
	r.bar = make([]progbar.Metric, 0, 2*len(r.tracker.entries)+1)
	r.batchLogs = Logs{}
	r.prefetching = r.pays()
	return r, nil
}

// epoch trains one epoch and returns its logs.
func (r *fitRun) epoch(ctx context.Context, epoch int, logs Logs) (Logs, error) {
	m, s := r.m, r.s
	start := time.Now()
	if s.shuffle {
		// Each epoch shuffles 0..n-1 afresh (as Keras), so that its order
		// depends on the generator's state alone and a resumed run
		// (InitialEpoch, checkpoints) sees the same orders.
		for i := range r.order {
			r.order[i] = i
		}
		m.shuffle.Shuffle(r.n, func(i, j int) { r.order[i], r.order[j] = r.order[j], r.order[i] })
	}
	for _, cb := range s.callbacks {
		cb.OnEpochBegin(epoch, logs)
	}
	if s.verbose > 0 {
		progbar.EpochHeader(s.out, epoch+1, s.epochs)
	}
	pb := newBar(s, r.steps)
	r.tracker.reset()
	for step := 0; step < r.steps; step++ {
		if err := r.step(step); err != nil {
			return logs, err
		}
		pb.Update(step+1, r.bar)
		if err := ctx.Err(); err != nil {
			return logs, err
		}
		if m.StopTraining {
			break
		}
	}
	r.pf.drain() // before validation, which may gather the same Data
	epochLogs := r.tracker.logs("")
	r.bar = r.tracker.results(r.bar[:0])
	if r.haveVal && (epoch+1)%s.validationFreq == 0 {
		vt, err := m.evaluate(&r.val, r.valRows, s.batchSize, nil)
		if err != nil {
			return logs, err
		}
		for k, v := range vt.logs("val_") {
			epochLogs[k] = v
		}
		for _, e := range vt.entries {
			r.bar = append(r.bar, progbar.Metric{Name: "val_" + e.name, Value: vt.value(e)})
		}
	}
	// As in Keras, History and the progress bar come after the user's
	// callbacks, so what they add (learning_rate) is recorded and shown.
	for _, cb := range s.callbacks {
		cb.OnEpochEnd(epoch, epochLogs)
	}
	for _, k := range sortedKeys(epochLogs) {
		if !hasMetric(r.bar, k) {
			r.bar = append(r.bar, progbar.Metric{Name: k, Value: epochLogs[k]})
		}
	}
	pb.Finish(r.bar)
	r.hist.Append(epoch, epochLogs, time.Since(start).Seconds())
	return epochLogs, nil
}

// step trains on batch number step of the epoch's order.
func (r *fitRun) step(step int) error {
	s := r.s
	lo, hi := step*s.batchSize, min((step+1)*s.batchSize, r.n)
	bp, err := r.batch(step, r.order[lo:hi])
	if err != nil {
		return err
	}
	for _, cb := range s.callbacks {
		cb.OnTrainBatchBegin(step, r.batchLogs)
	}
	// After OnTrainBatchBegin, so that what it changes reaches the next
	// batch; the gather then runs beside the step.
	if err := r.prefetch(step+1, bp); err != nil {
		return err
	}
	loss := r.trainStep(step, bp)
	r.tracker.update(bp, hi-lo, loss)
	r.bar = r.tracker.results(r.bar[:0])
	if len(s.callbacks) > 0 {
		r.pf.settle() // no Gather runs beside a callback
		for _, b := range r.bar {
			r.batchLogs[b.Name] = b.Value
		}
		for _, cb := range s.callbacks {
			cb.OnTrainBatchEnd(step, r.batchLogs)
		}
	}
	return nil
}

// gather copies the samples rows of every input and target array into
// the plan's buffers.
func (bp *batchPlan) gather(d *dataSet, rows []int) {
	var at int
	bp.gatherAt(d, rows, &at)
}

// gatherAt is gather keeping in *at the array it is on (the inputs', then
// the targets' index), so that Fit can name one whose Gather panics.
func (bp *batchPlan) gatherAt(d *dataSet, rows []int, at *int) {
	bp.plan.Unprepare() // what Plan.Prepare made is of the inputs being replaced
	for i, x := range d.xs {
		*at = i
		x.Gather(bp.xs[i].Value.Data(), rows)
	}
	for i, y := range bp.ys {
		if y != nil {
			*at = len(d.xs) + i
			d.ys[i].Gather(y.Value.Data(), rows)
		}
	}
	if bp.sw != nil {
		for i, r := range rows {
			bp.sw[i] = d.weights[r]
		}
	}
}

// step runs one training step on the batch already in bp and returns the
// loss (regularization included): forward, backward, the optimizer's
// update, then the weights' constraints, as Keras applies them after each
// update. It allocates nothing.
func (m *Model) step(bp *batchPlan) float64 {
	bp.plan.Forward(true)
	bp.plan.Backward()
	loss := bp.loss(m.compiled.weights) + bp.penalty(true)
	m.compiled.optimizer.Apply(m.compiled.vars, m.compiled.grads)
	for _, p := range m.compiled.bounded {
		p.Constraint.Apply(p.Value.Data(), p.Value.Shape())
	}
	return loss
}

// TrainOnBatch runs one training step on x and y, which form one batch, and
// returns its loss, as Keras's train_on_batch. Once the plan for this batch
// size exists it allocates nothing.
func (m *Model) TrainOnBatch(x, y Data) (float64, error) {
	if !m.training.CompareAndSwap(false, true) {
		return 0, errors.New("goras: train_on_batch: the model is already being trained by another call; one model trains in one goroutine at a time")
	}
	defer m.training.Store(false)
	d := &m.onBatch
	if err := m.checkData("train_on_batch", x, y, d); err != nil {
		return 0, err
	}
	n := d.samples()
	bp, err := m.plan(n, true, d)
	if err != nil {
		return 0, err
	}
	bp.gather(d, bp.rowsFrom(0))
	// Checked in the plan's copy, which allocates nothing: one NaN or ±Inf
	// input would make every weight NaN, as Fit refuses it.
	for i, x := range d.xs {
		if err := bp.checkFinite("train_on_batch", x, i, 0); err != nil {
			return 0, err
		}
	}
	return m.step(bp), nil
}

func hasMetric(ms []progbar.Metric, name string) bool {
	for _, m := range ms {
		if m.Name == name {
			return true
		}
	}
	return false
}

var _ Data = (*tensor.Tensor)(nil)
