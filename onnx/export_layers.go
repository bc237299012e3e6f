package onnx

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
)

// call is one call of a layer being exported: the layer, its Keras config
// (the one description of it, which the exporter reads), the names of its
// input values and its per-sample output shape.
type call struct {
	l   layers.Layer
	cfg map[string]any
	ins []string
	out []int
}

// exportFunc writes a call of a built-in layer and returns its output value
// and whether that value is stored channels first.
type exportFunc func(g *Graph, c call) (out string, nchw bool, err error)

// builtin maps goras's layer classes to their exporters.
var builtin map[string]exportFunc

func init() {
	builtin = map[string]exportFunc{
		"Dense":                  exportDense,
		"Conv2D":                 exportConv2D,
		"MaxPooling2D":           exportPooling,
		"AveragePooling2D":       exportPooling,
		"GlobalAveragePooling2D": exportGlobalAveragePooling,
		"Flatten":                exportFlatten,
		"Reshape":                exportReshape,
		"BatchNormalization":     exportBatchNorm,
		"Activation":             exportActivation,
		"Rescaling":              exportRescaling,
		"Pipeline":               exportPipeline,
		"Add":                    exportMerge,
		"Subtract":               exportMerge,
		"Multiply":               exportMerge,
		"Average":                exportMerge,
		"Maximum":                exportMerge,
		"Minimum":                exportMerge,
		"Concatenate":            exportConcatenate,
		// Layers ONNX import brings (export_more.go).
		"Permute":            exportPermute,
		"ZeroPadding2D":      exportZeroPadding,
		"Cropping2D":         exportCropping,
		"GlobalMaxPooling2D": exportGlobalMaxPooling,
		"DepthwiseConv2D":    exportDepthwise,
		"Conv2DTranspose":    exportConvTranspose,
		"PaddedPooling2D":    exportPaddedPooling,
		"LeakyReLU":          exportElementwise,
		"ELU":                exportElementwise,
		"Clip":               exportElementwise,
		"HardSigmoid":        exportElementwise,
		"Erf":                exportElementwise,
		"ConstantArithmetic": exportConstantArithmetic,
		// Keras's layers of issue 13 (export_activation_layers.go,
		// export_resize.go, export_conv_more.go).
		"ReLU":               exportReLU,
		"PReLU":              exportPReLU,
		"Softmax":            exportSoftmax,
		"LayerNormalization": exportLayerNorm,
		"UpSampling2D":       exportUpSampling,
		"Resizing":           exportResizing,
		"CenterCrop":         exportCenterCrop,
		"RandomCrop":         exportRandomCrop,
		"Conv1D":             exportConv1D,
		"MaxPooling1D":       exportPooling1D,
		"AveragePooling1D":   exportPooling1D,
		"SeparableConv2D":    exportSeparable,
	}
	// Layers that compute nothing at inference: Dropout keeps every value
	// (Keras scales in training, not at inference), the noise layers add
	// or multiply noise only in training, and augmentation only acts in
	// training.
	for _, class := range inferenceIdentity {
		builtin[class] = exportIdentity
	}
}

// inferenceIdentity are the layers whose output at inference is their input.
var inferenceIdentity = []string{"Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
	"RandomRotation", "RandomZoom", "RandomTranslation", "RandomFlip", "RandomContrast"}

// layer exports one call of l and returns the name of its output value.
func (g *Graph) layer(l layers.Layer, ins []string, out []int) (string, error) {
	if e, ok := l.(Exporter); ok {
		nat := make([]string, len(ins))
		for i, in := range ins {
			nat[i] = g.natural(in)
		}
		v, err := e.ExportONNX(g, nat)
		switch {
		case err != nil:
			return "", fmt.Errorf("onnx: layer %q (%s): %w", l.Name(), l.ClassName(), err)
		case v == "":
			return "", fmt.Errorf("onnx: layer %q (%s): ExportONNX returned no output value", l.Name(), l.ClassName())
		}
		g.setValue(v, out, false)
		return v, nil
	}
	f, ok := builtin[l.ClassName()]
	if !ok {
		return "", fmt.Errorf("onnx: layer %q (%s) cannot be exported: the exporter knows %s; "+
			"a layer of your own declares how it exports by implementing onnx.Exporter (an ExportONNX method)",
			l.Name(), l.ClassName(), strings.Join(Exportable(), ", "))
	}
	v, nchw, err := f(g, call{l: l, cfg: l.Config(), ins: ins, out: out})
	if err != nil {
		return "", fmt.Errorf("onnx: layer %q (%s): %w", l.Name(), l.ClassName(), err)
	}
	g.setValue(v, out, nchw)
	return v, nil
}

// Exportable lists the layer classes the exporter writes by itself, sorted.
// Any other layer must implement Exporter.
func Exportable() []string {
	names := make([]string, 0, len(builtin))
	for n := range builtin {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func exportIdentity(g *Graph, c call) (string, bool, error) {
	return c.ins[0], g.isNCHW(c.ins[0]), nil
}

// exportDense is Gemm: x (N, in) · kernel (in, units) + bias (units).
func exportDense(g *Graph, c call) (string, bool, error) {
	kernel, err := param(c.l, "kernel")
	if err != nil {
		return "", false, err
	}
	ins := []string{g.natural(c.ins[0]), g.Param(kernel)}
	if bias, err := param(c.l, "bias"); err == nil {
		ins = append(ins, g.Param(bias))
	}
	act, err := cfgString(c.cfg, "activation")
	if err != nil {
		return "", false, err
	}
	y, err := g.activate(act, g.Node("Gemm", ins), false)
	return y, false, err
}

// exportConv2D is Conv on the channels-first image, with the kernel
// (KH, KW, C, F) written as ONNX's (F, C, KH, KW) and "same" padding as
// explicit pads, the odd pixel at the bottom and right as in goras.
func exportConv2D(g *Graph, c call) (string, bool, error) {
	if d, err := cfgInts(c.cfg, "dilation_rate"); err != nil || !slices.Equal(d, []int{1, 1}) {
		return "", false, fmt.Errorf("only dilation_rate (1, 1) exports, got %v", c.cfg["dilation_rate"])
	}
	if gr, ok := c.cfg["groups"]; ok && fmt.Sprint(gr) != "1" {
		return "", false, fmt.Errorf("only groups 1 exports, got %v", gr)
	}
	win, err := window(g, c, "kernel_size")
	if err != nil {
		return "", false, err
	}
	kernel, err := param(c.l, "kernel")
	if err != nil {
		return "", false, err
	}
	ins := []string{g.channelsFirst(c.ins[0]), g.convKernel(kernel)}
	if bias, err := param(c.l, "bias"); err == nil {
		ins = append(ins, g.Param(bias))
	}
	y := g.Node("Conv", ins, AttrInts("kernel_shape", win.size...), AttrInts("strides", win.strides...),
		AttrInts("pads", win.pads...), AttrInts("dilations", 1, 1), AttrInt("group", 1))
	act, err := cfgString(c.cfg, "activation")
	if err != nil {
		return "", false, err
	}
	y, err = g.activate(act, y, true)
	return y, true, err
}

// convKernel writes a Conv2D kernel (KH, KW, C, F) as ONNX's (F, C, KH, KW).
func (g *Graph) convKernel(p *autograd.Param) string {
	if name, ok := g.params[p.Name]; ok {
		return name
	}
	s := p.Value.Shape()
	kh, kw, ci, f := s[0], s[1], s[2], s[3]
	src, dst := p.Value.Data(), make([]float32, p.Value.Len())
	for i := 0; i < kh; i++ {
		for j := 0; j < kw; j++ {
			for k := 0; k < ci; k++ {
				for o := 0; o < f; o++ {
					dst[((o*ci+k)*kh+i)*kw+j] = src[((i*kw+j)*ci+k)*f+o]
				}
			}
		}
	}
	name := g.addFloats(p.Name, dst, []int{f, ci, kh, kw})
	g.params[p.Name] = name
	return name
}

// windowAttrs are the ONNX attributes of a convolution or pooling window.
type windowAttrs struct {
	size, strides []int
	pads          []int // top, left, bottom, right
}

// window reads a window layer's size (under key), strides and padding from
// its config and works out ONNX's pads for its input image: none for
// "valid"; for "same", enough that the output is ⌈in/stride⌉ long, split
// as goras and TensorFlow split it, the odd pixel after.
func window(g *Graph, c call, key string) (windowAttrs, error) {
	var w windowAttrs
	var err error
	if w.size, err = cfgInts(c.cfg, key); err != nil {
		return w, err
	}
	if w.strides, err = cfgInts(c.cfg, "strides"); err != nil {
		return w, err
	}
	padding, err := cfgString(c.cfg, "padding")
	if err != nil {
		return w, err
	}
	in := g.shape(c.ins[0])
	if len(w.size) != 2 || len(w.strides) != 2 || len(in) != 3 {
		return w, fmt.Errorf("expected a 2-D window on images (H, W, C), got %s %v, strides %v on %v", key, w.size, w.strides, in)
	}
	w.pads = make([]int, 4)
	switch strings.ToLower(padding) {
	case "valid":
	case "same":
		for a := 0; a < 2; a++ {
			out := (in[a] + w.strides[a] - 1) / w.strides[a]
			total := max((out-1)*w.strides[a]+w.size[a]-in[a], 0)
			w.pads[a], w.pads[a+2] = total/2, total-total/2
		}
	default:
		return w, fmt.Errorf("padding must be \"valid\" or \"same\", got %q", padding)
	}
	return w, nil
}

// exportPooling is MaxPool or AveragePool on the channels-first image.
// Padding is left out of max pooling (ONNX's pads never win a max) and of
// the count of average pooling (count_include_pad 0), as in goras.
func exportPooling(g *Graph, c call) (string, bool, error) {
	win, err := window(g, c, "pool_size")
	if err != nil {
		return "", false, err
	}
	attrs := []Attribute{AttrInts("kernel_shape", win.size...), AttrInts("strides", win.strides...), AttrInts("pads", win.pads...)}
	op := "MaxPool"
	if c.l.ClassName() == "AveragePooling2D" {
		op = "AveragePool"
		attrs = append(attrs, AttrInt("count_include_pad", 0))
	}
	return g.Node(op, []string{g.channelsFirst(c.ins[0])}, attrs...), true, nil
}

// exportGlobalAveragePooling averages each channel over the image:
// GlobalAveragePool and Flatten on a channels-first image, ReduceMean over
// H and W on one still channels last.
func exportGlobalAveragePooling(g *Graph, c call) (string, bool, error) {
	x := c.ins[0]
	if g.isNCHW(x) {
		return g.Node("Flatten", []string{g.Node("GlobalAveragePool", []string{x})}, AttrInt("axis", 1)), false, nil
	}
	return g.Node("ReduceMean", []string{x}, AttrInts("axes", 1, 2), AttrInt("keepdims", 0)), false, nil
}

// exportFlatten flattens goras's layout, so that the values come in the
// order goras's Flatten gives them.
func exportFlatten(g *Graph, c call) (string, bool, error) {
	return g.Node("Flatten", []string{g.natural(c.ins[0])}, AttrInt("axis", 1)), false, nil
}

// exportReshape reshapes goras's layout to (N, output shape), the batch
// dimension inferred.
func exportReshape(g *Graph, c call) (string, bool, error) {
	shape := []int64{-1}
	for _, d := range c.out {
		shape = append(shape, int64(d))
	}
	return g.Node("Reshape", []string{g.natural(c.ins[0]), g.Int64s("shape", shape...)}), false, nil
}

// exportActivation is the activation alone, in whatever layout x has.
func exportActivation(g *Graph, c call) (string, bool, error) {
	act, err := cfgString(c.cfg, "activation")
	if err != nil {
		return "", false, err
	}
	x := c.ins[0]
	y, err := g.activate(act, x, g.isNCHW(x))
	return y, g.isNCHW(x), err
}

// exportRescaling is x·scale + offset, each left out when it changes nothing.
func exportRescaling(g *Graph, c call) (string, bool, error) {
	scale, err := cfgFloat(c.cfg, "scale")
	if err != nil {
		return "", false, err
	}
	offset, err := cfgFloat(c.cfg, "offset")
	if err != nil {
		return "", false, err
	}
	x := c.ins[0]
	y := x
	if float32(scale) != 1 {
		y = g.Node("Mul", []string{y, g.scalar("scale", float32(scale))})
	}
	if float32(offset) != 0 {
		y = g.Node("Add", []string{y, g.scalar("offset", float32(offset))})
	}
	return y, g.isNCHW(x), nil
}

// exportPipeline exports the pipeline's layers one after the other, each
// under its own name. Every layer but the last must keep the shape, as the
// augmentation layers a Pipeline is made of do: the exporter knows only
// the pipeline's output shape.
func exportPipeline(g *Graph, c call) (string, bool, error) {
	p, ok := c.l.(*layers.PipelineLayer)
	if !ok {
		return "", false, fmt.Errorf("expected a *layers.PipelineLayer, got %T", c.l)
	}
	prefix, x := g.prefix, c.ins[0]
	defer func() { g.prefix = prefix }()
	for i, s := range p.Layers() {
		shape := g.shape(x)
		if i == len(p.Layers())-1 {
			shape = c.out
		} else if !keepsShape[s.ClassName()] {
			return "", false, fmt.Errorf("its layer %q (%s) is not the last, and only layers that keep the shape (%s) can be exported there",
				s.Name(), s.ClassName(), strings.Join(keepsShapeList(), ", "))
		}
		g.prefix = s.Name()
		var err error
		if x, err = g.layer(s, []string{x}, shape); err != nil {
			return "", false, err
		}
	}
	return x, g.isNCHW(x), nil
}

// keepsShape are the layer classes whose output has their input's shape.
var keepsShape = map[string]bool{"Activation": true, "Rescaling": true, "BatchNormalization": true}

func init() {
	for _, class := range append(slices.Clone(inferenceIdentity), shapeKeeping...) {
		keepsShape[class] = true
	}
}

func keepsShapeList() []string {
	var names []string
	for n := range keepsShape {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// param finds a layer's weight by the last part of its name ("kernel" of
// "dense/kernel").
func param(l layers.Layer, suffix string) (*autograd.Param, error) {
	for _, p := range l.Params() {
		if strings.HasSuffix(p.Name, "/"+suffix) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("the layer has no weight named %q (is it built?)", suffix)
}
