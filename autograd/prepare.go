package autograd

import "github.com/goras-ml/goras/internal/kernel"

// Some of a training step's work depends on the plan's inputs alone: the
// course MLP's first Dense layer transposes its input batch for the sparse
// weight gradient (xᵀ·dy), 11 % of its 86 µs step, and its two sparse
// products spend about a third of their time finding the non-zeros of x and
// xᵀ. Plan.Prepare lets such ops do it as soon as the inputs are filled,
// before Forward, so that a caller with an idle core (Fit, which gathers
// the next batch on another goroutine while a step runs) can do it there,
// off the step's path. Forward and Backward then use what Prepare made,
// with the same bits.

// preparer is an op that can do work ahead from the plan's inputs.
type preparer interface {
	// prepare does the work from the inputs now in the plan; the next
	// Backward uses it, once.
	prepare()
	// unprepare drops it: the inputs are being rewritten.
	unprepare()
}

// Prepare lets the plan's ops do, from the inputs now filled, work the next
// Forward and Backward would otherwise do themselves (the inputs must not
// change before them, or Unprepare must be called). It changes no result
// and may run on another goroutine than the one that steps the plan, as
// long as the plan is not running meanwhile.
func (p *Plan) Prepare() {
	if p.noGrad {
		return
	}
	for _, op := range p.ops {
		if q, ok := op.(preparer); ok {
			q.prepare()
		}
	}
}

// Unprepare drops what Prepare did: call it before rewriting the plan's
// inputs without calling Prepare again.
func (p *Plan) Unprepare() {
	for _, op := range p.ops {
		if q, ok := op.(preparer); ok {
			q.unprepare()
		}
	}
}

// prepare lists the non-zeros of x and of its transpose for the sparse
// forward product and weight gradient (kernel.SparseRows) when x is a plan
// input that Forward would find mostly zeros (the same test, on the same
// data).
func (o *matMul) prepare() {
	o.prepared, o.rowsReady = false, false
	if !o.x.input || o.y.Grad == nil || o.w.Grad == nil || o.bf16 || !kernel.SparseSupported() {
		return
	}
	x := o.x.Value.Data()
	if !kernel.PreferSparse(o.m, o.k, x, o.k) {
		return
	}
	o.makeWork()
	if o.rows == nil {
		o.rows, o.rowsT = kernel.NewSparseRows(o.m, o.k), kernel.NewSparseRows(o.k, o.m)
	}
	o.rows.Compress(x, o.k)
	kernel.SparseTransposeA(o.m, o.k, x, o.k, o.work)
	o.rowsT.Compress(o.work[:o.k*o.m], o.m)
	o.prepared, o.rowsReady = true, true
}

func (o *matMul) unprepare() { o.prepared, o.rowsReady = false, false }

// makeWork makes the sparse products' buffer on the first step whatever
// the data, so that data turning sparse later in training (activations of
// a hidden layer) cannot make a later step allocate.
func (o *matMul) makeWork() {
	if o.work == nil && !o.bf16 && kernel.SparseSupported() {
		o.work = make([]float32, kernel.SparseWorkLen(o.m, o.k, o.y.Grad != nil && o.w.Grad != nil))
	}
}

// packWork is the forward sparse product's packing buffer: the end of
// work, past the room for xᵀ at its start, which Prepare may have filled
// for the coming Backward (packing W there would overwrite it).
func (o *matMul) packWork() []float32 {
	return o.work[len(o.work)-kernel.SparseWorkLen(o.m, o.k, false):]
}
