package autograd

import (
	"fmt"
	"math"
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
	// 1/√(var+ε) it multiplied by (batch or moving statistics).
	mean, invStd []float64
	xhat         []float32 // (x - mean)·invStd, kept for backward
	sum, dot     []float64 // backward scratch: Σ dy·γ and Σ dy·γ·x̂ per channel
	training     bool      // the last Forward used batch statistics
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
		mean: make([]float64, n), invStd: make([]float64, n), xhat: make([]float32, m*n),
		sum: make([]float64, n), dot: make([]float64, n),
	}
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
	x := o.x.Value.Data()
	if training {
		o.batchStatistics(x)
	} else {
		mm, mv := o.movingMean.Value.Data(), o.movingVar.Value.Data()
		for c := range o.mean {
			o.mean[c] = float64(mm[c])
			o.invStd[c] = 1 / math.Sqrt(float64(mv[c])+o.epsilon)
		}
	}
	y := o.y.Value.Data()
	var g, b []float32
	if o.gamma != nil {
		g = o.gamma.Value.Data()
	}
	if o.beta != nil {
		b = o.beta.Value.Data()
	}
	for i := 0; i < o.m; i++ {
		xr, hr, yr := x[i*o.n:(i+1)*o.n], o.xhat[i*o.n:(i+1)*o.n], y[i*o.n:(i+1)*o.n]
		for c, v := range xr {
			h := float32((float64(v) - o.mean[c]) * o.invStd[c])
			hr[c] = h
			if g != nil {
				h *= g[c]
			}
			if b != nil {
				h += b[c]
			}
			yr[c] = h
		}
	}
}

// batchStatistics sets mean and invStd from the batch (two passes in
// float64, rows in order, so the result is deterministic) and moves the
// moving statistics toward them.
func (o *batchNorm) batchStatistics(x []float32) {
	mean, v := o.mean, o.sum // sum is free until backward
	clear(mean)
	clear(v)
	for i := 0; i < o.m; i++ {
		for c, xv := range x[i*o.n : (i+1)*o.n] {
			mean[c] += float64(xv)
		}
	}
	inv := 1 / float64(o.m)
	for c := range mean {
		mean[c] *= inv
	}
	for i := 0; i < o.m; i++ {
		for c, xv := range x[i*o.n : (i+1)*o.n] {
			d := float64(xv) - mean[c]
			v[c] += d * d
		}
	}
	mm, mv := o.movingMean.Value.Data(), o.movingVar.Value.Data()
	for c := range v {
		v[c] *= inv // biased, as Keras uses for both normalizing and the moving variance
		o.invStd[c] = 1 / math.Sqrt(v[c]+o.epsilon)
		mm[c] = float32(float64(mm[c])*o.momentum + mean[c]*(1-o.momentum))
		mv[c] = float32(float64(mv[c])*o.momentum + v[c]*(1-o.momentum))
	}
}

func (o *batchNorm) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	var g []float32
	if o.gamma != nil {
		g = o.gamma.Value.Data()
	}
	clear(o.sum)
	clear(o.dot)
	for i := 0; i < o.m; i++ {
		dr, hr := dy[i*o.n:(i+1)*o.n], o.xhat[i*o.n:(i+1)*o.n]
		for c, d := range dr {
			o.sum[c] += float64(d)
			o.dot[c] += float64(d) * float64(hr[c])
		}
	}
	// Here sum = Σ dy = dβ and dot = Σ dy·x̂ = dγ.
	if o.beta != nil && o.beta.Grad != nil {
		db := o.beta.Grad.Data()
		for c, s := range o.sum {
			db[c] += float32(s)
		}
	}
	if o.gamma != nil && o.gamma.Grad != nil {
		dg := o.gamma.Grad.Data()
		for c, s := range o.dot {
			dg[c] += float32(s)
		}
	}
	if o.x.Grad == nil {
		return
	}
	dx := o.x.Grad.Data()
	if !o.training { // fixed statistics: y is affine in x
		for i := 0; i < o.m; i++ {
			dr, xr := dy[i*o.n:(i+1)*o.n], dx[i*o.n:(i+1)*o.n]
			for c, d := range dr {
				k := o.invStd[c]
				if g != nil {
					k *= float64(g[c])
				}
				xr[c] += float32(float64(d) * k)
			}
		}
		return
	}
	// Through the batch statistics, with dx̂ = γ·dy:
	// dx = invStd·(dx̂ - mean(dx̂) - x̂·mean(dx̂·x̂)), and the means of dx̂
	// and dx̂·x̂ are γ·sum/m and γ·dot/m.
	inv := 1 / float64(o.m)
	for c := range o.sum {
		gc := 1.0
		if g != nil {
			gc = float64(g[c])
		}
		o.sum[c] *= gc * inv
		o.dot[c] *= gc * inv
	}
	for i := 0; i < o.m; i++ {
		dr, hr, xr := dy[i*o.n:(i+1)*o.n], o.xhat[i*o.n:(i+1)*o.n], dx[i*o.n:(i+1)*o.n]
		for c, d := range dr {
			gc := 1.0
			if g != nil {
				gc = float64(g[c])
			}
			xr[c] += float32(o.invStd[c] * (gc*float64(d) - o.sum[c] - float64(hr[c])*o.dot[c]))
		}
	}
}
