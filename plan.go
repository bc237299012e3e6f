package goras

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// planKey identifies a compiled plan: one per batch size, purpose and target
// shape. Training plans also serve evaluation at the same batch size.
type planKey struct {
	batch  int
	train  bool
	rank   int    // per-sample target rank; -1 for prediction only
	target [4]int // per-sample target shape (an array, so lookups don't allocate)
}

// batchPlan is the model compiled for one batch size, with its input and
// target buffers, which Fit fills before each step.
type batchPlan struct {
	plan *autograd.Plan
	x    *autograd.Var
	y    *autograd.Var // nil for prediction-only plans
	out  *autograd.Var
	loss autograd.LossOp
	reg  []*autograd.Param // weights with a regularizer
	rows []int             // scratch for rowsFrom, one index per sample of the batch
}

// rowsFrom returns the sample indices lo, lo+1, ... for one batch, in a
// buffer the plan keeps, so that gathering a batch allocates nothing.
func (bp *batchPlan) rowsFrom(lo int) []int {
	if bp.rows == nil {
		bp.rows = make([]int, bp.plan.Batch())
	}
	for i := range bp.rows {
		bp.rows[i] = lo + i
	}
	return bp.rows
}

// plan returns the plan for a batch size, building it on first use. target
// is the per-sample target shape, nil for prediction.
func (m *Model) plan(batch int, train bool, target []int) (*batchPlan, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	key := planKey{batch: batch, train: train, rank: -1}
	if target != nil {
		if len(target) > len(key.target) {
			return nil, fmt.Errorf("goras: targets of rank %d per sample are not supported (at most %d)", len(target), len(key.target))
		}
		key.rank = len(target)
		copy(key.target[:], target)
	}
	if bp, ok := m.plans[key]; ok {
		return bp, nil
	}
	if !train { // a training plan of the same size does evaluation too
		tk := key
		tk.train = true
		if bp, ok := m.plans[tk]; ok {
			return bp, nil
		}
	}
	var p *autograd.Plan
	if train {
		p = autograd.NewPlan(batch)
	} else {
		p = autograd.NewInferencePlan(batch)
	}
	bp := &batchPlan{plan: p, x: p.Input(m.input...)}
	out := bp.x
	for _, l := range m.Layers() {
		out = l.Call(p, out)
	}
	bp.out = out
	if target != nil {
		if m.compiled == nil {
			return nil, fmt.Errorf("goras: the model must be compiled before it can be trained or evaluated; call Compile")
		}
		bp.y = &autograd.Var{Value: tensor.New(append([]int{batch}, target...)...)}
		bp.loss = m.compiled.loss.Build(p, out, bp.y)
	}
	m.keepPlan(key, bp)
	return bp, nil
}

// keepPlan completes bp (its regularized weights) and stores it under key.
func (m *Model) keepPlan(key planKey, bp *batchPlan) {
	for _, w := range m.params {
		if w.Regularizer != nil && w.Trainable {
			bp.reg = append(bp.reg, w)
		}
	}
	if m.plans == nil {
		m.plans = map[planKey]*batchPlan{}
	}
	m.plans[key] = bp
}

// penalty is the regularization part of the loss; with grads it also adds
// the penalties' gradients (after Backward, which zeroed them).
func (bp *batchPlan) penalty(grads bool) float64 {
	var s float64
	for _, w := range bp.reg {
		s += w.Regularizer.Penalty(w.Value.Data())
		if grads {
			w.Regularizer.AddGradient(w.Grad.Data(), w.Value.Data())
		}
	}
	return s
}
