package kernel

import "fmt"

// BatchNorm runs the passes of batch normalization over x (m, n), m rows
// (every sample, or every pixel of every sample in NHWC) of n channels, on
// the workers: the batch statistics, the normalization y = x·scale + shift,
// and the sums and the input gradient of the backward pass; the last
// three also fused with a ReLU that alone reads y (batchnorm_relu.go).
// Rows are split in chunks whose size depends on (m, n) alone; each
// chunk's sums go to slots of its own and are combined in chunk order, so
// the results are the same bits for any number of workers.
//
// A BatchNorm holds those slots, so its passes never allocate. It serves
// one shape, its methods must not run concurrently, and, as they use the
// workers, they must not be called from inside a Job.
type BatchNorm struct {
	m, n         int
	rows, chunks int       // rows per chunk, and chunks
	part         []float64 // per chunk, 2n values: sums, then squares or dots
	centre       []float32 // per chunk, n values: its mean, rounded

	// The operands of the pass under way, for bnJob.
	pass               bnPass
	x, y, dy, dx       []float32
	scale, shift, mean []float32
	a, b, d            []float32
	runs               *BNRuns // bnDotsRuns's (batchnorm_runs.go)
	job                bnJob
}

type bnPass int

const (
	bnStats  bnPass = iota // per-chunk sums and squared deviations of x
	bnAffine               // y = x·scale + shift
	bnDots                 // per-chunk Σ dy and Σ dy·(x - mean)
	bnGrad                 // dx += a·dy + b·(x - mean) + d

	// The same, fused with a ReLU that alone reads y (batchnorm_relu.go).
	bnAffineReLU // y = relu(x·scale + shift)
	bnDotsReLU   // bnDots of g = reluGrad(dy, x·scale + shift)
	bnGradReLU   // bnGrad of g

	// bnGrad and bnGradReLU setting dx to 0 + the sum (batchnorm_set.go).
	bnGradSet
	bnGradReLUSet

	// bnDots or bnDotsReLU with the sums of most runs already taken
	// (batchnorm_runs.go).
	bnDotsRuns
)

// bnChunkValues is about how many values one chunk of rows holds (256 KiB,
// so that a chunk read for its sums is still in L2 for its deviations).
const bnChunkValues = 1 << 16

// NewBatchNorm prepares the passes over x (m, n).
func NewBatchNorm(m, n int) *BatchNorm {
	if m < 0 || n < 1 {
		panic(fmt.Sprintf("kernel: NewBatchNorm: %d rows of %d channels", m, n))
	}
	bn := &BatchNorm{m: m, n: n}
	bn.rows = max(1, bnChunkValues/n)
	bn.chunks = max(1, (m+bn.rows-1)/bn.rows)
	bn.part = make([]float64, 2*bn.chunks*n)
	bn.centre = make([]float32, bn.chunks*n)
	bn.job = bnJob{bn}
	return bn
}

// Chunks returns how many chunks the rows are split into.
func (bn *BatchNorm) Chunks() int { return bn.chunks }

// run runs pass over every chunk, then drops the operands.
func (bn *BatchNorm) run(pass bnPass) {
	bn.pass = pass
	Parallel(bn.chunks, 1, bn.job)
	bn.x, bn.y, bn.dy, bn.dx = nil, nil, nil, nil
	bn.scale, bn.shift, bn.mean, bn.a, bn.b, bn.d = nil, nil, nil, nil, nil, nil
}

// bnJob runs the current pass over chunks [lo, hi). It is one pointer, so
// handing it to Parallel allocates nothing.
type bnJob struct{ bn *BatchNorm }

func (j bnJob) Run(lo, hi int) {
	bn := j.bn
	n := bn.n
	for k := lo; k < hi; k++ {
		r0, r1 := k*bn.rows, min(bn.m, (k+1)*bn.rows)
		rows := bn.x[r0*n : r1*n]
		p1, p2 := bn.part[2*k*n:(2*k+1)*n], bn.part[(2*k+1)*n:(2*k+2)*n]
		switch bn.pass {
		case bnStats:
			bn.chunkStats(k, rows)
		case bnAffine:
			ChannelAffine(bn.y[r0*n:r1*n], rows, bn.scale, bn.shift, r1-r0, n)
		case bnDots:
			clear(p1)
			clear(p2)
			ColumnDots64(p1, p2, bn.dy[r0*n:r1*n], rows, bn.mean, r1-r0, n)
		case bnGrad:
			BatchNormGrad(bn.dx[r0*n:r1*n], bn.dy[r0*n:r1*n], rows, bn.a, bn.b, bn.mean, bn.d, r1-r0, n)
		case bnAffineReLU:
			ChannelAffineReLU(bn.y[r0*n:r1*n], rows, bn.scale, bn.shift, r1-r0, n)
		case bnDotsReLU:
			clear(p1)
			clear(p2)
			ColumnDotsReLU64(p1, p2, bn.dy[r0*n:r1*n], rows, bn.mean, bn.scale, bn.shift, r1-r0, n)
		case bnGradReLU:
			BatchNormGradReLU(bn.dx[r0*n:r1*n], bn.dy[r0*n:r1*n], rows, bn.a, bn.b, bn.mean, bn.d, bn.scale, bn.shift, r1-r0, n)
		case bnGradSet:
			batchNormGradSet(bn.dx[r0*n:r1*n], bn.dy[r0*n:r1*n], rows, bn.a, bn.b, bn.mean, bn.d, r1-r0, n)
		case bnGradReLUSet:
			batchNormGradReLUSet(bn.dx[r0*n:r1*n], bn.dy[r0*n:r1*n], rows, bn.a, bn.b, bn.mean, bn.d, bn.scale, bn.shift, r1-r0, n)
		case bnDotsRuns:
			bn.runs.chunkRuns(p1, p2, bn.dy, k)
		}
	}
}

// chunkStats takes chunk k's sums, then its squared deviations from its
// own mean while the chunk, rows, is still in cache; Stats combines them.
func (bn *BatchNorm) chunkStats(k int, rows []float32) {
	n := bn.n
	r0, r1 := k*bn.rows, min(bn.m, (k+1)*bn.rows)
	p1, p2 := bn.part[2*k*n:(2*k+1)*n], bn.part[(2*k+1)*n:(2*k+2)*n]
	clear(p1)
	clear(p2)
	ColumnSums64(p1, rows, r1-r0, n)
	c := bn.centre[k*n : (k+1)*n]
	inv := 1 / float64(r1-r0)
	for ch, s := range p1 {
		c[ch] = float32(s * inv)
	}
	ColumnSquares64(p2, rows, c, r1-r0, n)
}

// Stats sets mean and variance (n each) to the per-channel mean and biased
// variance of x (m, n). Each chunk gives its sum S_k and its squared
// deviations Q_k from its own rounded mean c_k; then, in float64 and chunk
// order, mean = ΣS_k/m and
//
//	Σ(x - mean)² = Σ_k Q_k + 2(c_k - mean)(S_k - m_k·c_k) + m_k(c_k - mean)²,
//
// which is exact algebra, so the variance keeps the accuracy of two passes
// while x is read from memory once. A variance that rounding leaves below
// zero is 0.
func (bn *BatchNorm) Stats(mean, variance []float64, x []float32) {
	checkRows("BatchNorm.Stats", bn.m, bn.n, "mean", mean, "variance", variance, "x", x)
	bn.x = x
	bn.run(bnStats)
	bn.combineStats(mean, variance)
}

// combineStats sets mean and variance from the chunks' sums and squared
// deviations, as Stats says.
func (bn *BatchNorm) combineStats(mean, variance []float64) {
	n := bn.n
	mean, variance = mean[:n], variance[:n]
	clear(mean)
	clear(variance)
	for k := 0; k < bn.chunks; k++ {
		for c, s := range bn.part[2*k*n : (2*k+1)*n] {
			mean[c] += s
		}
	}
	inv := 1 / float64(bn.m)
	for c := range mean {
		mean[c] *= inv
	}
	for k := 0; k < bn.chunks; k++ {
		mk := float64(min(bn.m, (k+1)*bn.rows) - k*bn.rows)
		s, q := bn.part[2*k*n:(2*k+1)*n], bn.part[(2*k+1)*n:(2*k+2)*n]
		for c, ck := range bn.centre[k*n : (k+1)*n] {
			dc := float64(ck) - mean[c]
			variance[c] += q[c] + 2*dc*(s[c]-mk*float64(ck)) + mk*dc*dc
		}
	}
	for c, v := range variance {
		variance[c] = max(0, v*inv)
	}
}

// Affine sets y = x·scale + shift per channel, for x, y (m, n) and scale,
// shift (n), as ChannelAffine does.
func (bn *BatchNorm) Affine(y, x, scale, shift []float32) {
	checkRows("BatchNorm.Affine", bn.m, bn.n, "y", y, "x", x, "scale", scale, "shift", shift)
	bn.y, bn.x, bn.scale, bn.shift = y, x, scale, shift
	bn.run(bnAffine)
}

// GradSums sets, per channel, sum[c] = Σ_i dy[i, c] and
// dot[c] = Σ_i dy[i, c]·(x[i, c] - mean[c]), for dy, x (m, n), mean (n) and
// sum, dot (n): the gradients of the shift and, times 1/√(var+ε), of the
// scale.
func (bn *BatchNorm) GradSums(sum, dot []float64, dy, x, mean []float32) {
	checkRows("BatchNorm.GradSums", bn.m, bn.n, "sum", sum, "dot", dot, "dy", dy, "x", x, "mean", mean)
	bn.dy, bn.x, bn.mean = dy, x, mean
	bn.run(bnDots)
	bn.combineDots(sum, dot)
}

// combineDots sets sum and dot to the chunks' sums of the last bnDots or
// bnDotsReLU pass, added in chunk order.
func (bn *BatchNorm) combineDots(sum, dot []float64) {
	n := bn.n
	copy(sum[:n], bn.part[:n])
	copy(dot[:n], bn.part[n:2*n])
	for k := 1; k < bn.chunks; k++ {
		for c := range n {
			sum[c] += bn.part[2*k*n+c]
			dot[c] += bn.part[(2*k+1)*n+c]
		}
	}
}

// Grad adds the input gradient dx[i, c] += a[c]·dy[i, c] +
// b[c]·(x[i, c] - mean[c]) + d[c] to dx, for dx, dy, x (m, n) and a, b,
// mean, d (n), as BatchNormGrad does.
func (bn *BatchNorm) Grad(dx, dy, x, a, b, mean, d []float32) {
	checkRows("BatchNorm.Grad", bn.m, bn.n, "dx", dx, "dy", dy, "x", x, "a", a, "b", b, "mean", mean, "d", d)
	bn.dx, bn.dy, bn.x, bn.a, bn.b, bn.mean, bn.d = dx, dy, x, a, b, mean, d
	bn.run(bnGrad)
}
