package onnx

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// Exports of the activation and normalization layers Keras has as layers
// of their own: ReLU, PReLU, Softmax and LayerNormalization.

// exportReLU writes Keras's ReLU, y = min(x, max_value) for x > threshold
// and negative_slope·(x - threshold) otherwise, in whatever layout x has,
// with the operators that compute exactly that in float32 for its
// arguments: Relu for Keras's defaults, Clip with a cap, LeakyRelu with a
// slope, ThresholdedRelu with a threshold, and for a slope and a threshold
// together Where(x > threshold, min(x, max_value), slope·(x - threshold)),
// the formula goras's op computes.
func exportReLU(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.ReLULayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.ReLULayer, got %T", c.l)
	}
	x := c.ins[0]
	mx, capped := l.MaxValue()
	slope, thres := float32(l.NegativeSlope()), float32(l.Threshold())
	capAt := func(y string) string { // min(y, max_value), when there is one
		if !capped {
			return y
		}
		return g.Node("Clip", []string{y, "", g.scalar("max_value", float32(mx))})
	}
	var y string
	switch {
	case slope == 0 && thres == 0 && capped:
		y = g.Node("Clip", []string{x, g.scalar("min", 0), g.scalar("max_value", float32(mx))})
	case slope == 0 && thres == 0:
		y = g.Node("Relu", []string{x})
	case thres == 0: // below 0 the slope keeps values ≤ 0 ≤ max_value: the cap after is exact
		y = capAt(g.Node("LeakyRelu", []string{x}, AttrFloat("alpha", slope)))
	case slope == 0: // ThresholdedRelu gives 0 ≤ max_value below the threshold
		y = capAt(g.Node("ThresholdedRelu", []string{x}, AttrFloat("alpha", thres)))
	default:
		t := g.scalar("threshold", thres)
		above := g.Node("Greater", []string{x, t})
		below := g.Node("Mul", []string{g.Node("Sub", []string{x, t}), g.scalar("negative_slope", slope)})
		y = g.Node("Where", []string{above, capAt(x), below})
	}
	return y, g.isNCHW(x), nil
}

// exportPReLU is PRelu, with α (the sample's shape, 1 on the shared axes)
// laid out as x is: channels first for a channels-first image or sequence.
func exportPReLU(g *Graph, c call) (string, bool, error) {
	alpha, err := param(c.l, "alpha")
	if err != nil {
		return "", false, err
	}
	x := c.ins[0]
	var slope string
	if g.isNCHW(x) {
		slope = g.channelsFirstParam(alpha)
	} else {
		slope = g.Param(alpha)
	}
	return g.Node("PRelu", []string{x, slope}), g.isNCHW(x), nil
}

// channelsFirstParam writes a weight shaped as an image (H, W, C) or a
// sequence (L, C) channels first, (C, H, W) or (C, L), once per weight.
func (g *Graph) channelsFirstParam(p *autograd.Param) string {
	key := p.Name + "\x00channels first" // not a weight name: weights are written as they are under p.Name
	if name, ok := g.params[key]; ok {
		return name
	}
	s := p.Value.Shape()
	src, dst := p.Value.Data(), make([]float32, p.Value.Len())
	ch := s[len(s)-1]
	pixels := p.Value.Len() / ch
	for i := 0; i < pixels; i++ {
		for k := 0; k < ch; k++ {
			dst[k*pixels+i] = src[i*ch+k]
		}
	}
	shape := append([]int{ch}, s[:len(s)-1]...)
	name := g.addFloats(p.Name, dst, shape)
	g.params[key] = name
	return name
}

// exportSoftmax is Softmax over the layer's axis, converted to the layout
// of x; over several adjacent axes, it is the softmax of those axes
// reshaped into one, in goras's layout.
func exportSoftmax(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.SoftmaxLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.SoftmaxLayer, got %T", c.l)
	}
	x := c.ins[0]
	shape := g.shape(x)
	first, last, err := sampleAxes(l.Axes(), shape)
	if err != nil {
		return "", false, err
	}
	if first == last {
		return g.Node("Softmax", []string{x}, AttrInt("axis", g.axis(x, first))), g.isNCHW(x), nil
	}
	merged := []int64{-1}
	for a := 1; a <= len(shape); a++ {
		switch {
		case a == first:
			merged = append(merged, int64(numel(shape[first-1:last])))
		case a < first || a > last:
			merged = append(merged, int64(shape[a-1]))
		}
	}
	y := g.Node("Reshape", []string{g.natural(x), g.Int64s("merged", merged...)})
	y = g.Node("Softmax", []string{y}, AttrInt("axis", first))
	back := []int64{-1}
	for _, d := range shape {
		back = append(back, int64(d))
	}
	return g.Node("Reshape", []string{y, g.Int64s("shape", back...)}), false, nil
}

// sampleAxes resolves axes (batch 0, negative from the end) of a value of
// per-sample shape and returns the first and the last, which must be
// adjacent sample axes in increasing order, as the layers require.
func sampleAxes(axes, shape []int) (first, last int, err error) {
	rank := len(shape) + 1
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		if a < 1 || a >= rank || (i > 0 && a != last+1) {
			return 0, 0, fmt.Errorf("axes %v are not adjacent sample axes of (N, %v)", axes, shape)
		}
		if i == 0 {
			first = a
		}
		last = a
	}
	if len(axes) == 0 {
		return 0, 0, fmt.Errorf("no axes given")
	}
	return first, last, nil
}

// exportLayerNorm is LayerNormalization over the trailing axes of goras's
// layout (opset 17 on), with γ as its scale (ones when the layer has none)
// and β as its bias. At opset 13, and for rms_scaling, it is the formula
// itself: (x - mean) (x for rms_scaling) / √(var + ε) · γ + β, with the
// mean and the biased variance over those axes (ReduceMean).
func exportLayerNorm(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.LayerNormLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.LayerNormLayer, got %T", c.l)
	}
	shape := g.shape(c.ins[0])
	first, last, err := sampleAxes(l.Axes(), shape)
	if err != nil {
		return "", false, err
	}
	if last != len(shape) {
		return "", false, fmt.Errorf("axes %v do not end with the last axis", l.Axes())
	}
	x := g.natural(c.ins[0])
	gamma, _ := param(c.l, "gamma")
	beta, _ := param(c.l, "beta")
	eps := float32(l.Epsilon())
	if g.opset >= 17 && !l.RMSScaling() {
		if gamma == nil {
			gamma = paramOr(c.l, "gamma", 1, numel(shape[first-1:]))
			gamma.Value, _ = gamma.Value.Reshape(shape[first-1:]...)
		}
		ins := []string{x, g.Param(gamma)}
		if beta != nil {
			ins = append(ins, g.Param(beta))
		}
		return g.Node("LayerNormalization", ins, AttrInt("axis", first), AttrFloat("epsilon", eps)), false, nil
	}
	axes := make([]int, 0, last-first+1)
	for a := first; a <= last; a++ {
		axes = append(axes, a)
	}
	mean := g.Node("ReduceMean", []string{x}, AttrInts("axes", axes...), AttrInt("keepdims", 1))
	d := g.Node("Sub", []string{x, mean})
	variance := g.Node("ReduceMean", []string{g.Node("Mul", []string{d, d})}, AttrInts("axes", axes...), AttrInt("keepdims", 1))
	std := g.Node("Sqrt", []string{g.Node("Add", []string{variance, g.scalar("epsilon", eps)})})
	num := d
	if l.RMSScaling() { // not centred, as Keras's rms_scaling: the variance is still about the mean
		num = x
	}
	y := g.Node("Div", []string{num, std})
	for _, w := range []struct {
		p  *autograd.Param
		op string
	}{{gamma, "Mul"}, {beta, "Add"}} {
		if w.p != nil {
			y = g.Node(w.op, []string{y, g.Param(w.p)})
		}
	}
	return y, false, nil
}

// shapeKeeping are the classes of this file, whose output has their
// input's shape (a Pipeline may hold them anywhere).
var shapeKeeping = []string{"ReLU", "PReLU", "Softmax", "LayerNormalization"}
