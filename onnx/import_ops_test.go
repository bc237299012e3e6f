package onnx_test

import (
	"math"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/tensor"
	"google.golang.org/protobuf/proto"
)

// Operators and attributes the PyTorch files do not exercise, each on a
// hand-built graph whose output is worked out by hand.

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func floatAttr(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func strAttr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func int64s(name string, v ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{int64(len(v))}, Int64Data: v}
}

// ramp is 0, 1, 2, ... in the shape of one sample of m, batch 1.
func ramp(m *goras.Model) *tensor.Tensor {
	x := tensor.New(append([]int{1}, m.InputShape()...)...)
	for i := range x.Data() {
		x.Data()[i] = float32(i)
	}
	return x
}

// onRamp decodes model, a file's bytes, and predicts one sample of the
// ramp 0, 1, 2, ...; it reports a failure of either under name and
// returns nil.
func onRamp(t *testing.T, name string, model []byte) *tensor.Tensor {
	t.Helper()
	m, err := onnx.DecodeBytes(model)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return nil
	}
	y, err := m.PredictOnBatch(ramp(m))
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return nil
	}
	return y
}

// wantValues reports under name when y's values are not want, within 1e-6.
func wantValues(t *testing.T, name string, y *tensor.Tensor, want []float32) {
	t.Helper()
	if y.Len() != len(want) {
		t.Errorf("%s: output %v, want %d values", name, y.Shape(), len(want))
		return
	}
	for i, w := range want {
		if math.Abs(float64(y.Data()[i]-w)) > 1e-6 {
			t.Errorf("%s: output %v, want %v", name, y.Data(), want)
			return
		}
	}
}

func TestImportOperators(t *testing.T) {
	ones := func(name string, dims ...int64) *onnxpb.TensorProto {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = 1
		}
		return floats(name, dims, v...)
	}
	e := func(v float64) float32 { return float32(v) }
	s := [4]float64{math.Exp(0), math.Exp(1), math.Exp(2), math.Exp(3)}
	sum := s[0] + s[1] + s[2] + s[3]
	cases := []struct {
		name  string
		model *onnxpb.ModelProto
		want  []float32 // for the ramp input
	}{
		// An image (N, 1, 3, 3), rows 1-2 and columns 0-1 kept: 3 4 6 7.
		{"Slice", model(17, []int64{1, 3, 3}, "y", []*onnxpb.NodeProto{nodeProto("Slice", "s", []string{"x", "st", "en", "ax"}, []string{"y"})},
			int64s("st", 1, 0), int64s("en", 3, 2), int64s("ax", 2, 3)), []float32{3, 4, 6, 7}},
		// Opset 11's softmax on axis 1 of (N, 2, 2) spans all four values.
		{"Softmax/opset11", model(11, []int64{2, 2}, "y", []*onnxpb.NodeProto{nodeProto("Softmax", "s", []string{"x"}, []string{"y"}, intAttr("axis", 1))}),
			[]float32{e(s[0] / sum), e(s[1] / sum), e(s[2] / sum), e(s[3] / sum)}},
		// A 2×2 sum with SAME_LOWER on 2×2: the padding row and column come
		// first, so output (i, j) sums x over rows i-1..i, columns j-1..j.
		{"Conv/SAME_LOWER", model(17, []int64{1, 2, 2}, "y", []*onnxpb.NodeProto{nodeProto("Conv", "c", []string{"x", "w"}, []string{"y"},
			strAttr("auto_pad", "SAME_LOWER"))}, ones("w", 1, 1, 2, 2)), []float32{0, 1, 2, 6}},
		// A stride-2 transposed 1×1 convolution: pixel (i, j) lands at (2i,
		// 2j) of a 3×3 output, which output padding 1 extends to the 4×4
		// output_shape asks for (no pads left to crop).
		{"ConvTranspose/output_shape", model(17, []int64{1, 2, 2}, "y", []*onnxpb.NodeProto{nodeProto("ConvTranspose", "t", []string{"x", "w"}, []string{"y"},
			intsAttr("strides", 2, 2), intsAttr("output_padding", 1, 1), intsAttr("output_shape", 4, 4))}, ones("w", 1, 1, 1, 1)),
			[]float32{0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0}},
		// ReduceMax over H and W of (N, 2, 2, 2): channel maxima 3 and 7.
		{"ReduceMax", model(17, []int64{2, 2, 2}, "y", []*onnxpb.NodeProto{nodeProto("ReduceMax", "r", []string{"x"}, []string{"y"},
			intsAttr("axes", 2, 3), intAttr("keepdims", 0))}), []float32{3, 7}},
		// Pad: a row of zeros above, the last column cut.
		{"Pad/negative", model(17, []int64{1, 2, 2}, "y", []*onnxpb.NodeProto{nodeProto("Pad", "p", []string{"x", "pads"}, []string{"y"})},
			int64s("pads", 0, 0, 1, 0, 0, 0, 0, -1)), []float32{0, 0, 2}},
		// Opset 10's Clip takes its limits as attributes.
		{"Clip/opset10", model(10, []int64{4}, "y", []*onnxpb.NodeProto{nodeProto("Clip", "c", []string{"x"}, []string{"y"},
			floatAttr("min", 0.5), floatAttr("max", 2.5))}), []float32{0.5, 1, 2, 2.5}},
		// Squeeze with no axes drops every axis of size 1, then Unsqueeze
		// puts one back: (N, 1, 3) → (N, 3) → (N, 3, 1), values unchanged.
		{"Squeeze/Unsqueeze", model(17, []int64{1, 3}, "y", []*onnxpb.NodeProto{nodeProto("Squeeze", "s", []string{"x"}, []string{"z"}),
			nodeProto("Unsqueeze", "u", []string{"z", "ax"}, []string{"y"})}, int64s("ax", 2)), []float32{0, 1, 2}},
		// 1 - x and x / 2, the constant first and last.
		{"Sub/Div", model(17, []int64{3}, "y", []*onnxpb.NodeProto{nodeProto("Sub", "s", []string{"one", "x"}, []string{"z"}),
			nodeProto("Div", "d", []string{"z", "two"}, []string{"y"})}, floats("one", nil, 1), floats("two", nil, 2)), []float32{0.5, 0, -0.5}},
	}
	for _, c := range cases {
		if y := onRamp(t, c.name, encode(t, c.model)); y != nil {
			wantValues(t, c.name, y, c.want)
		}
	}
}
