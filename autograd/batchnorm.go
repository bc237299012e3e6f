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
	sum, dot     []float64 // Backward's Σ dy and Σ dy·(x - mean)
	a, b, d      []float32 // dx += a·dy + b·(x - mean) + d
	training     bool      // the last Forward used batch statistics
	// frozen: every Forward uses the moving statistics and leaves them
	// alone, training ones too (FreezeBatchNorm).
	frozen bool

	// relu fuses a ReLU that alone reads the normalization's output
	// (BatchNormReLU): y is the ReLU's output, and y.Grad the ReLU's
	// output gradient, which Backward masks as it reads it, where
	// x·scale + shift > 0 (where y > 0; scale and shift are the last
	// Forward's, so it reads x and not y).
	relu bool
	// setX: Backward sets x's gradient rather than adding to it (the
	// kernel's GradSet, the same bits as adding to zeros, without the
	// plan zeroing it or the pass reading it), for when this op is its
	// first writer (overwrite.go). It takes batchNorm's gradSlots offering
	// the slot, setSlot(dst, o.x.Grad, &o.setX); until then it stays false.
	setX bool

	// gradTo, when not nil, is the convolution whose output is x and
	// which computes x's gradient from this op's sums as it reads it
	// (conv2d_bngrad.go): Backward then stops before the input-gradient
	// pass.
	gradTo *conv2D
	// readBy, when not nil, is the op that alone reads y and applies
	// this normalization to x itself (normin.go): Forward then leaves y
	// unwritten.
	readBy normReader
	// runs are the sums the op writing y's gradient alone takes as it
	// writes it (normsums.go), used when runsOn.
	runs   *kernel.BNRuns
	runsOn bool
	// statsFrom, when not nil, is the convolution whose output x is,
	// which takes the batch statistics as it writes x (bnstats.go).
	statsFrom *conv2D

	// k runs the passes over the rows on the kernel's workers, with
	// results that are the same bits for any number of workers.
	k *kernel.BatchNorm
}

// BatchNorm normalizes x over its last axis. movingMean and movingVar (n
// values each) are read at inference and updated by every training Forward;
// gamma and beta (n values each, or nil) are the learned scale and offset.
// Keras's defaults are momentum 0.99 and epsilon 1e-3.
func (p *Plan) BatchNorm(x *Var, gamma, beta, movingMean, movingVar *Param, momentum, epsilon float64) *Var {
	return p.batchNorm("BatchNorm", x, gamma, beta, movingMean, movingVar, momentum, epsilon, false)
}

// batchNorm adds a normalization, fused with a ReLU reading it when relu;
// name is the constructor's, for its panics.
func (p *Plan) batchNorm(name string, x *Var, gamma, beta, movingMean, movingVar *Param, momentum, epsilon float64, relu bool) *Var {
	m, n := rows(mustShape(name, x, 2))
	for _, w := range []*Param{gamma, beta, movingMean, movingVar} {
		if w != nil && w.Value.Len() != n {
			panic(fmt.Sprintf("autograd: %s of %v with %s of shape %v", name, x.Shape(), w.Name, w.Value.Shape()))
		}
	}
	if movingMean == nil || movingVar == nil || epsilon <= 0 {
		panic(fmt.Sprintf("autograd: %s needs moving statistics and epsilon > 0, got epsilon %v", name, epsilon))
	}
	op := &batchNorm{
		x: x, gamma: gamma, beta: beta, movingMean: movingMean, movingVar: movingVar,
		momentum: momentum, epsilon: epsilon, m: m, n: n,
		mean: make([]float64, n), invStd: make([]float64, n), mean32: make([]float32, n),
		scale: make([]float32, n), shift: make([]float32, n),
		sum: make([]float64, n), dot: make([]float64, n),
		a: make([]float32, n), b: make([]float32, n), d: make([]float32, n),
		k: kernel.NewBatchNorm(m, n), relu: relu,
	}
	needGrad := x.Grad != nil
	for _, w := range []*Param{gamma, beta} {
		if w != nil {
			needGrad = needGrad || w.Grad != nil
			p.Use(w)
		}
	}
	op.y = p.newVar(op, needGrad, x.Shape()...)
	p.statsFromConv(op, x)
	p.add(op)
	return op.y
}

func (o *batchNorm) Forward(training bool) {
	training = training && !o.frozen
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
	if o.readBy != nil {
		return
	}
	if o.relu {
		o.k.AffineReLU(o.y.Value.Data(), o.x.Value.Data(), o.scale, o.shift)
		return
	}
	o.k.Affine(o.y.Value.Data(), o.x.Value.Data(), o.scale, o.shift)
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
// statistics toward them.
func (o *batchNorm) batchStatistics() {
	o.statistics(o.mean, o.invStd) // invStd holds the variance until the end
	mm, mv := o.movingMean.Value.Data(), o.movingVar.Value.Data()
	for c, vc := range o.invStd {
		// The biased variance, as Keras uses for both normalizing and
		// the moving variance.
		o.invStd[c] = 1 / math.Sqrt(vc+o.epsilon)
		mm[c] = float32(float64(mm[c])*o.momentum + o.mean[c]*(1-o.momentum))
		mv[c] = float32(float64(mv[c])*o.momentum + vc*(1-o.momentum))
	}
}

func (o *batchNorm) Backward() {
	if o.y.Grad == nil {
		return
	}
	n := o.n
	// sum = Σ dy = dβ, dot = Σ dy·(x - mean), so Σ dy·x̂ = dγ = invStd·dot.
	sum, dot := o.sum, o.dot
	dy, x := o.y.Grad.Data(), o.x.Value.Data()
	switch {
	case o.runsOn:
		o.k.GradSumsRuns(sum, dot, dy, o.runs)
	case o.relu:
		o.k.GradSumsReLU(sum, dot, dy, x, o.mean32, o.scale, o.shift)
	default:
		o.k.GradSums(sum, dot, dy, x, o.mean32)
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
	if o.gradTo != nil {
		return
	}
	dx := o.x.Grad.Data()
	switch {
	case o.relu && o.setX:
		o.k.GradReLUSet(dx, dy, x, o.a, o.b, o.mean32, o.d, o.scale, o.shift)
	case o.relu:
		o.k.GradReLU(dx, dy, x, o.a, o.b, o.mean32, o.d, o.scale, o.shift)
	case o.setX:
		o.k.GradSet(dx, dy, x, o.a, o.b, o.mean32, o.d)
	default:
		o.k.Grad(dx, dy, x, o.a, o.b, o.mean32, o.d)
	}
}
