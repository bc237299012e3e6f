package autograd

import (
	"fmt"
	"slices"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// layerNorm is Keras's LayerNormalization over the trailing axes of x, read
// as m rows of n values (n the product of the normalized axes' sizes):
//
//	y = γ·(x - mean)/√(var + ε) + β        (rmsScaling false)
//	y = γ·x/√(var + ε)                      (rmsScaling true, Keras's
//	                                          rms_scaling: not centered, no β)
//
// with each row's own mean and biased variance, in training and inference
// alike (there are no moving statistics). γ (gamma) or β (beta) may be nil
// (scale=False, center=False): then they act as 1 and 0.
type layerNorm struct {
	x, y        *Var
	gamma, beta *Param
	m, n        int
	epsilon     float64
	centered    bool

	// Per row, from the last Forward: the mean and 1/√(var+ε). Backward
	// recomputes x̂ from x, which the plan keeps, rather than storing a
	// copy of the input's size.
	mean, invStd []float64
	ones, zeros  []float32 // stand-ins for an absent γ and β
	dgamma       []float64 // γ's and β's gradients summed over the rows
	dbeta        []float64
}

// LayerNorm normalizes each sample of x over its last axes axes (1 for
// the last axis alone): Keras's LayerNormalization. gamma and beta, when
// not nil, have the shape of those axes. rmsScaling is Keras's
// rms_scaling=True: y = γ·x/√(var + ε), where var is still the variance
// about the mean (as Keras computes it), and beta must be nil. Keras's
// default epsilon is 1e-3 (PyTorch's 1e-5).
func (p *Plan) LayerNorm(x *Var, axes int, gamma, beta *Param, epsilon float64, rmsScaling bool) *Var {
	xs := x.Shape()
	if axes < 1 || axes >= len(xs) || !(epsilon > 0) {
		panic(fmt.Sprintf("autograd: LayerNorm of %v over the last %d axes with epsilon %v: want 1 ≤ axes < rank and epsilon > 0", xs, axes, epsilon))
	}
	norm := xs[len(xs)-axes:]
	for _, w := range []*Param{gamma, beta} {
		if w != nil && !slices.Equal(w.Value.Shape(), norm) {
			panic(fmt.Sprintf("autograd: LayerNorm of %v over %v with %s of shape %v", xs, norm, w.Name, w.Value.Shape()))
		}
	}
	if rmsScaling && beta != nil {
		panic("autograd: LayerNorm with rmsScaling takes no beta")
	}
	n := tensor.Numel(norm)
	m := tensor.Numel(xs) / n
	op := &layerNorm{
		x: x, gamma: gamma, beta: beta, m: m, n: n, epsilon: epsilon, centered: !rmsScaling,
		mean: make([]float64, m), invStd: make([]float64, m),
		dgamma: make([]float64, n), dbeta: make([]float64, n),
	}
	if gamma == nil {
		op.ones = make([]float32, n)
		kernel.Fill(op.ones, 1)
	}
	if beta == nil {
		op.zeros = make([]float32, n)
	}
	needGrad := x.Grad != nil
	for _, w := range []*Param{gamma, beta} {
		if w != nil {
			needGrad = needGrad || w.Grad != nil
			p.Use(w)
		}
	}
	op.y = p.newVar(op, needGrad, xs...)
	p.add(op)
	return op.y
}

// gammaData and betaData are γ and β, or ones and zeros when absent.
func (o *layerNorm) gammaData() []float32 {
	if o.gamma == nil {
		return o.ones
	}
	return o.gamma.Value.Data()
}

func (o *layerNorm) betaData() []float32 {
	if o.beta == nil {
		return o.zeros
	}
	return o.beta.Value.Data()
}

func (o *layerNorm) Forward(bool) {
	x := o.x.Value.Data()
	kernel.LayerNormStats(o.mean, o.invStd, x, o.m, o.n, o.epsilon)
	kernel.LayerNormForward(o.y.Value.Data(), x, o.mean, o.invStd, o.gammaData(), o.betaData(), o.m, o.n, o.centered)
}

func (o *layerNorm) Backward() {
	if o.y.Grad == nil {
		return
	}
	dy := o.y.Grad.Data()
	if o.beta != nil && o.beta.Grad != nil { // dβ = Σ_rows dy
		clear(o.dbeta)
		kernel.ColumnSums64(o.dbeta, dy, o.m, o.n)
		addFloat64(o.beta.Grad.Data(), o.dbeta)
	}
	wantGamma := o.gamma != nil && o.gamma.Grad != nil
	if o.x.Grad == nil && !wantGamma {
		return
	}
	var dx []float32
	if o.x.Grad != nil {
		dx = o.x.Grad.Data()
	}
	clear(o.dgamma)
	kernel.LayerNormBackward(dx, o.dgamma, dy, o.x.Value.Data(), o.mean, o.invStd, o.gammaData(), o.m, o.n, o.centered)
	if wantGamma {
		addFloat64(o.gamma.Grad.Data(), o.dgamma)
	}
}

// addFloat64 adds sums taken in float64 to a float32 gradient.
func addFloat64(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] += float32(v)
	}
}
