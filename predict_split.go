package goras

import (
	"fmt"
	"runtime/debug"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// splitMinRows is the fewest samples of a share when a prediction batch
// is split: below it a share's ops are too short for a second core to pay
// for handing it over.
const splitMinRows = 64

// splitOff turns the split off, for tests and measurements that compare.
var splitOff bool

// predictShares is how many shares a prediction batch of n samples is
// split into: one per worker, each of at least splitMinRows samples; 1
// means none.
func predictShares(n int) int {
	if splitOff || n < 2*splitMinRows {
		return 1 // before asking Workers, which takes the scheduler's lock
	}
	return max(1, min(kernel.Workers(), n/splitMinRows, maxShares))
}

// maxShares bounds the shares of a batch, so that a call can hold their
// plans in an array of its own.
const maxShares = 16

// predictSplit is a prediction batch (PredictOnBatch's, or one of
// Predict's) split into shares of its samples, each run by its own plan
// on its own core (kernel.Fork). Some ops run on the calling goroutine
// alone: the product of a Dense layer on mostly-zero inputs, softmax, bias
// and activation passes, the copy of the input; for the course MLP they
// are all of the work, so a batch of 1000 ran on one core of two. Each
// sample's output does not depend on the samples beside it, so a split
// batch gives the bits the whole batch gives. It lives in the plan of the
// first share, which the call holds alone, so that a split allocates
// nothing.
type predictSplit struct {
	plans  []*batchPlan     // one per share, the first the holder
	n, lo  int              // the batch's samples, and its first one's index in outs and x
	x      []float32        // the input, copied and checked by each share; nil when gathered
	d      *dataSet         // the inputs each share gathers itself (gatherConcurrently); nil otherwise
	method string           // the caller's name, for errors
	outs   []*tensor.Tensor // one per model output, written at rows lo...
	bad    []error          // per share: a NaN or ±Inf in its input
	failed []error          // per share: a failure of its forward pass
	chunks predictChunks    // PredictOnBatch's chunks, when it cuts the batch finer (chunkBatch)
}

// rows is the samples [lo, hi) of share i, counted from the batch's first.
func (s *predictSplit) rows(i int) (lo, hi int) {
	return s.n * i / len(s.plans), s.n * (i + 1) / len(s.plans)
}

// splitBatch runs samples lo... (n of them) in shares and writes their
// outputs to the same rows of outs. x is a single input tensor's data,
// whose samples each share copies and checks itself, or nil with d, whose
// samples are gathered by the caller's goroutine (Data does not promise
// that Gather may run concurrently); method names the caller in errors.
func (m *Model) splitBatch(outs []*tensor.Tensor, method string, x []float32, d *dataSet, lo, n, shares int) error {
	if x != nil {
		if rows := m.chunkRows(n, shares); rows > 0 {
			return m.chunkBatch(outs, method, x, lo, n, rows)
		}
	}
	first, err := m.takePredictPlan(n / shares)
	if err != nil {
		return err
	}
	s := &first.split
	s.plans = append(s.plans[:0], first)
	s.bad, s.failed = noErrors(s.bad, shares), noErrors(s.failed, shares)
	s.n, s.lo, s.x, s.method, s.outs = n, lo, x, method, append(s.outs[:0], outs...)
	defer func() {
		// The plans go back together (the cache keeps all of a call's),
		// from a copy: once first is back another call may take it and
		// its split. Nothing stays alive through the holder.
		var taken [maxShares]*batchPlan
		k := copy(taken[:], s.plans)
		clear(s.plans)
		clear(s.outs)
		s.plans, s.outs, s.x, s.d = s.plans[:0], s.outs[:0], nil, nil
		m.givePredictPlans(taken[:k]...)
	}()
	for i := 1; i < shares; i++ {
		r0, r1 := n*i/shares, n*(i+1)/shares
		bp, err := m.takePredictPlan(r1 - r0)
		if err != nil {
			return err
		}
		s.plans = append(s.plans, bp)
	}
	switch {
	case x == nil && d.gatherConcurrently():
		s.d = d
	case x == nil:
		if err := s.gather(d); err != nil {
			return err
		}
	}
	kernel.Fork(shares, s)
	for _, errs := range [][]error{s.bad, s.failed} { // the first bad sample first, as in one plan
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// gather fills every share's plan with its samples of d and checks them
// for NaN and ±Inf, input by input (the first bad sample of input 0 is
// reported first, as in one plan), in one pass when every input is a
// tensor (copyFinite); a panic of a Gather comes back as an error, as the
// forward pass's do.
func (s *predictSplit) gather(d *dataSet) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("goras: predict failed: %v\n%s", r, debug.Stack())
		}
	}()
	if d.allTensors() {
		for j, xj := range d.xs {
			for i, bp := range s.plans {
				r0, r1 := s.rows(i)
				if err := bp.copyFinite("predict", j, xj.(*tensor.Tensor).Data(), s.lo+r0, s.lo+r1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for i, bp := range s.plans {
		r0, _ := s.rows(i)
		bp.gather(d, bp.rowsFrom(s.lo+r0))
	}
	for j, xj := range d.xs {
		for i, bp := range s.plans {
			r0, _ := s.rows(i)
			if err := bp.checkFinite("predict", xj, j, s.lo+r0); err != nil {
				return err
			}
		}
	}
	return nil
}

// gatherShare gathers share i's samples of s.d into its plan and checks
// them for NaN and ±Inf, on the worker that runs the share; a panic of a
// Gather comes back as an error, as in gather.
func (s *predictSplit) gatherShare(i int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("goras: predict failed: %v\n%s", r, debug.Stack())
		}
	}()
	bp := s.plans[i]
	r0, _ := s.rows(i)
	bp.gather(s.d, bp.rowsFrom(s.lo+r0))
	for j, xj := range s.d.xs {
		if err := bp.checkFinite(s.method, xj, j, s.lo+r0); err != nil {
			return err
		}
	}
	return nil
}

// noErrors returns n nil errors in e's storage, grown when too short.
func noErrors(e []error, n int) []error {
	if cap(e) < n {
		return make([]error, n)
	}
	e = e[:n]
	clear(e)
	return e
}

// Run runs shares [lo, hi): each copies and checks its samples (when
// given x), runs its plan and writes its outputs.
func (s *predictSplit) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		bp := s.plans[i]
		r0, r1 := s.rows(i)
		if s.x != nil {
			if s.bad[i] = bp.copyFinite(s.method, 0, s.x, s.lo+r0, s.lo+r1); s.bad[i] != nil {
				continue
			}
		}
		if s.d != nil {
			if s.bad[i] = s.gatherShare(i); s.bad[i] != nil {
				continue
			}
		}
		if s.failed[i] = bp.forward(func() {}); s.failed[i] != nil {
			continue
		}
		for j, o := range bp.outs {
			res := o.Value.Data()
			copy(s.outs[j].Data()[(s.lo+r0)*(len(res)/(r1-r0)):], res)
		}
	}
}
