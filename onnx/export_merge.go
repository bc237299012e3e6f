package onnx

import (
	"math"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// exportBatchNorm is BatchNormalization at inference, y = γ·(x - mean)/
// √(var + ε) + β over the last axis, which is ONNX's channel axis 1 for
// flat inputs (N, C) and for images once channels first. Inputs of other
// ranks get the same formula as y = x·scale + shift along the last axis,
// with scale and shift worked out in float64 as goras does.
func exportBatchNorm(g *Graph, c call) (string, bool, error) {
	eps, err := cfgFloat(c.cfg, "epsilon")
	if err != nil {
		return "", false, err
	}
	mean, err := param(c.l, "moving_mean")
	if err != nil {
		return "", false, err
	}
	variance, err := param(c.l, "moving_variance")
	if err != nil {
		return "", false, err
	}
	n := mean.Value.Len()
	gamma, beta := paramOr(c.l, "gamma", 1, n), paramOr(c.l, "beta", 0, n)
	x := c.ins[0]
	switch len(g.shape(x)) {
	case 1, 3:
		x = g.channelsFirst(x)
		ins := []string{x, g.Param(gamma), g.Param(beta), g.Param(mean), g.Param(variance)}
		return g.Node("BatchNormalization", ins, AttrFloat("epsilon", float32(eps))), g.isNCHW(x), nil
	}
	scale, shift := tensor.New(n), tensor.New(n)
	for i := range n {
		s := float64(gamma.Value.Data()[i]) / math.Sqrt(float64(variance.Value.Data()[i])+eps)
		scale.Data()[i] = float32(s)
		shift.Data()[i] = float32(float64(beta.Value.Data()[i]) - float64(mean.Value.Data()[i])*s)
	}
	x = g.natural(x)
	y := g.Node("Mul", []string{x, g.Constant("scale", scale)})
	return g.Node("Add", []string{y, g.Constant("shift", shift)}), false, nil
}

// paramOr is the layer's weight named suffix or, when the layer has none
// (BatchNormalization with scale=False or center=False), a constant of n
// values v under the name the weight would have.
func paramOr(l layers.Layer, suffix string, v float32, n int) *autograd.Param {
	if p, err := param(l, suffix); err == nil {
		return p
	}
	p := autograd.NewParam(l.Name()+"/"+suffix, false, n)
	for i := range p.Value.Data() {
		p.Value.Data()[i] = v
	}
	return p
}

// mergeOps are the ONNX operators of the merge layers: binary ones are
// chained, variadic ones take every input at once.
var mergeOps = map[string]struct {
	op       string
	variadic bool
}{
	"Add": {"Add", false}, "Subtract": {"Sub", false}, "Multiply": {"Mul", false},
	"Average": {"Mean", true}, "Maximum": {"Max", true}, "Minimum": {"Min", true},
}

// exportMerge joins the inputs element-wise, all in one layout.
func exportMerge(g *Graph, c call) (string, bool, error) {
	ins, nchw := g.sameLayout(c.ins)
	m := mergeOps[c.l.ClassName()]
	if m.variadic {
		return g.Node(m.op, ins), nchw, nil
	}
	y := ins[0]
	for _, x := range ins[1:] {
		y = g.Node(m.op, []string{y, x})
	}
	return y, nchw, nil
}

// exportConcatenate is Concat along the layer's axis, converted to the
// layout of the inputs.
func exportConcatenate(g *Graph, c call) (string, bool, error) {
	axis, err := cfgInt(c.cfg, "axis")
	if err != nil {
		return "", false, err
	}
	ins, nchw := g.sameLayout(c.ins)
	return g.Node("Concat", ins, AttrInt("axis", g.axis(ins[0], axis))), nchw, nil
}

// sameLayout returns the values channels first if they all are, else all in
// goras's layout.
func (g *Graph) sameLayout(ins []string) ([]string, bool) {
	all := true
	for _, x := range ins {
		all = all && g.isNCHW(x)
	}
	out := make([]string, len(ins))
	for i, x := range ins {
		out[i] = x
		if !all {
			out[i] = g.natural(x)
		}
	}
	return out, all
}
