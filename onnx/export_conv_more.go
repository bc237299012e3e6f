package onnx

import (
	"fmt"
	"strings"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// Exports of Conv1D, MaxPooling1D, AveragePooling1D and SeparableConv2D.
// Sequences (N, L, C) run channels first, (N, C, L), as images do.

// exportConv1D is Conv with a 1-D kernel on the channels-first sequence,
// the kernel (K, C, F) written as ONNX's (F, C, K), the padding as
// explicit pads (causal: all of it before), and the dilation.
func exportConv1D(g *Graph, c call) (string, bool, error) {
	k, stride, padding, err := seqWindow(c.cfg, "kernel_size")
	if err != nil {
		return "", false, err
	}
	d, err := cfgInts(c.cfg, "dilation_rate")
	if err != nil || len(d) != 1 || d[0] < 1 {
		return "", false, fmt.Errorf("expected one dilation rate ≥ 1, got %v", c.cfg["dilation_rate"])
	}
	in := g.shape(c.ins[0])
	if len(in) != 2 {
		return "", false, fmt.Errorf("expected sequences (L, C), got %v", in)
	}
	before, after, err := seqPads(in[0], d[0]*(k-1)+1, stride, padding)
	if err != nil {
		return "", false, err
	}
	kernel, err := param(c.l, "kernel")
	if err != nil {
		return "", false, err
	}
	ins := []string{g.channelsFirst(c.ins[0]), g.conv1DKernel(kernel)}
	if bias, err := param(c.l, "bias"); err == nil {
		ins = append(ins, g.Param(bias))
	}
	y := g.Node("Conv", ins, AttrInts("kernel_shape", k), AttrInts("strides", stride), AttrInts("pads", before, after),
		AttrInts("dilations", d[0]), AttrInt("group", 1))
	act, err := cfgString(c.cfg, "activation")
	if err != nil {
		return "", false, err
	}
	y, err = g.activate(act, y, true)
	return y, true, err
}

// conv1DKernel writes a Conv1D kernel (K, C, F) as ONNX's (F, C, K).
func (g *Graph) conv1DKernel(p *autograd.Param) string {
	if name, ok := g.params[p.Name]; ok {
		return name
	}
	s := p.Value.Shape()
	k, ci, f := s[0], s[1], s[2]
	src, dst := p.Value.Data(), make([]float32, p.Value.Len())
	for i := 0; i < k; i++ {
		for ch := 0; ch < ci; ch++ {
			for o := 0; o < f; o++ {
				dst[(o*ci+ch)*k+i] = src[(i*ci+ch)*f+o]
			}
		}
	}
	name := g.addFloats(p.Name, dst, []int{f, ci, k})
	g.params[p.Name] = name
	return name
}

// exportPooling1D is MaxPool or AveragePool with a 1-D window on the
// channels-first sequence; padding is left out of the average's count, as
// goras leaves it out.
func exportPooling1D(g *Graph, c call) (string, bool, error) {
	k, stride, padding, err := seqWindow(c.cfg, "pool_size")
	if err != nil {
		return "", false, err
	}
	in := g.shape(c.ins[0])
	if len(in) != 2 {
		return "", false, fmt.Errorf("expected sequences (L, C), got %v", in)
	}
	before, after, err := seqPads(in[0], k, stride, padding)
	if err != nil {
		return "", false, err
	}
	attrs := []Attribute{AttrInts("kernel_shape", k), AttrInts("strides", stride), AttrInts("pads", before, after)}
	op := "MaxPool"
	if c.l.ClassName() == "AveragePooling1D" {
		op = "AveragePool"
		attrs = append(attrs, AttrInt("count_include_pad", 0))
	}
	return g.Node(op, []string{g.channelsFirst(c.ins[0])}, attrs...), true, nil
}

// seqWindow reads a 1-D window's size (under key), stride and padding from
// a layer's config.
func seqWindow(cfg map[string]any, key string) (size, stride int, padding string, err error) {
	k, err := cfgInts(cfg, key)
	if err != nil || len(k) != 1 {
		return 0, 0, "", fmt.Errorf("expected one %s, got %v", key, cfg[key])
	}
	s, err := cfgInts(cfg, "strides")
	if err != nil || len(s) != 1 {
		return 0, 0, "", fmt.Errorf("expected one stride, got %v", cfg["strides"])
	}
	padding, err = cfgString(cfg, "padding")
	return k[0], s[0], strings.ToLower(padding), err
}

// seqPads are the steps of padding before and after a sequence of n steps
// for a window spanning span steps: none for "valid"; for "same", enough
// for ⌈n/stride⌉ outputs, the odd step after, as goras pads; for "causal",
// span-1 before.
func seqPads(n, span, stride int, padding string) (before, after int, err error) {
	switch padding {
	case "valid":
		return 0, 0, nil
	case "causal":
		return span - 1, 0, nil
	case "same":
		out := (n + stride - 1) / stride
		total := max((out-1)*stride+span-n, 0)
		return total / 2, total - total/2, nil
	}
	return 0, 0, fmt.Errorf("padding must be \"valid\", \"same\" or \"causal\", got %q", padding)
}

// exportSeparable is SeparableConv2D as its two convolutions: the
// depthwise one (a Conv with one group per input channel, the layer's
// strides, padding and dilation) and the pointwise one (a 1×1 Conv with
// the bias), then the activation.
func exportSeparable(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.SeparableConv2DLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.SeparableConv2DLayer, got %T", c.l)
	}
	depthwise, err := param(c.l, "depthwise_kernel")
	if err != nil {
		return "", false, err
	}
	pointwise, err := param(c.l, "pointwise_kernel")
	if err != nil {
		return "", false, err
	}
	y := g.depthwiseConv(g.channelsFirst(c.ins[0]), depthwise, nil, l.Geometry())
	ins := []string{y, g.convKernel(pointwise)}
	if bias, err := param(c.l, "bias"); err == nil {
		ins = append(ins, g.Param(bias))
	}
	y = g.Node("Conv", ins, AttrInts("kernel_shape", 1, 1), AttrInts("strides", 1, 1), AttrInts("pads", 0, 0, 0, 0),
		AttrInts("dilations", 1, 1), AttrInt("group", 1))
	act, err := cfgString(c.cfg, "activation")
	if err != nil {
		return "", false, err
	}
	y, err = g.activate(act, y, true)
	return y, true, err
}
