package goras

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// batchPlan is the model compiled for one batch size, with its input and
// target buffers, which Fit fills before each step.
type batchPlan struct {
	plan      *autograd.Plan
	xs        []*autograd.Var   // one per model input
	outs      []*autograd.Var   // one per model output
	ys        []*autograd.Var   // one per output, nil where no loss; all nil for prediction
	losses    []autograd.LossOp // the same
	reg       []*autograd.Param // weights with a regularizer
	rows      []int             // scratch for rowsFrom, one index per sample of the batch
	sw        []float32         // the batch's sample weights; nil in a plan without them
	perSample []float64         // scratch for each sample's loss, with sw
	lossOf    []float64         // each output's loss from the last loss call, for the tracker
	key       planKey
	used      uint64       // the cache's clock at the last use, for least recently used first
	period    uint64       // the cache's idle period at the last use
	gen       int          // the cache's generation the plan was built in
	seen      bool         // counted in the cache's bytes per sample
	split     predictSplit // PredictOnBatch's shares, when this plan runs the first (predict_split.go)
	normIn    int          // convolutions that apply the normalization before them (normInputs)
}

// planKey identifies a compiled plan: one per batch size, purpose and
// target shapes. Training plans also serve evaluation at the same batch
// size.
type planKey struct {
	batch    int
	train    bool
	targets  string // targetKey of the per-sample target shapes; "" for prediction
	weighted bool   // the losses weigh samples (sample_weight, class_weight)
}

// targetKey names a list of per-sample target shapes, e.g. "10;" or "10;1;".
// Fit makes it once, so that looking a plan up each step allocates nothing.
func targetKey(targets [][]int) string {
	var b strings.Builder
	for _, t := range targets {
		for i, d := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		b.WriteByte(';')
	}
	return b.String()
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

// plan returns the training (train) or evaluation plan for a batch size and
// d's per-sample target shapes and weighting, building it on first use.
func (m *Model) plan(batch int, train bool, d *dataSet) (*batchPlan, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	c := &m.plans
	c.mu.Lock()
	defer c.mu.Unlock()
	k := planKey{batch: batch, train: true, targets: d.key, weighted: d.weights != nil}
	bp, ok := c.plans[k]
	if !ok && !train {
		k.train = false
		bp, ok = c.plans[k]
	}
	if ok {
		c.touch(bp)
		return bp, nil
	}
	if !train && c.makeRoom(batch) {
		runtime.GC() // so that the new plan reuses what the dropped ones held
	}
	bp, err := m.newPlan(batch, train, d.targets, k.weighted)
	if err != nil {
		return nil, err
	}
	bp.key = k
	if c.plans == nil {
		c.plans = map[planKey]*batchPlan{}
	}
	c.plans[k] = bp
	if !train {
		c.keep(bp)
	}
	c.touch(bp)
	return bp, nil
}

// takePredictPlan hands out a prediction plan for a batch size that no
// other caller holds; givePredictPlan returns it.
func (m *Model) takePredictPlan(batch int) (*batchPlan, error) {
	c := &m.plans
	c.mu.Lock()
	gen := c.gen
	if free := c.predict[batch]; len(free) > 0 {
		bp := free[len(free)-1]
		c.predict[batch] = free[:len(free)-1]
		c.held -= bp.plan.Bytes()
		c.count--
		c.mu.Unlock()
		return bp, nil
	}
	gc := c.makeRoom(batch)
	c.mu.Unlock()
	if gc {
		runtime.GC() // so that the new plan reuses what the dropped ones held
	}
	bp, err := m.newPlan(batch, false, nil, false)
	if bp != nil {
		bp.gen = gen
	}
	return bp, err
}

func (m *Model) givePredictPlan(bp *batchPlan) { m.givePredictPlans(bp) }

// givePredictPlans returns the prediction plans one call took (the shares
// of a split batch): the cache's bounds never drop one of them for the
// others, so that a batch larger than the bounds still runs at full speed.
// It overwrites bps with those it keeps.
func (m *Model) givePredictPlans(bps ...*batchPlan) {
	c := &m.plans
	c.mu.Lock()
	n := 0
	for _, bp := range bps {
		if bp.gen != c.gen {
			continue // built for the model before Compile or a change
		}
		if c.predict == nil {
			c.predict = map[int][]*batchPlan{}
		}
		c.predict[bp.plan.Batch()] = append(c.predict[bp.plan.Batch()], bp)
		c.touch(bp)
		bps[n] = bp
		n++
	}
	c.keep(bps[:n]...)
	c.mu.Unlock()
}

// newPlan compiles the graph for one batch size: every layer call in order,
// then, given target shapes, a loss per output, weighing each sample's loss
// when weighted.
func (m *Model) newPlan(batch int, train bool, targets [][]int, weighted bool) (*batchPlan, error) {
	var p *autograd.Plan
	if train {
		p = autograd.NewPlan(batch)
		if donor := m.plans.trainingDonor(); donor != nil && shareTrainingPlans {
			p.ShareBuffers(donor) // see trainingDonor
		}
	} else {
		p = autograd.NewInferencePlan(batch)
	}
	bp := &batchPlan{plan: p}
	vals := make(map[*KerasTensor]*autograd.Var, len(m.nodes)+len(m.inputs))
	for _, in := range m.inputs {
		x := p.Input(in.shape...)
		bp.xs = append(bp.xs, x)
		vals[in] = x
	}
	// An inference plan reuses the buffer of a value once the last layer
	// reading it has been called (autograd's Scope and Release): readers
	// counts the calls left that read each value; outputs are never let go.
	readers := m.readers()
	var folds map[*KerasTensor]nodeFold // Conv2D → BatchNormalization → ReLU as one op (predict_fold.go)
	if !train {
		folds = m.inferenceFolds()
	}
	fused := m.trainingFolds(train) // BatchNormalization → ReLU as one op in training (train_fold.go)
	for _, t := range m.nodes {
		args := make([]*autograd.Var, 0, len(t.inputs)) // a layer may keep it
		for _, in := range t.inputs {
			args = append(args, vals[in])
		}
		s := p.Scope()
		// As Keras: a frozen BatchNormalization, or one in a frozen
		// Pipeline, runs in inference mode in training too, and its moving
		// statistics stay as they are.
		pl, pipeline := t.layer.(*layers.PipelineLayer)
		if pipeline && train && m.frozen[t.layer] {
			vals[t] = pl.CallFrozen(p, args[0])
		} else {
			vals[t] = fused.call(p, t, args, folds)
		}
		if _, bn := t.layer.(*layers.BatchNormLayer); bn && train && m.frozen[t.layer] {
			p.FreezeBatchNorm(vals[t])
		}
		p.EndScope(s, vals[t])
		for _, in := range t.inputs {
			if readers[in]--; readers[in] == 0 {
				p.Release(vals[in])
			}
		}
	}
	if train {
		bp.normIn = m.normInputs(p, vals, fused)
	}
	for _, o := range m.outputs {
		bp.outs = append(bp.outs, vals[o])
	}
	bp.ys = make([]*autograd.Var, len(m.outputs))
	bp.losses = make([]autograd.LossOp, len(m.outputs))
	bp.lossOf = make([]float64, len(m.outputs))
	if targets != nil {
		if weighted {
			bp.sw, bp.perSample = make([]float32, batch), make([]float64, batch)
		}
		if err := m.addLosses(bp, targets); err != nil {
			return nil, err
		}
	}
	// The weights trained, as Keras's regularization losses: a frozen
	// layer's regularizers add nothing to the loss.
	for _, w := range m.trainable() {
		if w.Regularizer != nil {
			bp.reg = append(bp.reg, w)
		}
	}
	return bp, nil
}

// readers counts, for every value of the graph, the layer calls that read
// it (twice for a call that takes it twice), plus one for each model
// output, so that an output never drops to 0.
func (m *Model) readers() map[*KerasTensor]int {
	n := make(map[*KerasTensor]int, len(m.nodes)+len(m.inputs))
	for _, t := range m.nodes {
		for _, in := range t.inputs {
			n[in]++
		}
	}
	for _, o := range m.outputs {
		n[o]++
	}
	return n
}

// addLosses puts each output's loss, scaled by its weight, at the end of
// the plan.
func (m *Model) addLosses(bp *batchPlan, targets [][]int) error {
	if m.compiled == nil {
		return fmt.Errorf("goras: the model must be compiled before it can be trained or evaluated; call Compile")
	}
	p, batch := bp.plan, bp.plan.Batch()
	for i, out := range bp.outs {
		loss := m.compiled.losses[i]
		if loss == nil {
			continue
		}
		bp.ys[i] = &autograd.Var{Value: tensor.New(append([]int{batch}, targets[i]...)...)}
		pred := out
		if w := m.compiled.weights[i]; w != 1 {
			// Only the gradient is scaled; the loss value is scaled where
			// the losses are added up, so that logs show each unweighted.
			pred = p.ScaleGradient(out, float32(w))
		}
		bp.losses[i] = loss.Build(p, bp.weighRows(i, pred), bp.ys[i])
		if bp.losses[i] == nil || !p.Contains(bp.losses[i]) {
			return fmt.Errorf("goras: loss %q added nothing to the plan, so it would train with loss 0; its Build must add its op with the plan's AddOp and return it", loss.Name())
		}
		if _, ok := bp.losses[i].(autograd.SampleLosser); bp.sw != nil && !ok {
			return fmt.Errorf("goras: loss %q cannot weigh samples (sample_weight, class_weight): its op does not say each sample's loss; give the op a SampleLosses method (autograd.SampleLosser)", loss.Name())
		}
	}
	return nil
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

// loss is the weighted sum of the outputs' losses computed by the last
// Forward (regularization not included).
func (bp *batchPlan) loss(weights []float64) float64 {
	var s float64
	for i, l := range bp.losses {
		if l != nil {
			bp.lossOf[i] = bp.outputLoss(i)
			s += weights[i] * bp.lossOf[i]
		}
	}
	return s
}
