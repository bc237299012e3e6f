package kernel

import "fmt"

// The backward sums of a batch normalization (GradSums, GradSumsReLU) read
// the gradient of its output, dy, for the whole batch: a pass over memory
// (for the bounty CNN's 128×28×28×32 layers, 12 MiB of dy and as much of
// x) right after the op that wrote dy, a convolution's input gradient or
// a pooling's, wrote it sample by sample. BNRuns lets that op take the
// sums of every run of colRun rows that lies within one sample while the
// sample is still in its cache; the normalization's pass then reads only
// the runs that straddle two samples. Each run's sums are the same
// float32 loop over the same rows, turned into float64 exactly, and are
// added in the same order (runs in chunk order, chunks in order), so the
// sums keep their bits.

// BNRuns holds the sums of one normalization's runs that lie within a
// sample, for GradSumsRuns. Sample may run on several goroutines at once,
// each for other samples.
type BNRuns struct {
	bn    *BatchNorm
	per   int       // rows per sample
	perCh int       // runs per chunk: ceil(bn.rows / colRun)
	part  []float64 // per run, in chunk order: n sums, then n dots

	// The normalization's operands, from Set.
	x, mean, scale, shift []float32
	relu                  bool
}

// NewRuns prepares the runs of bn's rows for samples of per rows each; per
// must divide bn's rows.
func (bn *BatchNorm) NewRuns(per int) *BNRuns {
	if per < 1 || bn.m%per != 0 {
		panic(fmt.Sprintf("kernel: BatchNorm.NewRuns: %d rows do not split into samples of %d", bn.m, per))
	}
	perCh := ceilDiv(bn.rows, colRun)
	return &BNRuns{bn: bn, per: per, perCh: perCh, part: make([]float64, bn.chunks*perCh*2*bn.n)}
}

// Set gives the normalization's operands of GradSums (x, mean) or, with
// relu, of GradSumsReLU (x, mean, scale, shift): Sample reads them. The
// slices are kept, so their values may change between steps.
func (r *BNRuns) Set(x, mean, scale, shift []float32, relu bool) {
	checkRows("BNRuns.Set", r.bn.m, r.bn.n, "x", x, "mean", mean)
	if relu {
		checkRows("BNRuns.Set", r.bn.m, r.bn.n, "scale", scale, "shift", shift)
	}
	r.x, r.mean, r.scale, r.shift, r.relu = x, mean, scale, shift, relu
}

// run is the extent of run j of chunk k, rows [r0, r1).
func (r *BNRuns) run(k, j int) (r0, r1 int) {
	c0 := k * r.bn.rows
	r0 = c0 + j*colRun
	return r0, min(r0+colRun, c0+r.bn.rows, r.bn.m)
}

// inside says whether rows [r0, r1) lie within one sample.
func (r *BNRuns) inside(r0, r1 int) bool { return r0/r.per == (r1-1)/r.per }

// Sample takes the sums of the runs within sample s, given dy's rows of
// that sample (per·n values).
func (r *BNRuns) Sample(s int, dy []float32) {
	n, a, b := r.bn.n, s*r.per, (s+1)*r.per
	if len(dy) < r.per*n {
		panic(fmt.Sprintf("kernel: BNRuns.Sample: %d values of dy, want %d", len(dy), r.per*n))
	}
	for k := a / r.bn.rows; k < r.bn.chunks && k*r.bn.rows < b; k++ {
		for j := 0; j < r.perCh; j++ {
			r0, r1 := r.run(k, j)
			if r0 >= r1 || r0 < a || r1 > b {
				continue
			}
			p := r.part[(k*r.perCh+j)*2*n:][:2*n]
			clear(p)
			r.sums(p[:n], p[n:], dy[(r0-a)*n:(r1-a)*n], r0, r1)
		}
	}
}

// sums adds the sums of rows [r0, r1) of dy (given from row r0 on) into
// sum and dot, as the normalization's pass does.
func (r *BNRuns) sums(sum, dot []float64, dy []float32, r0, r1 int) {
	n := r.bn.n
	x := r.x[r0*n : r1*n]
	// One run at most: its assembly loop first, without the exported
	// functions' checks at each run.
	switch {
	case r.relu:
		if !colDotsReLURun(sum, dot, dy, x, r.mean, r.scale, r.shift, r1-r0, n) {
			ColumnDotsReLU64(sum, dot, dy, x, r.mean, r.scale, r.shift, r1-r0, n)
		}
	case !colDotsRun(sum, dot, dy, x, r.mean, r1-r0, n):
		ColumnDots64(sum, dot, dy, x, r.mean, r1-r0, n)
	}
}

// GradSumsRuns is GradSums, or with r's relu GradSumsReLU, of dy and r's
// operands, once the op writing dy has given r every sample (Sample): the
// same bits, reading only the rows of runs that straddle two samples.
func (bn *BatchNorm) GradSumsRuns(sum, dot []float64, dy []float32, r *BNRuns) {
	checkRows("BatchNorm.GradSumsRuns", bn.m, bn.n, "sum", sum, "dot", dot, "dy", dy)
	if r == nil || r.bn != bn || r.x == nil {
		panic("kernel: BatchNorm.GradSumsRuns: runs of another normalization, or without Set")
	}
	bn.dy, bn.x, bn.runs = dy, r.x, r
	bn.run(bnDotsRuns)
	bn.runs = nil
	bn.combineDots(sum, dot)
}

// chunkRuns is bnDotsRuns's work on chunk k: its runs' sums, in order,
// into p1 and p2.
func (r *BNRuns) chunkRuns(p1, p2 []float64, dy []float32, k int) {
	n := r.bn.n
	clear(p1)
	clear(p2)
	for j := 0; j < r.perCh; j++ {
		r0, r1 := r.run(k, j)
		if r0 >= r1 {
			break
		}
		if !r.inside(r0, r1) {
			r.sums(p1, p2, dy[r0*n:r1*n], r0, r1)
			continue
		}
		q := r.part[(k*r.perCh+j)*2*n:][:2*n]
		for c := range n {
			p1[c] += q[c]
			p2[c] += q[n+c]
		}
	}
}

// check panics unless r serves samples of rows rows of c channels, n of
// them: op names the caller.
func (r *BNRuns) check(op string, n, rows, c int) {
	if r.per != rows || r.bn.n != c || r.bn.m != n*rows {
		panic(fmt.Sprintf("kernel: %s: runs of %d rows of %d channels in samples of %d, want %d samples of %d rows of %d", op, r.bn.m, r.bn.n, r.per, n, rows, c))
	}
}

// copyStraddles copies from src into dy, both sample s's rows, the rows
// that lie in runs straddling two samples: the only rows of dy that
// GradSumsRuns reads.
func (r *BNRuns) copyStraddles(dy, src []float32, s int) {
	n, a, b := r.bn.n, s*r.per, (s+1)*r.per
	for k := a / r.bn.rows; k < r.bn.chunks && k*r.bn.rows < b; k++ {
		for j := 0; j < r.perCh; j++ {
			r0, r1 := r.run(k, j)
			if r0 >= r1 || r1 <= a || r0 >= b || r.inside(r0, r1) {
				continue
			}
			lo, hi := max(r0, a)-a, min(r1, b)-a
			copy(dy[lo*n:hi*n], src[lo*n:hi*n])
		}
	}
}

// SetGradRuns has Backward and BackwardBN take r's sums from each sample
// of dx once they have written it (BNRuns.Sample), for the batch
// normalization that x is the output of, whose gradient dx is; nil for
// none. The caller must make this convolution the only writer of dx.
func (cv *Conv2D) SetGradRuns(r *BNRuns) {
	if r != nil {
		r.check("Conv2D.SetGradRuns", cv.n, cv.win.H*cv.win.W, cv.c)
	}
	cv.runs = r
}
