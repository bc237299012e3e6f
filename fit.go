package goras

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/goras-ml/goras/internal/progbar"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/tensor"
)

// Fit trains the model on x (N, input...) and y (N, target...) and returns
// the per-epoch History, as Keras's fit. ctx stops training between two
// steps; Fit then returns the History so far with ctx's error.
//
// Options: BatchSize (32), Epochs (1), Verbose (1), Shuffle (true),
// ValidationSplit (0), ValidationData, Callbacks, InitialEpoch (0), Output,
// Warnings.
func (m *Model) Fit(ctx context.Context, x, y Data, opts ...Option) (*History, error) {
	s, err := parse("fit", opts, "batch_size", "epochs", "verbose", "shuffle", "validation_split", "validation_data", "callbacks", "initial_epoch")
	if err != nil {
		return nil, err
	}
	target, err := m.checkData("fit", x, y)
	if err != nil {
		return nil, err
	}
	n := x.Shape()[0]
	valX, valY, valRows := s.valX, s.valY, []int(nil)
	if valX == nil && s.validationSplit > 0 {
		// Keras takes the validation samples from the end, before shuffling.
		at := int(math.Floor(float64(n) * (1 - s.validationSplit)))
		if at == 0 || at == n {
			return nil, fmt.Errorf("goras: fit: validation_split %g of %d samples leaves an empty set", s.validationSplit, n)
		}
		valX, valY, valRows = x, y, rowRange(at, n)
		n = at
	}
	if valX != nil && valRows == nil {
		if _, err := m.checkData("fit (validation data)", valX, valY); err != nil {
			return nil, err
		}
		valRows = rowRange(0, valX.Shape()[0])
	}
	warnUnscaled(s.warn, x)

	batch := s.batchSize
	steps := (n + batch - 1) / batch
	train, err := m.newMetrics(target)
	if err != nil {
		return nil, err
	}
	hist := newHistory(s.epochs, steps, s.verbose)
	order := rowRange(0, n)
	bar := make([]progbar.Metric, 0, 2+2*len(train))
	logs := Logs{}
	for _, cb := range s.callbacks {
		cb.SetModel(m)
	}
	m.StopTraining = false // before the hooks, so that a callback may stop at once
	for _, cb := range s.callbacks {
		cb.OnTrainBegin(logs)
	}
	for epoch := s.initialEpoch; epoch < s.epochs && !m.StopTraining; epoch++ {
		start := time.Now()
		if s.shuffle {
			// Each epoch shuffles 0..n-1 afresh (as Keras), so that its order
			// depends on the generator's state alone and a resumed run
			// (InitialEpoch, checkpoints) sees the same orders.
			for i := range order {
				order[i] = i
			}
			m.shuffle.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for _, cb := range s.callbacks {
			cb.OnEpochBegin(epoch, logs)
		}
		if s.verbose > 0 {
			progbar.EpochHeader(s.out, epoch+1, s.epochs)
		}
		pb := newBar(s, steps)
		for _, mt := range train {
			mt.Reset()
		}
		var lossSum float64
		for step := 0; step < steps; step++ {
			lo, hi := step*batch, min((step+1)*batch, n)
			bp, err := m.plan(hi-lo, true, target)
			if err != nil {
				return hist, err
			}
			x.Gather(bp.x.Value.Data(), order[lo:hi])
			y.Gather(bp.y.Value.Data(), order[lo:hi])
			for _, cb := range s.callbacks {
				cb.OnTrainBatchBegin(step, logs)
			}
			loss := m.step(bp)
			lossSum += loss * float64(hi-lo)
			for _, mt := range train {
				mt.Update(bp.out.Value, bp.y.Value)
			}
			bar = runningMetrics(bar[:0], lossSum/float64(hi), train)
			if len(s.callbacks) > 0 {
				for _, b := range bar {
					logs[b.Name] = b.Value
				}
				for _, cb := range s.callbacks {
					cb.OnTrainBatchEnd(step, logs)
				}
			}
			pb.Update(step+1, bar)
			if err := ctx.Err(); err != nil {
				return hist, err
			}
			if m.StopTraining {
				break
			}
		}
		epochLogs := Logs{}
		for _, b := range bar {
			epochLogs[b.Name] = b.Value
		}
		if valX != nil {
			vl, err := m.evaluate(valX, valY, valRows, batch, nil)
			if err != nil {
				return hist, err
			}
			for k, v := range vl {
				epochLogs["val_"+k] = v
			}
			names := sortedKeys(vl)
			for _, k := range names {
				bar = append(bar, progbar.Metric{Name: "val_" + k, Value: vl[k]})
			}
		}
		// As in Keras, History and the progress bar come after the user's
		// callbacks, so what they add (learning_rate) is recorded and shown.
		for _, cb := range s.callbacks {
			cb.OnEpochEnd(epoch, epochLogs)
		}
		for _, k := range sortedKeys(epochLogs) {
			if !hasMetric(bar, k) {
				bar = append(bar, progbar.Metric{Name: k, Value: epochLogs[k]})
			}
		}
		pb.Finish(bar)
		hist.add(epoch, epochLogs, time.Since(start).Seconds())
		logs = epochLogs
	}
	for _, cb := range s.callbacks {
		cb.OnTrainEnd(logs)
	}
	return hist, nil
}

// step runs one training step on the batch already in bp and returns the
// loss (regularization included). It allocates nothing.
func (m *Model) step(bp *batchPlan) float64 {
	bp.plan.Forward(true)
	bp.plan.Backward()
	loss := bp.loss.Loss() + bp.penalty(true)
	m.compiled.optimizer.Apply(m.compiled.vars, m.compiled.grads)
	return loss
}

// TrainOnBatch runs one training step on x and y, which form one batch, and
// returns its loss, as Keras's train_on_batch. Once the plan for this batch
// size exists it allocates nothing.
func (m *Model) TrainOnBatch(x, y *tensor.Tensor) (float64, error) {
	target, err := m.checkData("train_on_batch", x, y)
	if err != nil {
		return 0, err
	}
	bp, err := m.plan(x.Dim(0), true, target)
	if err != nil {
		return 0, err
	}
	bp.x.Value.CopyFrom(x)
	bp.y.Value.CopyFrom(y)
	return m.step(bp), nil
}

// newMetrics resolves the compiled metric names for a target shape.
func (m *Model) newMetrics(target []int) ([]metrics.Metric, error) {
	var ms []metrics.Metric
	for _, name := range m.compiled.metrics {
		mt, err := metrics.Get(name, m.OutputShape(), target)
		if err != nil {
			return nil, fmt.Errorf("goras: %w", err)
		}
		ms = append(ms, mt)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name() < ms[j].Name() })
	return ms, nil
}

// runningMetrics lists the loss and metrics in Keras 3's order: sorted by
// name, as its logs print them (accuracy before loss).
func runningMetrics(dst []progbar.Metric, loss float64, ms []metrics.Metric) []progbar.Metric {
	placed := false
	for _, mt := range ms {
		if !placed && mt.Name() > "loss" {
			dst = append(dst, progbar.Metric{Name: "loss", Value: loss})
			placed = true
		}
		dst = append(dst, progbar.Metric{Name: mt.Name(), Value: mt.Result()})
	}
	if !placed {
		dst = append(dst, progbar.Metric{Name: "loss", Value: loss})
	}
	return dst
}

func hasMetric(ms []progbar.Metric, name string) bool {
	for _, m := range ms {
		if m.Name == name {
			return true
		}
	}
	return false
}

func sortedKeys(l Logs) []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
