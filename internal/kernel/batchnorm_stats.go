package kernel

import (
	"fmt"
	"sync/atomic"
)

// A batch normalization's training forward pass starts with its batch
// statistics (Stats): a pass over its input, read back from memory right
// after the convolution before it wrote it, sample by sample. BNStats lets
// that convolution take the statistics of each chunk of rows as soon as
// the last sample overlapping the chunk is written, by the worker that
// wrote it: its workers write contiguous runs of samples, so most of the
// chunk is still in that worker's cache. Each chunk's sums are the same
// loops over the same rows (chunkStats) and are combined in chunk order as
// before, so the statistics keep their bits.

// BNStats holds the count of samples each chunk still waits for, while a
// convolution's Forward writes the normalization's input.
type BNStats struct {
	bn      *BatchNorm
	per     int            // rows per sample
	pending []atomic.Int32 // per chunk, the samples overlapping it not yet written
	x       []float32      // the input being written, from start
}

// NewStats prepares the statistics of bn's rows for samples of per rows
// each; per must divide bn's rows.
func (bn *BatchNorm) NewStats(per int) *BNStats {
	if per < 1 || bn.m%per != 0 {
		panic(fmt.Sprintf("kernel: BatchNorm.NewStats: %d rows do not split into samples of %d", bn.m, per))
	}
	return &BNStats{bn: bn, per: per, pending: make([]atomic.Int32, bn.chunks)}
}

// start resets the counts for a pass that writes x.
func (s *BNStats) start(x []float32) {
	s.x = x
	for k := range s.pending {
		r0, r1 := k*s.bn.rows, min(s.bn.m, (k+1)*s.bn.rows)
		s.pending[k].Store(int32((r1-1)/s.per - r0/s.per + 1))
	}
}

// written records that sample i of x is written, and takes the statistics
// of every chunk that no longer waits for a sample.
func (s *BNStats) written(i int) {
	bn, n := s.bn, s.bn.n
	a, b := i*s.per, (i+1)*s.per
	for k := a / bn.rows; k < bn.chunks && k*bn.rows < b; k++ {
		if s.pending[k].Add(-1) == 0 {
			r0, r1 := k*bn.rows, min(bn.m, (k+1)*bn.rows)
			bn.chunkStats(k, s.x[r0*n:r1*n])
		}
	}
}

// check panics unless s serves n samples of rows rows of c channels; op
// names the caller.
func (s *BNStats) check(op string, n, rows, c int) {
	if s.per != rows || s.bn.n != c || s.bn.m != n*rows {
		panic(fmt.Sprintf("kernel: %s: statistics of %d rows of %d channels in samples of %d, want %d samples of %d rows of %d", op, s.bn.m, s.bn.n, s.per, n, rows, c))
	}
}

// StatsTaken is Stats of the input whose samples a convolution's Forward
// just wrote with s (Conv2D.SetOutputStats): the same bits, the chunks'
// sums already taken.
func (bn *BatchNorm) StatsTaken(mean, variance []float64, s *BNStats) {
	checkRows("BatchNorm.StatsTaken", bn.m, bn.n, "mean", mean, "variance", variance)
	if s == nil || s.bn != bn {
		panic("kernel: BatchNorm.StatsTaken: statistics of another normalization")
	}
	for k := range s.pending {
		if s.pending[k].Load() != 0 {
			panic(fmt.Sprintf("kernel: BatchNorm.StatsTaken: chunk %d still waits for %d samples; the convolution's Forward did not write them with these statistics", k, s.pending[k].Load()))
		}
	}
	bn.combineStats(mean, variance)
}

// TakesStats says whether SetOutputStats applies: on the shifted path with
// whole samples per forward unit (batches of 4 samples or more).
func (cv *Conv2D) TakesStats() bool { return cv.shifted && cv.srb == cv.oh }

// SetOutputStats has Forward take s's chunk statistics of y as it writes
// each sample (BatchNorm.StatsTaken then combines them), for the batch
// normalization y is the input of; nil for none. It panics where
// TakesStats is false or s is of another shape.
func (cv *Conv2D) SetOutputStats(s *BNStats) {
	if s != nil && !cv.TakesStats() {
		panic("kernel: Conv2D.SetOutputStats: the convolution does not write whole samples per unit (TakesStats)")
	}
	cv.setOutputStats("Conv2D.SetOutputStats", s)
}

// setOutputStats is SetOutputStats once the path takes them (op names the
// caller): Conv2D's and Conv2DBF16's.
func (cv *Conv2D) setOutputStats(op string, s *BNStats) {
	if s != nil {
		s.check(op, cv.n, cv.oh*cv.ow, cv.f)
	}
	cv.stats = s
}
