package goras

import (
	"runtime"
	"sync/atomic"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// chunkBytes is the most a chunk's largest value may take: about one
// core's L2 cache, so that a chunk's activations are written and read
// again there instead of in memory.
var chunkBytes = 1 << 20

// chunkRows is how many samples each chunk of a split PredictOnBatch
// batch of n samples takes, or 0 to split it into shares, one per worker,
// as before: a model whose largest value of one sample is large (the
// 100 KB of a 32-channel 28×28 convolution) runs its batch in chunks that
// keep that value in a core's cache, where a share of 500 samples wrote
// 50 MB to memory and read it back per layer.
func (m *Model) chunkRows(n, shares int) int {
	largest := 1
	for _, t := range m.nodes {
		largest = max(largest, tensor.Numel(t.shape))
	}
	rows := max(1, chunkBytes/(4*largest))
	if rows >= ceilDivInt(n, shares) {
		return 0
	}
	// As many chunks as a whole number of rounds of the workers, so that
	// no worker is left with one more chunk than the others when they are
	// few; equal chunks then, all but the last.
	tasks := ceilDivInt(ceilDivInt(n, rows), shares) * shares
	return ceilDivInt(n, tasks)
}

// ceilDivInt is ⌈a/b⌉ for a ≥ 0 and b > 0. Not (a+b-1)/b, which
// overflows for a batch size near math.MaxInt (BatchSize(math.MaxInt) for
// "all at once"): it gave 0 steps, and Predict zeros, Evaluate a loss of 0.
func ceilDivInt(a, b int) int { return a/b + min(a%b, 1) }

// predictChunks is a PredictOnBatch batch cut into chunks of rows samples,
// the last maybe fewer, run on the workers through kernel.Fork: each
// worker takes the next chunk as it frees itself, so a core slowed by
// other work takes fewer. A chunk runs in one of the plans of rows
// samples, one per worker, or in last's. Each sample's output does not
// depend on the samples beside it, so the bits are those of one plan.
type predictChunks struct {
	plans  []*batchPlan // of rows samples, as many as may run at once
	busy   [maxShares]atomic.Bool
	last   *batchPlan // of the last chunk's n%rows samples; nil when rows divides n
	rows   int
	n, lo  int       // the batch's samples, and its first one's index in outs and x
	x      []float32 // the input
	method string    // the caller's name, for errors
	outs   []*tensor.Tensor
	bad    []error // per chunk: the first NaN or ±Inf of its input
	failed []error // per chunk: a failure of its forward pass
}

// chunkBatch runs samples lo... (n of them) of the input x in chunks of
// rows samples and writes their outputs to the same rows of outs.
func (m *Model) chunkBatch(outs []*tensor.Tensor, method string, x []float32, lo, n, rows int) error {
	tasks := ceilDivInt(n, rows)
	run := min(kernel.Workers(), tasks, maxShares)
	first, err := m.takePredictPlan(rows)
	if err != nil {
		return err
	}
	c := &first.split.chunks
	c.plans = append(c.plans[:0], first)
	defer func() {
		// As splitBatch: every plan goes back, from a copy.
		var taken [maxShares + 1]*batchPlan
		k := copy(taken[:], c.plans)
		if c.last != nil {
			taken[k] = c.last
			k++
		}
		clear(c.plans)
		clear(c.outs)
		c.plans, c.outs, c.x, c.last = c.plans[:0], c.outs[:0], nil, nil
		m.givePredictPlans(taken[:k]...)
	}()
	for len(c.plans) < run {
		bp, err := m.takePredictPlan(rows)
		if err != nil {
			return err
		}
		c.plans = append(c.plans, bp)
	}
	if r := n % rows; r != 0 {
		if c.last, err = m.takePredictPlan(r); err != nil {
			return err
		}
	}
	c.rows, c.n, c.lo, c.x, c.method, c.outs = rows, n, lo, x, method, append(c.outs[:0], outs...)
	c.bad, c.failed = noErrors(c.bad, tasks), noErrors(c.failed, tasks)
	kernel.Fork(tasks, c)
	for _, errs := range [][]error{c.bad, c.failed} { // the first bad sample first, as in one plan
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Run runs chunks [lo, hi): each copies and checks its samples, runs a
// free plan and writes its outputs.
func (c *predictChunks) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		r0 := i * c.rows
		r1 := min(c.n, r0+c.rows)
		bp, slot := c.last, -1
		if r1-r0 == c.rows {
			bp, slot = c.take()
		}
		c.runChunk(bp, i, r0, r1)
		if slot >= 0 {
			c.busy[slot].Store(false)
		}
	}
}

// take returns a plan of rows samples no other chunk is running, and its
// slot. Fork runs at most Workers() chunks at once and there are as many
// plans, so one is free unless the workers grew since; then it waits.
func (c *predictChunks) take() (*batchPlan, int) {
	for {
		for k, bp := range c.plans {
			if c.busy[k].CompareAndSwap(false, true) {
				return bp, k
			}
		}
		runtime.Gosched()
	}
}

// runChunk runs samples [r0, r1), chunk i, in bp.
func (c *predictChunks) runChunk(bp *batchPlan, i, r0, r1 int) {
	if c.bad[i] = bp.copyFinite(c.method, 0, c.x, c.lo+r0, c.lo+r1); c.bad[i] != nil {
		return
	}
	if c.failed[i] = bp.forward(func() {}); c.failed[i] != nil {
		return
	}
	for j, o := range bp.outs {
		res := o.Value.Data()
		copy(c.outs[j].Data()[(c.lo+r0)*(len(res)/(r1-r0)):], res)
	}
}
