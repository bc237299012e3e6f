package autograd

import (
	"fmt"
	"math"
)

// klDivergence is Keras's kl_divergence: per row Σ y·log(y/p) over the last
// axis, y and p clipped to [Epsilon, 1], averaged over the rows.
type klDivergence struct {
	pred, target *Var
	m            int // rows
	loss         float64
}

// KLDivergence adds the Kullback-Leibler divergence of pred from target,
// two probability distributions over the last axis (same shapes).
func (p *Plan) KLDivergence(pred, target *Var) LossOp {
	checkSameShape("KLDivergence", pred, target)
	m, _ := rows(mustShape("KLDivergence", pred, 1))
	op := &klDivergence{pred: pred, target: target, m: m}
	p.add(op)
	return op
}

// clip1 is clip(x, Epsilon, 1) and whether x was inside, where the clip
// passes the gradient.
func clip1(x float64) (float64, bool) {
	switch {
	case x < Epsilon:
		return Epsilon, false
	case x > 1:
		return 1, false
	}
	return x, true
}

func (o *klDivergence) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		y, _ := clip1(float64(t[i]))
		q, _ := clip1(float64(v))
		s += y * math.Log(y/q)
	}
	o.loss = s / float64(o.m)
}

// Backward: d(y·log(y/p))/dp = -y/p where p is not clipped.
func (o *klDivergence) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float64(o.m)
	for i, v := range o.pred.Value.Data() {
		y, _ := clip1(float64(t[i]))
		if q, in := clip1(float64(v)); in {
			g[i] -= float32(y / q * inv)
		}
	}
}

func (o *klDivergence) Loss() float64 { return o.loss }

// SampleLosses writes each sample's Σ y·log(y/p) over the last axis,
// averaged over the sample's rows: n times the mean over its values, n
// being the last axis.
func (o *klDivergence) SampleLosses(dst []float64) {
	sampleMeans("KLDivergence", dst, o.pred, o.target, func(p, t float32) float64 {
		y, _ := clip1(float64(t))
		q, _ := clip1(float64(p))
		return y * math.Log(y/q)
	})
	n := float64(o.pred.Value.Len() / o.m)
	for s := range dst {
		dst[s] *= n
	}
}

// poisson is Keras's poisson: mean(p - y·log(p + Epsilon)).
type poisson struct {
	pred, target *Var
	loss         float64
}

// Poisson adds the loss mean(pred - target·log(pred + Epsilon)), for
// counts predicted as rates (e.g. an exponential or softplus output).
func (p *Plan) Poisson(pred, target *Var) LossOp {
	checkSameLen("Poisson", pred, target)
	op := &poisson{pred: pred, target: target}
	p.add(op)
	return op
}

func (o *poisson) Forward(bool) {
	t := o.target.Value.Data()
	var s float64
	for i, v := range o.pred.Value.Data() {
		s += float64(v) - float64(t[i])*math.Log(float64(v)+Epsilon)
	}
	o.loss = s / float64(len(t))
}

// Backward: d/dp = 1 - y/(p + Epsilon).
func (o *poisson) Backward() {
	if o.pred.Grad == nil {
		return
	}
	t, g := o.target.Value.Data(), o.pred.Grad.Data()
	inv := 1 / float64(len(t))
	for i, v := range o.pred.Value.Data() {
		g[i] += float32((1 - float64(t[i])/(float64(v)+Epsilon)) * inv)
	}
}

func (o *poisson) Loss() float64 { return o.loss }

// SampleLosses writes each sample's mean of p - y·log(p + Epsilon).
func (o *poisson) SampleLosses(dst []float64) {
	sampleMeans("Poisson", dst, o.pred, o.target, func(p, y float32) float64 {
		return float64(p) - float64(y)*math.Log(float64(p)+Epsilon)
	})
}

// mustRows returns the rows and classes of a categorical prediction.
func mustRows(op string, pred *Var) (m, n int) {
	m, n = rows(mustShape(op, pred, 1))
	if n < 1 {
		panic(fmt.Sprintf("autograd: %s of prediction %v with no classes", op, pred.Shape()))
	}
	return m, n
}
