package quantize

import (
	"slices"

	"github.com/goras-ml/goras/tensor"
)

// Quantization is how a tensor of bytes stands for real values: byte q
// stands for Scale·(q − ZeroPoint).
type Quantization struct {
	Scale     float32
	ZeroPoint uint8
}

// LayerKind says what a Layer computes.
type LayerKind string

// The kinds of layer a quantized model is made of.
const (
	KindConv2D       LayerKind = "Conv2D"       // int8 convolution, NHWC, BatchNormalization and ReLU folded in
	KindMaxPooling2D LayerKind = "MaxPooling2D" // 2×2 windows at stride 2, on the bytes
	KindFlatten      LayerKind = "Flatten"      // an image's bytes in (H, W, C) order as a vector
	KindDense        LayerKind = "Dense"        // int8 matrix product, BatchNormalization and ReLU folded in
)

// Layer is one layer of a quantized model as Predict computes it, for
// writers of other formats (the onnx package's ExportQuantized): every
// number a layer uses, with the quantization of what goes in and what
// comes out. Its slices are copies.
//
// A Conv2D or Dense computes, for each output channel j,
//
//	real_j = Σ (x − Input.ZeroPoint)·Input.Scale · Kernel[..., j]·KernelScale[j] + Bias[j]
//
// then ReLU (max with 0) if ReLU, then requantizes to Output (round half
// to even, clamped to 0…255). The last layer, a Dense, keeps real_j as
// float32 (its Output is the zero Quantization), through softmax if
// Softmax. MaxPooling2D and Flatten work on the bytes: their Output is
// their Input.
type Layer struct {
	Kind LayerKind
	// Name is the float layer's, which names its tensors in the file
	// ("conv2d", "dense_1"); From lists the float layers folded into it
	// ("conv2d", "batch_normalization", "re_lu"). A Flatten has no name.
	Name string
	From []string
	// InputShape and OutputShape are per sample: (H, W, C) for images.
	InputShape, OutputShape []int

	KernelSize [2]int // Conv2D: (KH, KW)
	Strides    [2]int // Conv2D: rows, columns
	Padding    [4]int // Conv2D: top, bottom, left, right, filled with Input.ZeroPoint (real 0)

	// Kernel is (KH, KW, C, F) for a Conv2D and (inputs, units) for a
	// Dense, symmetric int8 in −127…127: the real weight of output channel
	// j (the last axis) is Kernel[..., j]·KernelScale[j]. Bias is float32,
	// one per output channel.
	Kernel      []int8
	KernelScale []float32
	Bias        []float32
	ReLU        bool
	Softmax     bool // the last Dense only

	Input, Output Quantization
}

// InputQuantization is how Predict turns its float32 inputs into bytes:
// q = round half to even of x/Scale + ZeroPoint, clamped to 0…255.
func (m *Model) InputQuantization() Quantization { return public(m.in) }

// Layers lists the model's layers from input to output, with a Flatten
// between the last image layer (or an input of more than one axis) and
// the first Dense.
func (m *Model) Layers() []Layer {
	var ls []Layer
	shape := slices.Clone(m.input)
	for _, st := range m.image {
		if c := st.conv; c != nil {
			l := c.matmul.layer(KindConv2D, c.Name, c.From)
			l.InputShape, l.OutputShape = []int{c.InH, c.InW, c.C}, []int{c.oh, c.ow, c.F}
			l.KernelSize, l.Strides, l.Padding = [2]int{c.KH, c.KW}, [2]int{c.SH, c.SW}, [4]int{c.PT, c.PB, c.PL, c.PR}
			ls = append(ls, l)
		} else {
			p := st.pool
			q := public(m.in)
			if len(ls) > 0 {
				q = ls[len(ls)-1].Output
			}
			ls = append(ls, Layer{Kind: KindMaxPooling2D, Name: p.Name, InputShape: []int{p.H, p.W, p.C},
				OutputShape: []int{p.H / 2, p.W / 2, p.C}, Input: q, Output: q})
		}
		shape = ls[len(ls)-1].OutputShape
	}
	if len(shape) != 1 {
		q := m.dense[0].In
		ls = append(ls, Layer{Kind: KindFlatten, InputShape: shape, OutputShape: []int{tensor.Numel(shape)},
			Input: public(q), Output: public(q)})
	}
	for i, d := range m.dense {
		l := d.matmul.layer(KindDense, d.Name, d.From)
		l.InputShape, l.OutputShape = []int{d.Inputs}, []int{d.Units}
		l.Softmax = d.Softmax
		if i == len(m.dense)-1 {
			l.Output = Quantization{}
		}
		ls = append(ls, l)
	}
	return ls
}

// layer is the Layer of a Conv2D's or Dense's weights and quantization.
func (mm *matmul) layer(kind LayerKind, name string, from []string) Layer {
	return Layer{Kind: kind, Name: name, From: slices.Clone(from), Kernel: slices.Clone(mm.W),
		KernelScale: slices.Clone(mm.WScale), Bias: slices.Clone(mm.Bias), ReLU: mm.ReLU,
		Input: public(mm.In), Output: public(mm.Out)}
}

func public(p params) Quantization { return Quantization{Scale: p.Scale, ZeroPoint: p.Zero} }
