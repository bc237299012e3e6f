package goras

import (
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// splitMinRows is the fewest samples of a share when PredictOnBatch splits
// a batch: below it a share's ops are too short for a second core to pay
// for handing it over.
const splitMinRows = 64

// splitOff turns the split off, for tests and measurements that compare.
var splitOff bool

// predictShares is how many shares PredictOnBatch splits n samples into:
// one per worker, each of at least splitMinRows samples; 1 means none.
func predictShares(n int) int {
	if splitOff {
		return 1
	}
	return max(1, min(kernel.Workers(), n/splitMinRows))
}

// predictSplit is a PredictOnBatch split into shares of the batch's
// samples, each run by its own plan on its own core (kernel.Fork). Some
// ops run on the calling goroutine alone: the product of a Dense layer on
// mostly-zero inputs, softmax, bias and activation passes, and the copy of
// the input; for the course MLP they are all of the work, so a batch of
// 1000 ran on one core of two. Each sample's output does not depend on the
// samples beside it, so a split batch gives what the whole batch gives.
// It lives in the plan of the first share, which the call holds alone, so
// that a split allocates nothing.
type predictSplit struct {
	plans  []*batchPlan // one per share, the first the holder
	x, out []float32    // the whole batch's input and output
	n      int          // its samples
	bad    []error      // per share: a NaN or ±Inf in its input
	failed []error      // per share: a failure of its forward pass
}

// rows is the samples [lo, hi) of share i.
func (s *predictSplit) rows(i int) (lo, hi int) {
	return s.n * i / len(s.plans), s.n * (i + 1) / len(s.plans)
}

// predictSplit runs x (n samples) in shares and writes out, as
// PredictOnBatch does in one plan.
func (m *Model) predictSplit(out, x *tensor.Tensor, shares int) error {
	n := x.Dim(0)
	first, err := m.takePredictPlan(n / shares)
	if err != nil {
		return err
	}
	defer m.givePredictPlan(first)
	s := &first.split
	s.plans = append(s.plans[:0], first)
	s.bad, s.failed = noErrors(s.bad, shares), noErrors(s.failed, shares)
	s.x, s.out, s.n = x.Data(), out.Data(), n
	defer func() {
		for _, bp := range s.plans[1:] {
			m.givePredictPlan(bp)
		}
		clear(s.plans) // nothing kept alive by the holder once dropped from the cache
		s.plans, s.x, s.out = s.plans[:0], nil, nil
	}()
	for i := 1; i < shares; i++ {
		lo, hi := s.n*i/shares, s.n*(i+1)/shares
		bp, err := m.takePredictPlan(hi - lo)
		if err != nil {
			return err
		}
		s.plans = append(s.plans, bp)
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

// noErrors returns n nil errors in e's storage, grown when too short.
func noErrors(e []error, n int) []error {
	if cap(e) < n {
		return make([]error, n)
	}
	e = e[:n]
	clear(e)
	return e
}

// Run runs shares [lo, hi): each copies and checks its samples, runs its
// plan and writes its outputs.
func (s *predictSplit) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		bp := s.plans[i]
		r0, r1 := s.rows(i)
		in := bp.xs[0].Value.Data()
		per := len(in) / (r1 - r0)
		if at := kernel.CopyFinite(in, s.x[r0*per:r1*per]); at >= 0 {
			s.bad[i] = nonFinite("predict_on_batch", 0, r0+at/per, at%per, in[at])
			continue
		}
		if s.failed[i] = bp.forward(func() {}); s.failed[i] != nil {
			continue
		}
		res := bp.outs[0].Value.Data()
		copy(s.out[r0*(len(res)/(r1-r0)):], res)
	}
}
