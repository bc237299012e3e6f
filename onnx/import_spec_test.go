package onnx_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Corners of the operators' definitions, and files written to make the
// importer work without bound: each once imported a model that computed
// something else, panicked, or ran away.

// softmaxOf is the softmax of v.
func softmaxOf(v ...float64) []float32 {
	sum := 0.0
	for _, a := range v {
		sum += math.Exp(a)
	}
	out := make([]float32, len(v))
	for i, a := range v {
		out[i] = float32(math.Exp(a) / sum)
	}
	return out
}

// TestImportFlattenAxis: Flatten's output has two axes, (d0·…·d(axis-1),
// d(axis)·…), and its axis is in [-r, r], a negative one counted from r.
// With the batch as d0, only axis 1, or a later one past sizes of 1, keeps
// the batch axis alone; any other folds sample axes into the batch, which
// goras cannot hold. They had given (N, 1, 3) for (N, 1, 3) at axis 2,
// whose Softmax over axis 1 was then over one value, and (N, 3, 1) for
// axis -1 of (N, 3).
func TestImportFlattenAxis(t *testing.T) {
	third := softmaxOf(0, 1, 2)
	flatSoftmax := func(in []int64, axis int64) *onnxpb.ModelProto {
		return model(17, in, "y", []*onnxpb.NodeProto{nodeProto("Flatten", "f", []string{"x"}, []string{"z"}, intAttr("axis", axis)),
			nodeProto("Softmax", "s", []string{"z"}, []string{"y"}, intAttr("axis", 1))})
	}
	for _, c := range []struct {
		name  string
		model *onnxpb.ModelProto
		shape []int
		want  []float32
	}{
		{"axis 2 past a size of 1", flatSoftmax([]int64{1, 3}, 2), []int{1, 3}, third},
		{"axis -1 of (N, 3)", flatSoftmax([]int64{3}, -1), []int{1, 3}, third},
		// A constant (2, 3) flattened at axis -1 keeps its shape, and
		// multiplies the samples value by value.
		{"constant at axis -1", model(17, []int64{2, 3}, "y", []*onnxpb.NodeProto{nodeProto("Flatten", "f", []string{"c"}, []string{"fc"}, intAttr("axis", -1)),
			nodeProto("Mul", "m", []string{"x", "fc"}, []string{"y"})}, floats("c", []int64{2, 3}, 1, 2, 3, 4, 5, 6)), []int{1, 2, 3}, []float32{0, 2, 6, 12, 20, 30}},
	} {
		y := onRamp(t, c.name, encode(t, c.model))
		if y == nil {
			continue
		}
		if fmt.Sprint(y.Shape()) != fmt.Sprint(c.shape) {
			t.Errorf("%s: output shape %v, want %v", c.name, y.Shape(), c.shape)
			continue
		}
		wantValues(t, c.name, y, c.want)
	}
	for _, c := range []struct {
		name string
		in   []int64
		axis int64
		want string
	}{
		{"axis 2 of (N, 2, 3)", []int64{2, 3}, 2, "folds axes of sizes [2] into the batch axis, (N·2, 3)"},
		{"axis -1 of (N, 2, 3)", []int64{2, 3}, -1, "folds axes of sizes [2] into the batch axis"},
		{"axis -3 of (N, 2, 3)", []int64{2, 3}, -3, "axis 0 folds the batch axis"},
		{"axis 3 of (N, 2, 3)", []int64{2, 3}, 3, "folds axes of sizes [2 3] into the batch axis"},
		{"axis 4 of (N, 2, 3)", []int64{2, 3}, 4, "axis 4 is outside [-3, 3]"},
	} {
		_, err := onnx.DecodeBytes(encode(t, flatSoftmax(c.in, c.axis)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: import error %v, want one saying %q", c.name, err, c.want)
		}
	}
}

// TestImportGatherSharedIndices: a Gather with a negative index left the
// index made positive in the constant itself, so that a second Gather
// reading the same initializer (-1: the last of 5 values) took the last
// of the first one's 3 values' place (2) instead.
func TestImportGatherSharedIndices(t *testing.T) {
	idx := &onnxpb.TensorProto{Name: proto.String("last"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: []int64{-1}}
	m, err := onnx.DecodeBytes(encode(t, model(17, []int64{1}, "y", []*onnxpb.NodeProto{
		nodeProto("Gather", "g3", []string{"three", "last"}, []string{"a"}),
		nodeProto("Gather", "g5", []string{"five", "last"}, []string{"b"}),
		nodeProto("Mul", "m", []string{"x", "b"}, []string{"y"})},
		floats("three", []int64{3}, 1, 2, 3), floats("five", []int64{5}, 10, 20, 30, 40, 50), idx)))
	if err != nil {
		t.Fatal(err)
	}
	x := ramp(m)
	x.Data()[0] = 1
	y, err := m.PredictOnBatch(x)
	if err != nil {
		t.Fatal(err)
	}
	if y.Data()[0] != 50 {
		t.Errorf("x·five[-1] = %v, want 50", y.Data()[0])
	}
}

// TestImportSliceMoreStartsThanAxes: a Slice of a constant without axes
// gives one start per axis from the first; more starts than the constant
// has axes panicked.
func TestImportSliceMoreStartsThanAxes(t *testing.T) {
	_, err := onnx.DecodeBytes(encode(t, model(17, []int64{2}, "y", []*onnxpb.NodeProto{
		nodeProto("Slice", "/s/Slice", []string{"c", "st", "en"}, []string{"cs"}),
		nodeProto("Add", "a", []string{"x", "cs"}, []string{"y"})},
		floats("c", []int64{2}, 1, 2), int64s("st", 0, 0), int64s("en", 2, 2))))
	if want := `node "/s/Slice" (Slice): starts [0 0] slice 2 axes of a constant of shape [2]`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("import error %v, want one saying %q", err, want)
	}
}

// allocated is what DecodeBytes(b) allocates: bytes and objects.
func allocated(b []byte) (bytes, objects uint64, err error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = onnx.DecodeBytes(b)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, after.Mallocs - before.Mallocs, err
}

// TestImportRankBounded: a few hundred bytes of nodes must not make the
// importer build shapes without limit. A Gather of a constant by itself
// nearly doubles its rank (18 of them made a shape of 1.8 million axes,
// and each one more twice that: 24 took gigabytes); Unsqueeze and
// Reshape add axes too. Every shape stays within goras's rank of 8.
func TestImportRankBounded(t *testing.T) {
	zero := &onnxpb.TensorProto{Name: proto.String("g0"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)),
		Dims: []int64{1, 1, 1, 1, 1, 1, 1, 1}, Int64Data: []int64{0}}
	gathers := []*onnxpb.NodeProto{nodeProto("Relu", "r", []string{"x"}, []string{"y"})}
	for k := 1; k <= 18; k++ {
		in, out := fmt.Sprintf("g%d", k-1), fmt.Sprintf("g%d", k)
		gathers = append(gathers, nodeProto("Gather", out, []string{in, in}, []string{out}))
	}
	unsqueezes := []*onnxpb.NodeProto{}
	for k := 1; k <= 20; k++ {
		in, out := fmt.Sprintf("u%d", k-1), fmt.Sprintf("u%d", k)
		if k == 1 {
			in = "x"
		}
		unsqueezes = append(unsqueezes, nodeProto("Unsqueeze", out, []string{in, "ax"}, []string{out}))
	}
	unsqueezes = append(unsqueezes, nodeProto("Relu", "r", []string{"x"}, []string{"y"}))
	ones := make([]int64, 20)
	for k := range ones {
		ones[k] = 1
	}
	for _, c := range []struct {
		name  string
		model *onnxpb.ModelProto
		want  string
	}{
		{"Gather", model(17, []int64{1}, "y", gathers, zero), `node "g1" (Gather): rank 15 is more than the 8 goras supports`},
		{"Unsqueeze", model(17, []int64{1}, "y", unsqueezes, int64s("ax", 1)), `node "u7" (Unsqueeze): rank 9 is more than the 8 goras supports`},
		{"Reshape", model(17, []int64{1}, "y", []*onnxpb.NodeProto{nodeProto("Reshape", "/r/Reshape", []string{"x", "shape"}, []string{"y"})},
			int64s("shape", ones...)), `node "/r/Reshape" (Reshape): rank 20 is more than the 8 goras supports`},
		{"Reshape of a constant", model(17, []int64{1}, "y", []*onnxpb.NodeProto{nodeProto("Reshape", "/c/Reshape", []string{"one", "shape"}, []string{"c"}),
			nodeProto("Mul", "m", []string{"x", "c"}, []string{"y"})}, floats("one", []int64{1}, 1), int64s("shape", ones...)),
			`node "/c/Reshape" (Reshape): rank 20 is more than the 8 goras supports`},
	} {
		bytes, _, err := allocated(encode(t, c.model))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: import error %v, want one saying %q", c.name, err, c.want)
		}
		if bytes > 4<<20 {
			t.Errorf("%s: importing %d nodes allocated %d bytes", c.name, len(c.model.Graph.Node), bytes)
		}
	}
}

// TestImportManyNodesLinear: layer names are claimed in time linear in
// the nodes. Files often leave nodes unnamed or name them after their
// operator ("Relu_7"), so that every layer of a class asks for the same
// name; trying name_1, name_2, ... from 1 each time made 20,000 Relu
// nodes (a 700 kB file) take 40 seconds and allocate 1,300 objects per
// node at 1,000 nodes, 4,300 at 3,000.
func TestImportManyNodesLinear(t *testing.T) {
	const n = 3000
	var nodes []*onnxpb.NodeProto
	prev := "x"
	for k := range n {
		out := fmt.Sprintf("v%d", k)
		nodes = append(nodes, nodeProto("Relu", fmt.Sprintf("Relu_%d", k), []string{prev}, []string{out}))
		prev = out
	}
	b := encode(t, model(17, []int64{4}, prev, nodes))
	_, objects, err := allocated(b)
	if err != nil {
		t.Fatal(err)
	}
	if objects > 200*n {
		t.Errorf("importing %d nodes allocated %d objects, %d per node", n, objects, objects/n)
	}
	m, err := onnx.DecodeBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	ls := m.Layers()
	if got := []string{ls[0].Name(), ls[1].Name(), ls[n-2].Name(), ls[n-1].Name()}; fmt.Sprint(got) != fmt.Sprintf("[activation activation_1 activation_%d v%d]", n-2, n-1) {
		t.Errorf("layers named %v", got)
	}
}

// TestImportRescaleOffsetRank: the Add of a number after a Mul by a number
// is taken into the Rescaling only when it has no more axes than the
// samples: a (1, 1, 1) on (N, 3) gives (1, N, 3), whose Softmax over axis
// 1 is over the batch. Taken in, it had been a softmax over the 3 values;
// alone, such an Add was already refused.
func TestImportRescaleOffsetRank(t *testing.T) {
	nodes := func(first string) []*onnxpb.NodeProto {
		return []*onnxpb.NodeProto{nodeProto(first, "m", []string{"x", "two"}, []string{"z"}),
			nodeProto("Add", "a", []string{"z", "c"}, []string{"w"}),
			nodeProto("Softmax", "s", []string{"w"}, []string{"y"}, intAttr("axis", 1))}
	}
	for _, first := range []string{"Mul", "Add"} {
		_, err := onnx.DecodeBytes(encode(t, model(17, []int64{3}, "y", nodes(first), floats("two", nil, 2), floats("c", []int64{1, 1, 1}, 1))))
		if want := `node "a" (Add): a constant of shape [1 1 1] has more axes than (N, 3)`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("after %s: import error %v, want one saying %q", first, err, want)
		}
	}
}

// TestImportDeadNodes: a file whose outputs were moved to a value inside
// it (PyTorch's MLP cut after its hidden layer, to read features) keeps
// the nodes after it, which the outputs do not depend on. Their layers
// are not the model's and have no shapes worked out; the check of every
// layer's shape took that for an importer bug and refused the file.
func TestImportDeadNodes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "mlp_opset13.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatal(err)
	}
	mp.Graph.Output[0].Name = proto.String("/Relu_output_0")
	m, err := onnx.DecodeBytes(encode(t, &mp))
	if err != nil {
		t.Fatal(err)
	}
	var w, bias []float32
	for _, in := range mp.Graph.Initializer {
		switch in.GetName() {
		case "fc1.weight":
			w = rawFloats(in)
		case "fc1.bias":
			bias = rawFloats(in)
		}
	}
	x := readF32(t, "digits.in.f32")
	y, err := m.Predict(nhwc(x, []int{4, 1, 28, 28}), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(y.Shape()) != "[4 32]" {
		t.Fatalf("features of shape %v, want [4 32]", y.Shape())
	}
	for s := range 4 {
		for j := range 32 {
			sum := float64(bias[j])
			for i := range 784 {
				sum += float64(w[j*784+i]) * float64(x[s*784+i])
			}
			if got := float64(y.Data()[s*32+j]); math.Abs(got-max(sum, 0)) > 1e-5 {
				t.Fatalf("feature %d of digit %d is %v, want relu(%v)", j, s, got, sum)
			}
		}
	}
}

// rawFloats reads a float32 initializer, its values in raw_data or float_data.
func rawFloats(t *onnxpb.TensorProto) []float32 {
	if len(t.GetRawData()) == 0 {
		return t.GetFloatData()
	}
	out := make([]float32, len(t.GetRawData())/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.GetRawData()[4*i:]))
	}
	return out
}

// TestImportLayerNormFormulaEpsilonRank: the layer-norm formula fuses into
// a LayerNormalization only when its ε (and Pow's exponent) has no more
// axes than the value: a (1, 1, 1) ε on (N, 4) broadcasts the result to
// (1, N, 4), as a fused layer would not, so that file is not fused.
func TestImportLayerNormFormulaEpsilonRank(t *testing.T) {
	formula := func(epsDims ...int64) []byte {
		nodes := []*onnxpb.NodeProto{
			nodeProto("ReduceMean", "mean", []string{"x"}, []string{"m"}, intsAttr("axes", -1)),
			nodeProto("Sub", "sub", []string{"x", "m"}, []string{"d"}),
			nodeProto("Mul", "sq", []string{"d", "d"}, []string{"d2"}),
			nodeProto("ReduceMean", "var", []string{"d2"}, []string{"v"}, intsAttr("axes", -1)),
			nodeProto("Add", "add", []string{"v", "eps"}, []string{"ve"}),
			nodeProto("Sqrt", "sqrt", []string{"ve"}, []string{"s"}),
			nodeProto("Div", "div", []string{"d", "s"}, []string{"y"}),
		}
		return encode(t, model(13, []int64{4}, "y", nodes, floats("eps", epsDims, 1e-5)))
	}
	m, err := onnx.DecodeBytes(formula(1))
	if err != nil || m.Layers()[len(m.Layers())-1].ClassName() != "LayerNormalization" {
		t.Fatalf("ε of shape (1): %v; want a LayerNormalization", err)
	}
	if m, err := onnx.DecodeBytes(formula(1, 1, 1)); err == nil {
		t.Errorf("ε of shape (1, 1, 1) on (N, 4) imported, ending in a %s; want it refused", m.Layers()[len(m.Layers())-1].ClassName())
	}
}
