package onnx

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/quantize"
	"google.golang.org/protobuf/proto"
)

// ExportQuantized writes q, an int8 model made by quantize.Quantize or
// read by quantize.Load, as an ONNX model file at path, atomically. See
// EncodeQuantized for what is written; Opset and NCHW work as for Export.
func ExportQuantized(q *quantize.Model, path string, opts ...Option) error {
	b, err := encodeQuantized(q, opts)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// EncodeQuantized writes q to w as an ONNX model in QDQ form, the form
// onnxruntime's quantization tools write and its graph optimizer fuses
// into integer operators (QLinearConv, QGemm): each tensor Predict keeps
// as bytes is a QuantizeLinear to uint8 with its calibrated scale and zero
// point, read through a DequantizeLinear; weights are int8 initializers
// read through a DequantizeLinear with one scale per output channel (axis
// 0 of a Conv's (F, C, KH, KW) kernel, axis 1 of a Gemm's (inputs, units)
// one) and zero point 0; biases are int32 at scale input scale × weight
// scale, as QLinearConv takes them; Conv, Relu, MaxPool, Flatten, Gemm and
// Softmax compute in float32 between them. A runtime that does not fuse
// computes the same values in float32.
//
// The input is "input_layer" (the name Export gives a Sequential's), in
// goras's layout (N, H, W, C) unless NCHW(true); the output is named after
// the last Dense, (N, classes), float32. Initializers are named after the
// layers ("conv2d/kernel", "conv2d/kernel_scale"; "conv2d/scale" and
// "conv2d/zero_point" quantize its output).
func EncodeQuantized(q *quantize.Model, w io.Writer, opts ...Option) error {
	b, err := encodeQuantized(q, opts)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func encodeQuantized(q *quantize.Model, opts []Option) ([]byte, error) {
	mp, err := buildQuantized(q, opts)
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("onnx: encoding the model: %w", err)
	}
	return b, nil
}

// buildQuantized makes the ModelProto of q.
func buildQuantized(q *quantize.Model, opts []Option) (*onnxpb.ModelProto, error) {
	o := options{opset: 17}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	ir, ok := irVersion[o.opset]
	if !ok {
		return nil, fmt.Errorf("onnx: opset %d is not supported; use 17 (the default) or 13", o.opset)
	}
	if q == nil {
		return nil, fmt.Errorf("onnx: ExportQuantized of a nil model")
	}
	qg := &qdqGraph{g: newGraph(o.opset), params: map[quantize.Quantization][2]string{}}
	gp, err := qg.model(q, o.nchw)
	if err != nil {
		return nil, err
	}
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(ir),
		ProducerName: proto.String("goras"),
		DocString:    proto.String("int8 model in QDQ form, written by goras from a quantize.Model"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(int64(o.opset))}},
		Graph:        gp,
	}, nil
}

// qdqGraph writes a quantized model's layers one after another. cur is
// the uint8 value the last layer gave, quantized by curQ, channels first
// if nchw.
type qdqGraph struct {
	g      *Graph
	cur    string
	curQ   quantize.Quantization
	nchw   bool
	params map[quantize.Quantization][2]string // a quantization's scale and zero point initializers
}

// quantizedInput is the graph input's name, the one Export gives a
// Sequential's unnamed input.
const quantizedInput = "input_layer"

// model writes q's graph.
func (qg *qdqGraph) model(q *quantize.Model, nchwInput bool) (*onnxpb.GraphProto, error) {
	g, ls := qg.g, q.Layers()
	last := ls[len(ls)-1]
	outName := last.Name
	if outName == "" || outName == quantizedInput {
		outName = "output"
	}
	g.reserved[quantizedInput], g.reserved[outName] = true, true
	g.used[quantizedInput] = true
	in := q.InputShape()
	dims, inNCHW := in, nchwInput && len(in) == 3
	if inNCHW {
		dims = []int{in[2], in[0], in[1]}
	}
	// Convolutions and pooling take images channels first; Flatten takes
	// them as goras lays them out.
	image := ls[0].Kind == quantize.KindConv2D || ls[0].Kind == quantize.KindMaxPooling2D
	x := quantizedInput
	g.prefix = quantizedInput
	switch {
	case len(in) == 3 && image && !inNCHW:
		x = g.Node("Transpose", []string{x}, AttrInts("perm", toNCHW...))
	case len(in) == 3 && !image && inNCHW:
		x = g.Node("Transpose", []string{x}, AttrInts("perm", toNHWC...))
	}
	qg.nchw = len(in) == 3 && image
	qg.curQ = q.InputQuantization()
	qg.cur = qg.quantize(x, qg.curQ)
	for i, l := range ls {
		var err error
		switch l.Kind {
		case quantize.KindConv2D:
			err = qg.conv(l)
		case quantize.KindMaxPooling2D:
			g.prefix = l.Name
			y := g.Node("MaxPool", []string{qg.dequantize()}, AttrInts("kernel_shape", 2, 2), AttrInts("strides", 2, 2))
			qg.cur = qg.quantize(y, qg.curQ)
		case quantize.KindFlatten:
			qg.flatten()
		case quantize.KindDense:
			err = qg.dense(l, i == len(ls)-1)
		default:
			err = fmt.Errorf("onnx: quantized layer %q of kind %q has no ONNX form", l.Name, l.Kind)
		}
		if err != nil {
			return nil, err
		}
	}
	g.rename(qg.cur, outName)
	return &onnxpb.GraphProto{Name: proto.String(q.Name()), Input: []*onnxpb.ValueInfoProto{valueInfo(quantizedInput, dims)},
		Output: []*onnxpb.ValueInfoProto{valueInfo(outName, last.OutputShape)}, Node: g.nodes, Initializer: g.inits}, nil
}

// quantize adds QuantizeLinear of the float value x to uint8 by p and
// returns its output.
func (qg *qdqGraph) quantize(x string, p quantize.Quantization) string {
	sc, zp := qg.param(p)
	return qg.g.Node("QuantizeLinear", []string{x, sc, zp})
}

// dequantize adds DequantizeLinear of the current value and returns its
// float output. Each reader gets its own, as the QDQ form has it.
func (qg *qdqGraph) dequantize() string {
	sc, zp := qg.param(qg.curQ)
	return qg.g.Node("DequantizeLinear", []string{qg.cur, sc, zp})
}

// param returns the scalar scale and uint8 zero point initializers of p,
// made once per quantization and shared by its QuantizeLinear and
// DequantizeLinear nodes.
func (qg *qdqGraph) param(p quantize.Quantization) (scale, zero string) {
	if n, ok := qg.params[p]; ok {
		return n[0], n[1]
	}
	scale = qg.tensor("scale", onnxpb.TensorProto_FLOAT, nil, f32Bytes([]float32{p.Scale}))
	zero = qg.tensor("zero_point", onnxpb.TensorProto_UINT8, nil, []byte{p.ZeroPoint})
	qg.params[p] = [2]string{scale, zero}
	return scale, zero
}

// conv writes a Conv2D: DequantizeLinear of its input, int8 kernel and
// int32 bias into Conv, Relu, QuantizeLinear.
func (qg *qdqGraph) conv(l quantize.Layer) error {
	g := qg.g
	g.prefix = l.Name
	kh, kw, c, f := l.KernelSize[0], l.KernelSize[1], l.InputShape[2], l.OutputShape[2]
	// goras's (KH, KW, C, F) to ONNX's (F, C, KH, KW).
	oihw := make([]byte, len(l.Kernel))
	for i := 0; i < kh; i++ {
		for j := 0; j < kw; j++ {
			for ch := 0; ch < c; ch++ {
				for o := 0; o < f; o++ {
					oihw[((o*c+ch)*kh+i)*kw+j] = byte(l.Kernel[((i*kw+j)*c+ch)*f+o])
				}
			}
		}
	}
	w := qg.weights(l, oihw, []int64{int64(f), int64(c), int64(kh), int64(kw)}, 0)
	b, err := qg.bias(l)
	if err != nil {
		return err
	}
	p := l.Padding
	y := g.Node("Conv", []string{qg.dequantize(), w, b}, AttrInts("kernel_shape", kh, kw),
		AttrInts("strides", l.Strides[0], l.Strides[1]), AttrInts("pads", p[0], p[2], p[1], p[3]))
	qg.output(l, y)
	return nil
}

// dense writes a Dense: DequantizeLinear of its input, int8 kernel and
// int32 bias into Gemm, then Relu and QuantizeLinear, or for the last
// layer float32 outputs, through Softmax if it has one.
func (qg *qdqGraph) dense(l quantize.Layer, last bool) error {
	g := qg.g
	g.prefix = l.Name
	in, units := l.InputShape[0], l.OutputShape[0]
	raw := make([]byte, len(l.Kernel))
	for i, v := range l.Kernel {
		raw[i] = byte(v)
	}
	w := qg.weights(l, raw, []int64{int64(in), int64(units)}, 1)
	b, err := qg.bias(l)
	if err != nil {
		return err
	}
	y := g.Node("Gemm", []string{qg.dequantize(), w, b})
	if !last {
		qg.output(l, y)
		return nil
	}
	if l.ReLU {
		y = g.Node("Relu", []string{y})
	}
	if l.Softmax {
		y = g.Node("Softmax", []string{y}, AttrInt("axis", 1))
	}
	qg.cur = y
	return nil
}

// output ends a Conv2D or inner Dense: Relu if it has one (which
// onnxruntime folds into the quantization, whose zero point is 0 after a
// ReLU), QuantizeLinear to its output's uint8.
func (qg *qdqGraph) output(l quantize.Layer, y string) {
	if l.ReLU {
		y = qg.g.Node("Relu", []string{y})
	}
	qg.curQ = l.Output
	qg.cur = qg.quantize(y, l.Output)
}

// flatten writes Flatten of the current image in goras's (H, W, C) order:
// a channels-first image is transposed back first. Each operator is
// between a DequantizeLinear and a QuantizeLinear of the same
// quantization, which onnxruntime drops to move the bytes directly.
func (qg *qdqGraph) flatten() {
	g := qg.g
	g.prefix = "flatten"
	if qg.nchw {
		y := g.Node("Transpose", []string{qg.dequantize()}, AttrInts("perm", toNHWC...))
		qg.cur, qg.nchw = qg.quantize(y, qg.curQ), false
	}
	y := g.Node("Flatten", []string{qg.dequantize()}, AttrInt("axis", 1))
	qg.cur = qg.quantize(y, qg.curQ)
}

// weights adds a layer's int8 kernel (raw, of shape dims), its per-channel
// scales on axis and zero points 0, and returns the DequantizeLinear
// output that reads them.
func (qg *qdqGraph) weights(l quantize.Layer, raw []byte, dims []int64, axis int) string {
	f := len(l.KernelScale)
	k := qg.tensor("kernel", onnxpb.TensorProto_INT8, dims, raw)
	sc := qg.tensor("kernel_scale", onnxpb.TensorProto_FLOAT, []int64{int64(f)}, f32Bytes(l.KernelScale))
	zp := qg.tensor("kernel_zero_point", onnxpb.TensorProto_INT8, []int64{int64(f)}, make([]byte, f))
	return qg.g.Node("DequantizeLinear", []string{k, sc, zp}, AttrInt("axis", axis))
}

// bias adds a layer's bias as int32 at scale input scale × kernel scale
// per channel (the scale of the int32 sums, as QLinearConv and QGemm
// take it; the rounding moves a bias by at most half a unit of the sums)
// and returns the DequantizeLinear output that reads it.
func (qg *qdqGraph) bias(l quantize.Layer) (string, error) {
	f := len(l.Bias)
	scales := make([]float32, f)
	raw := make([]byte, 4*f)
	for j, b := range l.Bias {
		scales[j] = l.Input.Scale * l.KernelScale[j]
		v := math.RoundToEven(float64(b) / float64(scales[j]))
		if !(math.Abs(v) <= math.MaxInt32) {
			return "", fmt.Errorf("onnx: quantized layer %q: bias %d is %v, %.3g times the scale of its int32 sums (%g), beyond int32; "+
				"the layer's weights or inputs are too small for its bias to be stored as QLinearConv and QGemm take it", l.Name, j, b, v, scales[j])
		}
		binary.LittleEndian.PutUint32(raw[4*j:], uint32(int32(v)))
	}
	b := qg.tensor("bias", onnxpb.TensorProto_INT32, []int64{int64(f)}, raw)
	sc := qg.tensor("bias_scale", onnxpb.TensorProto_FLOAT, []int64{int64(f)}, f32Bytes(scales))
	zp := qg.tensor("bias_zero_point", onnxpb.TensorProto_INT32, []int64{int64(f)}, make([]byte, 4*f))
	return qg.g.Node("DequantizeLinear", []string{b, sc, zp}, AttrInt("axis", 0)), nil
}

// tensor adds an initializer named after the current layer, its values
// little-endian in raw (a scalar when dims is nil), and returns its name.
func (qg *qdqGraph) tensor(name string, dt onnxpb.TensorProto_DataType, dims []int64, raw []byte) string {
	t := &onnxpb.TensorProto{Name: proto.String(qg.g.unique(qg.g.prefix + "/" + name)),
		DataType: proto.Int32(int32(dt)), Dims: dims, RawData: raw}
	qg.g.inits = append(qg.g.inits, t)
	return t.GetName()
}

// f32Bytes is v little-endian.
func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}
