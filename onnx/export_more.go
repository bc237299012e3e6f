package onnx

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// Exports of the layers ONNX import brought: each writes the operator it
// was imported from, so that an imported model exports again.

// exportPermute is a Transpose of goras's layout, the batch axis first.
func exportPermute(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.PermuteLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.PermuteLayer, got %T", c.l)
	}
	perm := append([]int{0}, l.Dims()...)
	return g.Node("Transpose", []string{g.natural(c.ins[0])}, AttrInts("perm", perm...)), false, nil
}

// exportZeroPadding is a Pad of the channels-first image's rows and columns.
func exportZeroPadding(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.ZeroPadding2DLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.ZeroPadding2DLayer, got %T", c.l)
	}
	p := l.Padding()
	pads := g.Int64s("pads", 0, 0, int64(p[0][0]), int64(p[1][0]), 0, 0, int64(p[0][1]), int64(p[1][1]))
	return g.Node("Pad", []string{g.channelsFirst(c.ins[0]), pads}, AttrString("mode", "constant")), true, nil
}

// exportCropping is a Slice of the channels-first image's rows and columns.
func exportCropping(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.Cropping2DLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.Cropping2DLayer, got %T", c.l)
	}
	x := g.channelsFirst(c.ins[0])
	in, cr := g.shape(c.ins[0]), l.Cropping()
	starts := g.Int64s("starts", int64(cr[0][0]), int64(cr[1][0]))
	ends := g.Int64s("ends", int64(in[0]-cr[0][1]), int64(in[1]-cr[1][1]))
	return g.Node("Slice", []string{x, starts, ends, g.Int64s("axes", 2, 3)}), true, nil
}

// exportGlobalMaxPooling is GlobalMaxPool and Flatten on a channels-first
// image, ReduceMax over H and W on one still channels last.
func exportGlobalMaxPooling(g *Graph, c call) (string, bool, error) {
	x := c.ins[0]
	if g.isNCHW(x) {
		return g.Node("Flatten", []string{g.Node("GlobalMaxPool", []string{x})}, AttrInt("axis", 1)), false, nil
	}
	return g.Node("ReduceMax", []string{x}, AttrInts("axes", 1, 2), AttrInt("keepdims", 0)), false, nil
}

// exportDepthwise is a Conv with one group per input channel, the kernel
// (KH, KW, C, M) written as ONNX's (C·M, 1, KH, KW).
func exportDepthwise(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.DepthwiseConv2DLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.DepthwiseConv2DLayer, got %T", c.l)
	}
	kernel, err := param(c.l, "depthwise_kernel")
	if err != nil {
		return "", false, err
	}
	var bias *autograd.Param
	if b, err := param(c.l, "bias"); err == nil {
		bias = b
	}
	y := g.depthwiseConv(g.channelsFirst(c.ins[0]), kernel, bias, l.Geometry())
	act, err := cfgString(c.cfg, "activation")
	if err != nil {
		return "", false, err
	}
	y, err = g.activate(act, y, true)
	return y, true, err
}

// depthwiseConv is a Conv of the channels-first image x with one group
// per input channel, the kernel (KH, KW, C, M) written as ONNX's (C·M, 1,
// KH, KW); bias may be nil.
func (g *Graph) depthwiseConv(x string, kernel, bias *autograd.Param, geo autograd.Conv2DGeometry) string {
	s := kernel.Value.Shape()
	kh, kw, ch, m := s[0], s[1], s[2], s[3]
	src, dst := kernel.Value.Data(), make([]float32, kernel.Value.Len())
	for o := 0; o < ch*m; o++ {
		for y := 0; y < kh; y++ {
			for x := 0; x < kw; x++ {
				dst[(o*kh+y)*kw+x] = src[(y*kw+x)*ch*m+o]
			}
		}
	}
	ins := []string{x, g.addFloats(kernel.Name, dst, []int{ch * m, 1, kh, kw})}
	if bias != nil {
		ins = append(ins, g.Param(bias))
	}
	return g.Node("Conv", ins, AttrInts("kernel_shape", kh, kw), AttrInts("strides", geo.StrideH, geo.StrideW),
		AttrInts("pads", geo.PadTop, geo.PadLeft, geo.PadBottom, geo.PadRight), AttrInts("dilations", geo.DilationH, geo.DilationW),
		AttrInt("group", ch))
}

// exportConvTranspose is a ConvTranspose, the kernel (KH, KW, F, C)
// written as ONNX's (C, F, KH, KW); rows of bias only below the full
// output are ONNX's output_padding.
func exportConvTranspose(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.Conv2DTransposeLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.Conv2DTransposeLayer, got %T", c.l)
	}
	kernel, err := param(c.l, "kernel")
	if err != nil {
		return "", false, err
	}
	s := kernel.Value.Shape()
	kh, kw, f, ch := s[0], s[1], s[2], s[3]
	src, dst := kernel.Value.Data(), make([]float32, kernel.Value.Len())
	for i := 0; i < ch; i++ {
		for o := 0; o < f; o++ {
			for y := 0; y < kh; y++ {
				for x := 0; x < kw; x++ {
					dst[((i*f+o)*kh+y)*kw+x] = src[((y*kw+x)*f+o)*ch+i]
				}
			}
		}
	}
	ins := []string{g.channelsFirst(c.ins[0]), g.addFloats(kernel.Name, dst, []int{ch, f, kh, kw})}
	if bias, err := param(c.l, "bias"); err == nil {
		ins = append(ins, g.Param(bias))
	}
	geo := l.Geometry()
	y := g.Node("ConvTranspose", ins, AttrInts("kernel_shape", kh, kw), AttrInts("strides", geo.StrideH, geo.StrideW),
		AttrInts("dilations", geo.DilationH, geo.DilationW),
		AttrInts("pads", geo.PadTop, geo.PadLeft, max(geo.PadBottom, 0), max(geo.PadRight, 0)),
		AttrInts("output_padding", max(-geo.PadBottom, 0), max(-geo.PadRight, 0)))
	act, err := cfgString(c.cfg, "activation")
	if err != nil {
		return "", false, err
	}
	y, err = g.activate(act, y, true)
	return y, true, err
}

// exportPaddedPooling is MaxPool or AveragePool with the layer's pads, not
// counted in an average.
func exportPaddedPooling(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.PaddedPooling2DLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.PaddedPooling2DLayer, got %T", c.l)
	}
	size, strides, p := l.Geometry()
	attrs := []Attribute{AttrInts("kernel_shape", size[0], size[1]), AttrInts("strides", strides[0], strides[1]),
		AttrInts("pads", p[0][0], p[1][0], p[0][1], p[1][1])}
	op := "MaxPool"
	if l.Mode() == "average" {
		op = "AveragePool"
		attrs = append(attrs, AttrInt("count_include_pad", 0))
	}
	return g.Node(op, []string{g.channelsFirst(c.ins[0])}, attrs...), true, nil
}

// exportElementwise writes the element-wise layers in whatever layout x
// has: LeakyReLU, ELU, Clip, HardSigmoid, Erf.
func exportElementwise(g *Graph, c call) (string, bool, error) {
	x := c.ins[0]
	var y string
	switch l := c.l.(type) {
	case *layers.LeakyReLULayer:
		y = g.Node("LeakyRelu", []string{x}, AttrFloat("alpha", float32(l.NegativeSlope())))
	case *layers.ELULayer:
		y = g.Node("Elu", []string{x}, AttrFloat("alpha", float32(l.Alpha())))
	case *layers.HardSigmoidLayer:
		alpha, beta := l.AlphaBeta()
		y = g.Node("HardSigmoid", []string{x}, AttrFloat("alpha", float32(alpha)), AttrFloat("beta", float32(beta)))
	case *layers.ErfLayer:
		y = g.Node("Erf", []string{x})
	case *layers.ClipLayer:
		lo, hi := l.Limits()
		ins := []string{x, "", ""}
		if !math.IsInf(lo, -1) { // -∞ is no limit; +∞ (Clip(∞, ∞)) is one
			ins[1] = g.scalar("min", float32(lo))
		}
		if !math.IsInf(hi, 1) {
			ins[2] = g.scalar("max", float32(hi))
		}
		y = g.Node("Clip", ins)
	default:
		return "", false, fmt.Errorf("%T is not an element-wise layer the exporter knows", c.l)
	}
	return y, g.isNCHW(x), nil
}

// exportConstantArithmetic is Add, Sub, Mul or Div with the constant, in
// goras's layout (the constant broadcast over a sample as goras does).
func exportConstantArithmetic(g *Graph, c call) (string, bool, error) {
	l, ok := c.l.(*layers.ConstantArithmeticLayer)
	if !ok || l.Constant() == nil {
		return "", false, fmt.Errorf("expected a built *layers.ConstantArithmeticLayer, got %T", c.l)
	}
	op, reverse := l.Operation()
	ins := []string{g.natural(c.ins[0]), g.Param(l.Constant())}
	if reverse {
		ins[0], ins[1] = ins[1], ins[0]
	}
	name := map[string]string{"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div"}[op]
	return g.Node(name, ins), false, nil
}
