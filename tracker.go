package goras

import (
	"fmt"
	"sort"

	"github.com/goras-ml/goras/internal/progbar"
	"github.com/goras-ml/goras/metrics"
)

// tracker keeps the running loss and metrics of an epoch (or an
// evaluation) under Keras's names: "loss" and "accuracy" for a model with
// one output; for several, also each output's unweighted loss and its
// metrics prefixed by the output's name ("dense_1_loss",
// "dense_1_accuracy"). Entries are listed sorted by name, as Keras 3's logs
// print them, in an order fixed when the tracker is made, so that a step
// allocates nothing.
type tracker struct {
	entries []entry
	loss    float64   // sum over samples of the total loss
	outLoss []float64 // the same, per output, unweighted
	seen    int
}

type entry struct {
	name   string
	output int            // -1 for the total loss
	metric metrics.Metric // nil for a loss
}

// newTracker resolves the compiled metrics of every output for the target
// shapes.
func (m *Model) newTracker(targets [][]int) (*tracker, error) {
	multi := len(m.outputs) > 1
	tr := &tracker{outLoss: make([]float64, len(m.outputs))}
	tr.entries = append(tr.entries, entry{name: "loss", output: -1})
	for i, o := range m.outputs {
		if m.compiled.losses[i] == nil {
			continue
		}
		prefix := ""
		if multi {
			prefix = o.layer.Name() + "_"
			tr.entries = append(tr.entries, entry{name: prefix + "loss", output: i})
		}
		for _, name := range m.compiled.metrics[i] {
			mt, err := metrics.Get(name, o.shape, targets[i])
			if err != nil {
				return nil, fmt.Errorf("goras: %w", err)
			}
			tr.entries = append(tr.entries, entry{name: prefix + mt.Name(), output: i, metric: mt})
		}
	}
	sort.SliceStable(tr.entries, func(i, j int) bool { return tr.entries[i].name < tr.entries[j].name })
	for i := 1; i < len(tr.entries); i++ {
		if tr.entries[i].name == tr.entries[i-1].name {
			return nil, fmt.Errorf("goras: two logs would be named %q; list each metric once", tr.entries[i].name)
		}
	}
	return tr, nil
}

func (tr *tracker) reset() {
	tr.loss, tr.seen = 0, 0
	clear(tr.outLoss)
	for _, e := range tr.entries {
		if e.metric != nil {
			e.metric.Reset()
		}
	}
}

// update adds a batch of n samples whose plan has just run forward, with
// total loss loss, which bp.loss computed (it also kept each output's).
func (tr *tracker) update(bp *batchPlan, n int, loss float64) {
	tr.loss += loss * float64(n)
	tr.seen += n
	for i, l := range bp.losses {
		if l != nil {
			tr.outLoss[i] += bp.lossOf[i] * float64(n)
		}
	}
	for _, e := range tr.entries {
		if e.metric != nil {
			e.metric.Update(bp.outs[e.output].Value, bp.ys[e.output].Value)
		}
	}
}

func (tr *tracker) value(e entry) float64 {
	switch {
	case e.metric != nil:
		return e.metric.Result()
	case tr.seen == 0:
		return 0
	case e.output < 0:
		return tr.loss / float64(tr.seen)
	default:
		return tr.outLoss[e.output] / float64(tr.seen)
	}
}

// results appends every entry's value so far to dst, in name order.
func (tr *tracker) results(dst []progbar.Metric) []progbar.Metric {
	for _, e := range tr.entries {
		dst = append(dst, progbar.Metric{Name: e.name, Value: tr.value(e)})
	}
	return dst
}

// logs returns every entry's value, each name prefixed.
func (tr *tracker) logs(prefix string) Logs {
	l := make(Logs, len(tr.entries))
	for _, e := range tr.entries {
		l[prefix+e.name] = tr.value(e)
	}
	return l
}
