package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx"
)

// PSwishLayer is a parametric Swish activation, y = x·σ(β·x), with one
// learned β per channel (the last axis). β = 1 is Swish (SiLU); β → 0 tends
// to x/2, β → ∞ to ReLU, so each channel learns how sharp its bend is.
//
// It is a layer written outside goras: it implements layers.Layer, computes
// with an op of its own (pswishOp below: forward and backward side by side),
// and registers its class name so that saving.Load can rebuild it.
type PSwishLayer struct {
	name        string
	initialBeta float64
	err         error // a bad argument, reported by Build
	beta        *autograd.Param
}

// PSwish makes the layer with every β starting at initialBeta (Swish: 1).
func PSwish(initialBeta float64) *PSwishLayer {
	l := &PSwishLayer{initialBeta: initialBeta}
	if math.IsNaN(initialBeta) || math.IsInf(initialBeta, 0) {
		l.err = fmt.Errorf("PSwish needs a finite initial beta, got %g", initialBeta)
	}
	return l
}

// The program that saves a model and the one that loads it both link this
// file, so both know the class: a model file names it "PSwish".
func init() { layers.Register("PSwish", pswishFromConfig) }

// pswishFromConfig rebuilds the layer from what Config wrote.
func pswishFromConfig(config map[string]any) (layers.Layer, error) {
	r := layers.NewConfigReader("PSwish", config)
	l := PSwish(r.Float("initial_beta", 1))
	l.name = r.Name()
	if err := r.Err(); err != nil {
		return nil, err
	}
	return l, l.err
}

func (l *PSwishLayer) Name() string        { return l.name }
func (l *PSwishLayer) SetName(name string) { l.name = name }
func (l *PSwishLayer) ClassName() string   { return "PSwish" }

func (l *PSwishLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "initial_beta": l.initialBeta}
}

// Build makes β, one per channel; the output has the input's shape.
func (l *PSwishLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, fmt.Errorf("layer %q (PSwish): %v", l.name, l.err)
	}
	if len(input) == 0 {
		return nil, fmt.Errorf("layer %q (PSwish): needs inputs with a channel axis, got a scalar per sample", l.name)
	}
	l.beta = autograd.NewParam(l.name+"/beta", true, input[len(input)-1])
	for i := range l.beta.Value.Data() {
		l.beta.Value.Data()[i] = float32(l.initialBeta)
	}
	return input, nil
}

func (l *PSwishLayer) Params() []*autograd.Param { return []*autograd.Param{l.beta} }

// Beta is the learned β of each channel (nil before Build).
func (l *PSwishLayer) Beta() []float32 {
	if l.beta == nil {
		return nil
	}
	return l.beta.Value.Data()
}

// Call adds the op to the plan. Everything the op needs is made here, once
// per plan, so that a training step allocates nothing.
func (l *PSwishLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	shape := x.Shape()
	c := shape[len(shape)-1]
	op := &pswishOp{x: x, beta: l.beta, c: c, sig: make([]float32, x.Value.Len()), dBeta: make([]float64, c)}
	op.y = p.NewVar(x.Grad != nil || l.beta.Grad != nil, shape...)
	p.Use(l.beta)
	p.AddOp(op)
	return op.y
}

// pswishOp is y = x·σ(β·x) over x (..., C) with β (C): each row of C
// values meets the same β.
type pswishOp struct {
	x, y  *autograd.Var
	beta  *autograd.Param
	c     int
	sig   []float32 // σ(β·x) of the last Forward, which Backward reuses
	dBeta []float64 // per-channel sums of dβ, in float64 over the batch
}

func sigmoid(z float32) float32 { return float32(1 / (1 + math.Exp(-float64(z)))) }

func (o *pswishOp) Forward(bool) {
	x, y, beta := o.x.Value.Data(), o.y.Value.Data(), o.beta.Value.Data()
	for r := 0; r < len(x); r += o.c {
		for j, b := range beta {
			s := sigmoid(b * x[r+j])
			o.sig[r+j] = s
			y[r+j] = x[r+j] * s
		}
	}
}

// Backward: with s = σ(βx) and s' = s(1-s),
// dy/dx = s + βx·s' and dy/dβ = x²·s'; both add into the gradients (+=).
func (o *pswishOp) Backward() {
	if o.y.Grad == nil {
		return
	}
	x, dy, beta := o.x.Value.Data(), o.y.Grad.Data(), o.beta.Value.Data()
	clear(o.dBeta)
	for r := 0; r < len(x); r += o.c {
		for j, b := range beta {
			v, s, g := x[r+j], o.sig[r+j], dy[r+j]
			ds := s * (1 - s)
			if o.x.Grad != nil {
				o.x.Grad.Data()[r+j] += g * (s + b*v*ds)
			}
			o.dBeta[j] += float64(g * v * v * ds)
		}
	}
	if o.beta.Grad != nil {
		for j, d := range o.dBeta {
			o.beta.Grad.Data()[j] += float32(d)
		}
	}
}

// ExportONNX writes the layer into an ONNX graph (onnx.Export calls it; a
// layer without it cannot be exported): y = x·Sigmoid(β·x), with β one
// initializer of C values that broadcasts over the last axis as the op
// does.
func (l *PSwishLayer) ExportONNX(g *onnx.Graph, inputs []string) (string, error) {
	if l.beta == nil {
		return "", fmt.Errorf("PSwish %q is not built; build the model first", l.name)
	}
	x := inputs[0]
	bx := g.Node("Mul", []string{x, g.Param(l.beta)})
	return g.Node("Mul", []string{x, g.Node("Sigmoid", []string{bx})}), nil
}
