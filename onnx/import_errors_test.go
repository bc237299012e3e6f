package onnx_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/tensor"
	"google.golang.org/protobuf/proto"
)

// Hand-built models: a graph input "x" of shape (N, dims...), nodes, and
// initializers, at opset 17.

func tensorInfo(name string, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}}
}

func nodeProto(op, name string, ins, outs []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String(name), Input: ins, Output: outs, Attribute: attrs}
}

func intsAttr(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func floats(name string, dims []int64, v ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: dims, FloatData: v}
}

func model(opset int64, input []int64, out string, nodes []*onnxpb.NodeProto, inits ...*onnxpb.TensorProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{IrVersion: proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph: &onnxpb.GraphProto{Name: proto.String("hand"), Node: nodes, Initializer: inits,
			Input: []*onnxpb.ValueInfoProto{tensorInfo("x", input...)}, Output: []*onnxpb.ValueInfoProto{tensorInfo(out)}}}
}

func encode(t testing.TB, mp *onnxpb.ModelProto) []byte {
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gemm is x (N, 2) · w (2, 3) + b, w and b given.
func gemm(w, b *onnxpb.TensorProto) *onnxpb.ModelProto {
	return model(17, []int64{2}, "y", []*onnxpb.NodeProto{nodeProto("Gemm", "dense/Gemm", []string{"x", "w", "b"}, []string{"y"})}, w, b)
}

// TestImportFloatTypes: float16, bfloat16 and float64 weights become the
// float32 numbers they stand for.
func TestImportFloatTypes(t *testing.T) {
	want := []float32{0.5, -2, 0.333251953125, 65504, 1.0 / 1024 / 16384, 0} // the last but one a float16 subnormal (2^-24)
	half := []uint16{0x3800, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0000}
	h := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT16)), Dims: []int64{2, 3}}
	for _, v := range half {
		h.Int32Data = append(h.Int32Data, int32(v))
	}
	bf := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_BFLOAT16)), Dims: []int64{2, 3}, RawData: make([]byte, 12)}
	d := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_DOUBLE)), Dims: []int64{2, 3}}
	for k, v := range want {
		binary.LittleEndian.PutUint16(bf.RawData[2*k:], uint16(math.Float32bits(v)>>16))
		d.DoubleData = append(d.DoubleData, float64(v))
	}
	bfWant := make([]float32, len(want)) // bfloat16 keeps the top 16 bits
	for k, v := range want {
		bfWant[k] = math.Float32frombits(math.Float32bits(v) &^ 0xffff)
	}
	bias := floats("b", []int64{3}, 0, 0, 0)
	for _, c := range []struct {
		name string
		w    *onnxpb.TensorProto
		want []float32
	}{{"float16", h, want}, {"bfloat16", bf, bfWant}, {"float64", d, want}} {
		m, err := onnx.DecodeBytes(encode(t, gemm(c.w, bias)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := m.Params()[0].Value.Data()
		for k := range c.want {
			if got[k] != c.want[k] {
				t.Errorf("%s: weight %d is %v, want %v", c.name, k, got[k], c.want[k])
			}
		}
	}
}

// TestImportRefuses: what goras cannot import is an error that names the
// node, the operator and what is supported, never a panic or a guess.
func TestImportRefuses(t *testing.T) {
	w, b := floats("w", []int64{2, 3}, 1, 2, 3, 4, 5, 6), floats("b", []int64{3}, 0, 0, 0)
	img := []int64{4, 5, 5}
	conv := func(group int64, wdims []int64) *onnxpb.ModelProto {
		cw := floats("cw", wdims, make([]float32, wdims[0]*wdims[1]*wdims[2]*wdims[3])...)
		return model(17, img, "y", []*onnxpb.NodeProto{nodeProto("Conv", "/c/Conv", []string{"x", "cw"}, []string{"y"},
			&onnxpb.AttributeProto{Name: proto.String("group"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(group)})}, cw)
	}
	external := gemm(floats("w", []int64{2, 3}), b)
	external.Graph.Initializer[0].DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
	short := gemm(floats("w", []int64{2, 3}, 1, 2), b)
	dynamic := gemm(w, b)
	dynamic.Graph.Input[0].Type.GetTensorType().Shape.Dim[1].Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "features"}
	domain := model(17, []int64{2}, "y", []*onnxpb.NodeProto{nodeProto("FusedGemm", "f", []string{"x"}, []string{"y"})})
	domain.Graph.Node[0].Domain = proto.String("com.microsoft")
	cases := []struct {
		name string
		b    []byte
		want []string
	}{
		{"operator", encode(t, model(17, []int64{2}, "y", []*onnxpb.NodeProto{nodeProto("Hardmax", "/h/Hardmax", []string{"x"}, []string{"y"})})),
			[]string{`node "/h/Hardmax"`, "operator Hardmax is not supported", "Conv, ConvTranspose"}},
		{"domain", encode(t, domain), []string{"com.microsoft.FusedGemm is not supported"}},
		{"groups", encode(t, conv(2, []int64{4, 2, 3, 3})), []string{"2 groups on 4 channels", "DepthwiseConv2D"}},
		{"divide", encode(t, model(17, []int64{2}, "y", []*onnxpb.NodeProto{nodeProto("Div", "d", []string{"x", "x"}, []string{"y"})})),
			[]string{"no Divide layer"}},
		{"order", encode(t, model(17, []int64{2}, "y", []*onnxpb.NodeProto{nodeProto("Relu", "r", []string{"z"}, []string{"y"}),
			nodeProto("Relu", "s", []string{"x"}, []string{"z"})})), []string{`reads "z"`, "in order"}},
		{"external", encode(t, external), []string{"external file"}},
		{"short", encode(t, short), []string{"declares shape [2 3] (6 values) but holds 2"}},
		{"dynamic", encode(t, dynamic), []string{"axis 1 has no fixed size"}},
		{"opset", encode(t, model(22, []int64{2}, "y", nil)), []string{"opset 22", "7 to 21"}},
		{"garbage", []byte("not a model at all"), []string{"not an ONNX model"}},
		{"batch", encode(t, model(17, []int64{2}, "y", []*onnxpb.NodeProto{nodeProto("Transpose", "t", []string{"x"}, []string{"y"}, intsAttr("perm", 1, 0))})),
			[]string{"keeping the batch axis 0 first"}},
		// An attribute of another type than its operator's: read as an INT,
		// Softmax's axis written as the FLOAT 1 would be 0, the batch axis.
		{"attribute type", encode(t, model(17, []int64{3}, "y", []*onnxpb.NodeProto{nodeProto("Softmax", "s", []string{"x"}, []string{"y"}, floatAttr("axis", 1))})),
			[]string{`node "s" (Softmax): its attribute axis is FLOAT where ONNX defines INT`}},
		{"attribute type, list", encode(t, model(17, []int64{2}, "y", []*onnxpb.NodeProto{nodeProto("Transpose", "t", []string{"x"}, []string{"y"}, intAttr("perm", 0))})),
			[]string{"its attribute perm is INT where ONNX defines INTS"}},
	}
	for _, c := range cases {
		_, err := onnx.DecodeBytes(c.b)
		if err == nil {
			t.Errorf("%s: imported", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
	}
}

// FuzzLoad feeds Load's decoder mutated models: it must return a model or
// an error, never panic, and a model it returns must predict.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"resnet_opset13.onnx", "ops_opset17.onnx"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(encode(f, gemm(floats("w", []int64{2, 3}, 1, 2, 3, 4, 5, 6), floats("b", []int64{3}, 0, 0, 0))))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := onnx.DecodeBytes(b)
		if err != nil {
			return
		}
		in := m.InputShape()
		if len(m.Inputs()) != 1 || m.CountParams() > 1<<20 {
			return
		}
		for _, t := range append(m.Nodes(), m.Inputs()...) {
			if tensor.Numel(t.Shape()) > 1<<16 {
				return // predicting would take too long for a fuzzer
			}
		}
		x := tensor.New(append([]int{2}, in...)...)
		if _, err := m.PredictOutputs(x, goras.Verbose(0)); err != nil {
			t.Fatalf("an imported model does not predict: %v", err)
		}
	})
}

// TestImportMutatedModels imports PyTorch's files changed at random where
// it matters (operators swapped, attributes and sizes set to odd values,
// inputs dropped or rewired, nodes removed): every import must end in a
// model that predicts or in an error, never a panic. Byte-level fuzzing
// (FuzzLoad) rarely gets past protobuf's framing to these.
func TestImportMutatedModels(t *testing.T) {
	var seeds []*onnxpb.ModelProto
	for _, name := range []string{"resnet_opset13.onnx", "ops_opset17.onnx", "ops_opset13.onnx", "lenet5_view_opset13.onnx"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(b, &mp); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, &mp)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	imported, mutations := 0, 1500
	if testing.Short() {
		mutations = 500 // 9 s under -race otherwise
	}
	for it := range mutations {
		mp := proto.Clone(seeds[it%len(seeds)]).(*onnxpb.ModelProto)
		for range 1 + rng.IntN(3) {
			mutate(mp.Graph, rng)
		}
		b := encode(t, mp)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("mutation %d: import panicked: %v", it, r)
				}
			}()
			m, err := onnx.DecodeBytes(b)
			if err != nil || len(m.Inputs()) != 1 || m.CountParams() > 1<<20 {
				return
			}
			for _, kt := range append(m.Nodes(), m.Inputs()...) {
				if tensor.Numel(kt.Shape()) > 1<<16 {
					return
				}
			}
			imported++
			if _, err := m.PredictOutputs(tensor.New(append([]int{2}, m.InputShape()...)...), goras.Verbose(0)); err != nil {
				t.Errorf("mutation %d imports but does not predict: %v", it, err)
			}
		}()
	}
	if imported < mutations/15 {
		t.Errorf("only %d of %d mutated models imported; the mutations no longer reach the importer", imported, mutations)
	}
}

// odd are sizes and attribute values that break assumptions.
var odd = []int64{-5, -2, -1, 0, 1, 2, 3, 4, 7, 28, 1000, 1 << 20, 1 << 40}

var mutationOps = []string{"Gemm", "MatMul", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
	"ReduceMean", "ReduceMax", "BatchNormalization", "Relu", "LeakyRelu", "Elu", "Selu", "Gelu", "HardSigmoid", "Erf", "Clip", "Softmax",
	"LogSoftmax", "Add", "Sub", "Mul", "Div", "Pad", "Dropout", "Identity", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
	"Concat", "Constant", "ConstantOfShape", "Cast", "Shape", "Gather", "Slice"}

var mutationAttrs = []string{"axis", "perm", "pads", "strides", "group", "dilations", "kernel_shape", "auto_pad", "ceil_mode",
	"count_include_pad", "keepdims", "axes", "alpha", "output_padding", "output_shape"}

// mutate changes one thing in g.
func mutate(g *onnxpb.GraphProto, rng *rand.Rand) {
	n := g.Node[rng.IntN(len(g.Node))]
	pick := func() int64 { return odd[rng.IntN(len(odd))] }
	switch rng.IntN(8) {
	case 0:
		n.OpType = proto.String(mutationOps[rng.IntN(len(mutationOps))])
	case 1:
		if len(n.Attribute) > 0 {
			a := n.Attribute[rng.IntN(len(n.Attribute))]
			if len(a.Ints) > 0 {
				a.Ints[rng.IntN(len(a.Ints))] = pick()
			} else {
				a.I, a.F = proto.Int64(pick()), proto.Float32(float32(pick()))
			}
		}
	case 2:
		if len(n.Input) > 0 {
			n.Input = n.Input[:rng.IntN(len(n.Input))]
		}
	case 3:
		if len(n.Input) > 0 {
			n.Input[rng.IntN(len(n.Input))] = g.Node[rng.IntN(len(g.Node))].Output[0]
		}
	case 4:
		if in := g.Initializer[rng.IntN(len(g.Initializer))]; len(in.Dims) > 0 {
			in.Dims[rng.IntN(len(in.Dims))] = pick()
		}
	case 5:
		d := g.Input[0].Type.GetTensorType().Shape.Dim
		d[1+rng.IntN(len(d)-1)].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: []int64{1, 2, 3, 5, 64, 100000}[rng.IntN(6)]}
	case 6:
		n.Attribute = append(n.Attribute, &onnxpb.AttributeProto{Name: proto.String(mutationAttrs[rng.IntN(len(mutationAttrs))]),
			Ints: []int64{pick(), pick(), pick(), pick()}, I: proto.Int64(pick()), S: []byte("SAME_LOWER")})
	case 7:
		i := rng.IntN(len(g.Node))
		g.Node = append(g.Node[:i:i], g.Node[i+1:]...)
	}
}

// TestLoadRefusesWhatIsNotAFile: a link to a device (/dev/zero would be
// read until the 2 GiB limit) and a directory are refused by name before
// anything is read.
func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "zero.onnx")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	for _, path := range []string{link, dir} {
		_, err := onnx.Load(path)
		if err == nil || !strings.Contains(err.Error(), path+" is not a regular file") {
			t.Errorf("Load(%s): %v, want it refused as not a regular file", path, err)
		}
	}
}
