package onnx

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// exported encodes m, decodes the bytes again and returns the model, so
// that every test reads what a runtime would read.
func exported(t *testing.T, m *goras.Model, opts ...Option) *onnxpb.ModelProto {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(m, &buf, opts...); err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
		t.Fatal(err)
	}
	return &mp
}

func sequential(t *testing.T, ls ...layers.Layer) *goras.Model {
	t.Helper()
	m := goras.NewSequential(ls...)
	m.SetSeed(1)
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

// ops lists the operators of the graph's nodes, in order.
func ops(g *onnxpb.GraphProto) []string {
	var out []string
	for _, n := range g.GetNode() {
		out = append(out, n.GetOpType())
	}
	return out
}

// node is the graph's i-th node of operator op (counting from 0).
func node(t *testing.T, g *onnxpb.GraphProto, op string, i int) *onnxpb.NodeProto {
	t.Helper()
	for _, n := range g.GetNode() {
		if n.GetOpType() == op {
			if i == 0 {
				return n
			}
			i--
		}
	}
	t.Fatalf("no %s node left in %v", op, ops(g))
	return nil
}

func ints(n *onnxpb.NodeProto, name string) []int64 {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			if a.GetType() == onnxpb.AttributeProto_INT {
				return []int64{a.GetI()}
			}
			return a.GetInts()
		}
	}
	return nil
}

func initializer(t *testing.T, g *onnxpb.GraphProto, name string) *onnxpb.TensorProto {
	t.Helper()
	for _, i := range g.GetInitializer() {
		if i.GetName() == name {
			return i
		}
	}
	t.Fatalf("no initializer %q", name)
	return nil
}

// dims is a value's shape, a dynamic dimension as -1.
func dims(v *onnxpb.ValueInfoProto) []int64 {
	var out []int64
	for _, d := range v.GetType().GetTensorType().GetShape().GetDim() {
		if d.GetDimParam() != "" {
			out = append(out, -1)
		} else {
			out = append(out, d.GetDimValue())
		}
	}
	return out
}

// TestMLP: the course's MLP is Flatten, Gemm, Relu, Gemm, Softmax, with the
// model's names and shapes, every weight an initializer holding the
// model's values in its shape, opset 17 with IR version 8.
func TestMLP(t *testing.T) {
	m := sequential(t, applications.MLP()...)
	mp := exported(t, m)
	g := mp.GetGraph()
	if got, want := ops(g), []string{"Flatten", "Gemm", "Relu", "Gemm", "Softmax"}; !slices.Equal(got, want) {
		t.Errorf("operators %v, want %v", got, want)
	}
	if mp.GetIrVersion() != 8 || len(mp.GetOpsetImport()) != 1 || mp.GetOpsetImport()[0].GetVersion() != 17 {
		t.Errorf("IR version %d, opsets %v; want 8 and 17", mp.GetIrVersion(), mp.GetOpsetImport())
	}
	if in := g.GetInput(); len(in) != 1 || in[0].GetName() != "input_layer" || !slices.Equal(dims(in[0]), []int64{-1, 28, 28}) {
		t.Errorf("inputs %v, want input_layer (N, 28, 28)", in)
	}
	if d := g.GetInput()[0].GetType().GetTensorType().GetShape().GetDim()[0].GetDimParam(); d != "N" {
		t.Errorf("batch dimension %q, want N", d)
	}
	if out := g.GetOutput(); len(out) != 1 || out[0].GetName() != "dense_1" || !slices.Equal(dims(out[0]), []int64{-1, 10}) {
		t.Errorf("outputs %v, want dense_1 (N, 10)", out)
	}
	if sm := node(t, g, "Softmax", 0); sm.GetOutput()[0] != "dense_1" || !slices.Equal(ints(sm, "axis"), []int64{-1}) {
		t.Errorf("softmax %v: want the output dense_1, on axis -1", sm)
	}
	for _, p := range m.Params() {
		init := initializer(t, g, p.Name)
		if got := init.GetDims(); !slices.Equal(got, int64s(p.Value.Shape())) {
			t.Errorf("%s has dims %v, want %v", p.Name, got, p.Value.Shape())
		}
		if !slices.Equal(init.GetFloatData(), p.Value.Data()) {
			t.Errorf("%s holds other values than the model's", p.Name)
		}
	}
	if gemm := node(t, g, "Gemm", 0); !slices.Equal(gemm.GetInput(), []string{"flatten/Flatten", "dense/kernel", "dense/bias"}) {
		t.Errorf("first Gemm reads %v", gemm.GetInput())
	}
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// TestLeNet5Layout: the convolutions run channels first between one
// Transpose at the input and one back before Flatten; the 5×5 "same"
// convolution pads 2 on every side, the "valid" one not at all; the kernel
// (KH, KW, C, F) is written (F, C, KH, KW).
func TestLeNet5Layout(t *testing.T) {
	m := sequential(t, applications.LeNet5()...)
	g := exported(t, m).GetGraph()
	want := []string{"Transpose", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Transpose", "Flatten",
		"Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"}
	if got := ops(g); !slices.Equal(got, want) {
		t.Fatalf("operators %v, want %v", got, want)
	}
	if p := ints(node(t, g, "Transpose", 0), "perm"); !slices.Equal(p, []int64{0, 3, 1, 2}) {
		t.Errorf("first Transpose perm %v, want NHWC→NCHW (0, 3, 1, 2)", p)
	}
	if p := ints(node(t, g, "Transpose", 1), "perm"); !slices.Equal(p, []int64{0, 2, 3, 1}) {
		t.Errorf("second Transpose perm %v, want NCHW→NHWC (0, 2, 3, 1)", p)
	}
	c0, c1 := node(t, g, "Conv", 0), node(t, g, "Conv", 1)
	if p := ints(c0, "pads"); !slices.Equal(p, []int64{2, 2, 2, 2}) {
		t.Errorf("same 5×5 conv pads %v, want (2, 2, 2, 2)", p)
	}
	if p := ints(c1, "pads"); !slices.Equal(p, []int64{0, 0, 0, 0}) {
		t.Errorf("valid conv pads %v, want zeros", p)
	}
	if k := ints(c0, "kernel_shape"); !slices.Equal(k, []int64{5, 5}) {
		t.Errorf("kernel_shape %v", k)
	}
	if p := ints(node(t, g, "MaxPool", 0), "strides"); !slices.Equal(p, []int64{2, 2}) {
		t.Errorf("MaxPool strides %v, want (2, 2)", p)
	}
	var kernel *autograd.Param
	for _, p := range m.Params() {
		if p.Name == "conv2d_1/kernel" {
			kernel = p
		}
	}
	w := initializer(t, g, "conv2d_1/kernel")
	if !slices.Equal(w.GetDims(), []int64{16, 6, 5, 5}) {
		t.Fatalf("conv2d_1/kernel dims %v, want (16, 6, 5, 5)", w.GetDims())
	}
	// ONNX W[f][c][i][j] is goras's kernel[i][j][c][f].
	for _, at := range [][4]int{{0, 0, 0, 0}, {15, 5, 4, 4}, {3, 2, 1, 4}, {7, 0, 4, 2}} {
		f, c, i, j := at[0], at[1], at[2], at[3]
		if got, want := w.GetFloatData()[((f*6+c)*5+i)*5+j], kernel.Value.At(i, j, c, f); got != want {
			t.Errorf("W[%d][%d][%d][%d] = %v, want kernel[%d][%d][%d][%d] = %v", f, c, i, j, got, i, j, c, f, want)
		}
	}
}

// TestNCHWInput: with NCHW(true) the image input is (N, 1, 28, 28) and
// feeds the first Conv directly; the output keeps goras's layout.
func TestNCHWInput(t *testing.T) {
	g := exported(t, sequential(t, applications.KerasConvnet()...), NCHW(true)).GetGraph()
	if d := dims(g.GetInput()[0]); !slices.Equal(d, []int64{-1, 1, 28, 28}) {
		t.Errorf("input dims %v, want (N, 1, 28, 28)", d)
	}
	if c := node(t, g, "Conv", 0); c.GetInput()[0] != "input_layer" {
		t.Errorf("first Conv reads %q, want the input itself", c.GetInput()[0])
	}
	want := []string{"Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Transpose", "Flatten", "Gemm", "Softmax"}
	if got := ops(g); !slices.Equal(got, want) {
		t.Errorf("operators %v, want %v (Dropout writes nothing)", got, want)
	}
	// A flat input has no channels to move: NCHW leaves it alone.
	g = exported(t, sequential(t, applications.MLP()...), NCHW(true)).GetGraph()
	if d := dims(g.GetInput()[0]); !slices.Equal(d, []int64{-1, 28, 28}) {
		t.Errorf("MLP input dims %v with NCHW, want (N, 28, 28)", d)
	}
}

// TestSamePadsOddPixelAfter: "same" on 6 pixels with a 3-window at stride
// 2 needs 1 pixel of padding, which goras and TensorFlow put after (bottom,
// right); on 7×5 with a 4×2 window at stride 1, 3 rows split 1 before, 2
// after, and 1 column after.
func TestSamePadsOddPixelAfter(t *testing.T) {
	g := exported(t, sequential(t, layers.Input(6, 6, 2), layers.Conv2D(3, 3, layers.WithPadding("same"), layers.WithStrides(2)))).GetGraph()
	if p := ints(node(t, g, "Conv", 0), "pads"); !slices.Equal(p, []int64{0, 0, 1, 1}) {
		t.Errorf("pads %v, want (top 0, left 0, bottom 1, right 1)", p)
	}
	if s := ints(node(t, g, "Conv", 0), "strides"); !slices.Equal(s, []int64{2, 2}) {
		t.Errorf("strides %v, want (2, 2)", s)
	}
	g = exported(t, sequential(t, layers.Input(7, 5, 1), layers.AveragePooling2D(0, layers.WithPoolSize(4, 2), layers.WithStrides(1), layers.WithPadding("same")))).GetGraph()
	ap := node(t, g, "AveragePool", 0)
	if p := ints(ap, "pads"); !slices.Equal(p, []int64{1, 0, 2, 1}) {
		t.Errorf("pads %v, want (1, 0, 2, 1)", p)
	}
	if c := ints(ap, "count_include_pad"); !slices.Equal(c, []int64{0}) {
		t.Errorf("count_include_pad %v, want 0 (goras divides by the real cells)", c)
	}
}

// TestOpsets: Opset(13) declares opset 13 with IR version 7; other
// versions are refused with the ones supported.
func TestOpsets(t *testing.T) {
	m := sequential(t, applications.MLP()...)
	mp := exported(t, m, Opset(13))
	if mp.GetIrVersion() != 7 || mp.GetOpsetImport()[0].GetVersion() != 13 {
		t.Errorf("IR %d opset %d, want 7 and 13", mp.GetIrVersion(), mp.GetOpsetImport()[0].GetVersion())
	}
	err := Encode(m, &bytes.Buffer{}, Opset(12))
	if err == nil || !strings.Contains(err.Error(), "opset 12") || !strings.Contains(err.Error(), "17") || !strings.Contains(err.Error(), "13") {
		t.Errorf("Opset(12) gave %v, want an error naming 12 and the supported 17 and 13", err)
	}
}

// TestExportFile writes through Export and reads the file back.
func TestExportFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mlp.onnx")
	if err := Export(sequential(t, applications.MLP()...), path, Opset(13)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(b)
	if err != nil {
		t.Fatal(err)
	}
	if info.Opset != 13 || info.Weights != 39760 || info.Initializers != 4 {
		t.Errorf("file holds %+v, want opset 13 and the MLP's 39,760 weights in 4 initializers", info)
	}
	// Sizes no tensor has are an error, not a count gone negative or
	// wrapped around.
	for _, dims := range [][]int64{{-1, 3}, {1 << 40, 1 << 40}, {1 << 30, 1 << 30, 1 << 30}} {
		var mp onnxpb.ModelProto
		proto.Unmarshal(b, &mp)
		mp.Graph.Initializer[0].Dims = dims
		bad, _ := proto.Marshal(&mp)
		if info, err := Inspect(bad); err == nil || !strings.Contains(err.Error(), "more values than a model can hold") {
			t.Errorf("an initializer of dimensions %v: %+v, %v; want an error", dims, info, err)
		}
	}
	if err := Export(sequential(t, applications.MLP()...), filepath.Join(t.TempDir(), "missing", "x.onnx")); err == nil {
		t.Error("Export into a missing directory succeeded")
	}
}
