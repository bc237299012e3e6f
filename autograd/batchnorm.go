package autograd

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/internal/kernel"
)

// batchNorm is Keras's BatchNormalization over the last axis of x (m rows
// of n channels; for NHWC images the rows are every (sample, y, x)):
//
//	training:  y = γ·(x - μ_B)/√(σ²_B + ε) + β, with the batch's mean μ_B and
//	           biased variance σ²_B per channel, and the moving statistics
//	           moved toward them: moving = moving·momentum + batch·(1-momentum);
//	inference: y = γ·(x - moving_mean)/√(moving_variance + ε) + β.
//
// γ (gamma) or β (beta) may be nil (scale=False, center=False in Keras): then
// they act as 1 and 0.
type batchNorm struct {
	x, y                  *Var
	gamma, beta           *Param
	movingMean, movingVar *Param
	momentum, epsilon     float64
	m, n                  int

	// Per channel, from the last Forward: the mean it subtracted and
	// 1/√(var+ε) it multiplied by (batch or moving statistics). Backward
	// recomputes x̂ = (x - mean)·invStd from x, which the plan keeps until
	// then, rather than storing a copy of the input's size.
	mean, invStd []float64
	mean32       []float32 // mean rounded, as the row loops subtract it
	scale, shift []float32 // y = x·scale + shift
	a, b, d      []float32 // dx += a·dy + b·(x - mean) + d
	training     bool      // the last Forward used batch statistics

	// The row passes run on the kernel pool in chunks of rows rows, a
	// number fixed by the shape alone; each chunk's sums go to its own
	// slots of part (3n float64: sum, squares or dot, unused) and centre (n
	// float32), and are combined in chunk order, so the results are the
	// same bits for any number of workers.
	rows, chunks int
	part         []float64
	centre       []float32
	pass         bnPass
	job          bnJob
}

type bnPass int

const (
	bnStats  bnPass = iota // per-chunk sums and squared deviations of x
	bnAffine               // y = x·scale + shift
	bnDots                 // per-chunk Σ dy and Σ dy·(x - mean)
	bnGrad                 // dx += a·dy + b·(x - mean) + d
)

// bnJob runs the current pass over chunks [lo, hi).
type bnJob struct{ o *batchNorm }

func (j bnJob) Run(lo, hi int) {
	o := j.o
	n := o.n
	x := o.x.Value.Data()
	for k := lo; k < hi; k++ {
		r0, r1 := k*o.rows, min(o.m, (k+1)*o.rows)
		xs := x[r0*n : r1*n]
		p1, p2 := o.part[3*k*n:(3*k+1)*n], o.part[(3*k+1)*n:(3*k+2)*n]
		switch o.pass {
		case bnStats:
			// Sums, then squared deviations from the chunk's own mean
			// while the chunk is still in cache; combined exactly later.
			clear(p1)
			clear(p2)
			kernel.ColumnSums64(p1, xs, r1-r0, n)
			c := o.centre[k*n : (k+1)*n]
			inv := 1 / float64(r1-r0)
			for ch, s := range p1 {
				c[ch] = float32(s * inv)
			}
			kernel.ColumnSquares64(p2, xs, c, r1-r0, n)
		case bnAffine:
			kernel.ChannelAffine(o.y.Value.Data()[r0*n:r1*n], xs, o.scale, o.shift, r1-r0, n)
		case bnDots:
			clear(p1)
			clear(p2)
			kernel.ColumnDots64(p1, p2, o.y.Grad.Data()[r0*n:r1*n], xs, o.mean32, r1-r0, n)
		case bnGrad:
			kernel.BatchNormGrad(o.x.Grad.Data()[r0*n:r1*n], o.y.Grad.Data()[r0*n:r1*n], xs, o.a, o.b, o.mean32, o.d, r1-r0, n)
		}
	}
}

// bnChunkValues is about how many values one chunk of rows holds (256 KiB,
// so that a chunk read for its sums is still in L2 for its deviations).
const bnChunkValues = 1 << 16

func (o *batchNorm) run(pass bnPass) {
	o.pass = pass
	kernel.Parallel(o.chunks, 1, o.job)
}

// BatchNorm normalizes x over its last axis. movingMean and movingVar (n
// values each) are read at inference and updated by every training Forward;
// gamma and beta (n values each, or nil) are the learned scale and offset.
// Keras's defaults are momentum 0.99 and epsilon 1e-3.
func (p *Plan) BatchNorm(x *Var, gamma, beta, movingMean, movingVar *Param, momentum, epsilon float64) *Var {
	m, n := rows(mustShape("BatchNorm", x, 2))
	for _, w := range []*Param{gamma, beta, movingMean, movingVar} {
		if w != nil && w.Value.Len() != n {
			panic(fmt.Sprintf("autograd: BatchNorm of %v with %s of shape %v", x.Shape(), w.Name, w.Value.Shape()))
		}
	}
	if movingMean == nil || movingVar == nil || epsilon <= 0 {
		panic(fmt.Sprintf("autograd: BatchNorm needs moving statistics and epsilon > 0, got epsilon %v", epsilon))
	}
	op := &batchNorm{
		x: x, gamma: gamma, beta: beta, movingMean: movingMean, movingVar: movingVar,
		momentum: momentum, epsilon: epsilon, m: m, n: n,
		mean: make([]float64, n), invStd: make([]float64, n), mean32: make([]float32, n),
		scale: make([]float32, n), shift: make([]float32, n),
		a: make([]float32, n), b: make([]float32, n), d: make([]float32, n),
	}
	op.rows = max(1, bnChunkValues/max(1, n))
	op.chunks = max(1, (m+op.rows-1)/op.rows)
	op.part = make([]float64, 3*op.chunks*n)
	op.centre = make([]float32, op.chunks*n)
	op.job = bnJob{op}
	needGrad := x.Grad != nil
	for _, w := range []*Param{gamma, beta} {
		if w != nil {
			needGrad = needGrad || w.Grad != nil
			p.Use(w)
		}
	}
	op.y = p.newVar(op, needGrad, x.Shape()...)
	p.add(op)
	return op.y
}

func (o *batchNorm) Forward(training bool) {
	o.training = training
	if training {
		o.batchStatistics()
	} else {
		mm, mv := o.movingMean.Value.Data(), o.movingVar.Value.Data()
		for c := range o.mean {
			o.mean[c] = float64(mm[c])
			o.invStd[c] = 1 / math.Sqrt(float64(mv[c])+o.epsilon)
		}
	}
	for c := range o.mean {
		sc := o.gammaAt(c) * o.invStd[c]
		o.mean32[c] = float32(o.mean[c])
		o.scale[c] = float32(sc)
		o.shift[c] = float32(o.betaAt(c) - o.mean[c]*sc)
	}
	o.run(bnAffine)
}

// gammaAt and betaAt are γ and β of channel c, 1 and 0 when absent.
func (o *batchNorm) gammaAt(c int) float64 {
	if o.gamma == nil {
		return 1
	}
	return float64(o.gamma.Value.Data()[c])
}

func (o *batchNorm) betaAt(c int) float64 {
	if o.beta == nil {
		return 0
	}
	return float64(o.beta.Value.Data()[c])
}

// batchStatistics sets mean and invStd from the batch and moves the moving
// statistics toward them. Each chunk gives its sum S_k and its squared
// deviations Q_k from its own rounded mean c_k; then, in float64 and chunk
// order, mean = ΣS_k/m and
//
//	Σ(x - mean)² = Σ_k Q_k + 2(c_k - mean)(S_k - m_k·c_k) + m_k(c_k - mean)²,
//
// which is exact algebra, so the variance keeps the accuracy of two passes
// while x is read from memory once.
func (o *batchNorm) batchStatistics() {
	o.run(bnStats)
	n := o.n
	mean, v := o.mean, o.invStd // invStd holds the variance until the end
	clear(mean)
	clear(v)
	for k := 0; k < o.chunks; k++ {
		for c, s := range o.part[3*k*n : (3*k+1)*n] {
			mean[c] += s
		}
	}
	inv := 1 / float64(o.m)
	for c := range mean {
		mean[c] *= inv
	}
	for k := 0; k < o.chunks; k++ {
		mk := float64(min(o.m, (k+1)*o.rows) - k*o.rows)
		s, q := o.part[3*k*n:(3*k+1)*n], o.part[(3*k+1)*n:(3*k+2)*n]
		for c, ck := range o.centre[k*n : (k+1)*n] {
			dc := float64(ck) - mean[c]
			v[c] += q[c] + 2*dc*(s[c]-mk*float64(ck)) + mk*dc*dc
		}
	}
	mm, mv := o.movingMean.Value.Data(), o.movingVar.Value.Data()
	for c := range v {
		vc := max(0, v[c]*inv) // biased, as Keras uses for both normalizing and the moving variance
		o.invStd[c] = 1 / math.Sqrt(vc+o.epsilon)
		mm[c] = float32(float64(mm[c])*o.momentum + mean[c]*(1-o.momentum))
		mv[c] = float32(float64(mv[c])*o.momentum + vc*(1-o.momentum))
	}
}

func (o *batchNorm) Backward() {
	if o.y.Grad == nil {
		return
	}
	n := o.n
	o.run(bnDots)
	// sum = Σ dy = dβ, dot = Σ dy·(x - mean), so Σ dy·x̂ = dγ = invStd·dot.
	sum, dot := o.part[:n], o.part[n:2*n]
	for k := 1; k < o.chunks; k++ {
		for c := range n {
			sum[c] += o.part[3*k*n+c]
			dot[c] += o.part[(3*k+1)*n+c]
		}
	}
	if o.beta != nil && o.beta.Grad != nil {
		db := o.beta.Grad.Data()
		for c, s := range sum {
			db[c] += float32(s)
		}
	}
	if o.gamma != nil && o.gamma.Grad != nil {
		dg := o.gamma.Grad.Data()
		for c, s := range dot {
			dg[c] += float32(s * o.invStd[c])
		}
	}
	if o.x.Grad == nil {
		return
	}
	// With fixed statistics y is affine in x: dx = γ·invStd·dy. Through the
	// batch statistics, with dx̂ = γ·dy,
	// dx = invStd·(dx̂ - mean(dx̂) - x̂·mean(dx̂·x̂))
	//    = γ·invStd·dy - γ·invStd³·dot/m·(x - mean) - γ·invStd·sum/m.
	inv := 1 / float64(o.m)
	for c := range n {
		gi := o.gammaAt(c) * o.invStd[c]
		o.a[c] = float32(gi)
		o.b[c], o.d[c] = 0, 0
		if o.training {
			o.b[c] = float32(-gi * o.invStd[c] * o.invStd[c] * dot[c] * inv)
			o.d[c] = float32(-gi * sum[c] * inv)
		}
	}
	o.run(bnGrad)
}
