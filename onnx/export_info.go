package onnx

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Info is a short description of an ONNX model: what `goras export`
// prints about the file it wrote.
type Info struct {
	Opset, IRVersion int
	Inputs, Outputs  []TensorInfo
	Operators        []string // the operator of every node, in order
	Initializers     int
	Weights          int // values in the initializers
}

// TensorInfo is a graph input or output: its name and shape, a dynamic
// dimension by its name ("N").
type TensorInfo struct {
	Name  string
	Shape []string
}

// Inspect describes the ONNX model encoded in b.
func Inspect(b []byte) (Info, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return Info{}, fmt.Errorf("onnx: not an ONNX model (a ModelProto in protobuf's binary form): %w", err)
	}
	info := Info{IRVersion: int(mp.GetIrVersion())}
	for _, o := range mp.GetOpsetImport() {
		if o.GetDomain() == "" || o.GetDomain() == "ai.onnx" {
			info.Opset = int(o.GetVersion())
		}
	}
	g := mp.GetGraph()
	info.Inputs, info.Outputs = tensorInfos(g.GetInput()), tensorInfos(g.GetOutput())
	for _, n := range g.GetNode() {
		info.Operators = append(info.Operators, n.GetOpType())
	}
	for _, t := range g.GetInitializer() {
		info.Initializers++
		// Counted with checks: a damaged or hostile file's sizes would make
		// the product negative or wrap around, a count printed silently wrong.
		n := 1
		for _, d := range t.GetDims() {
			if d < 0 || d > math.MaxInt32 || (d > 0 && n > (math.MaxInt-info.Weights)/int(d)) {
				return Info{}, fmt.Errorf("onnx: initializer %q declares dimensions %v, more values than a model can hold", t.GetName(), t.GetDims())
			}
			n *= int(d)
		}
		info.Weights += n
	}
	return info, nil
}

func tensorInfos(vs []*onnxpb.ValueInfoProto) []TensorInfo {
	var out []TensorInfo
	for _, v := range vs {
		t := TensorInfo{Name: v.GetName()}
		for _, d := range v.GetType().GetTensorType().GetShape().GetDim() {
			if p := d.GetDimParam(); p != "" {
				t.Shape = append(t.Shape, p)
			} else {
				t.Shape = append(t.Shape, strconv.FormatInt(d.GetDimValue(), 10))
			}
		}
		out = append(out, t)
	}
	return out
}

// String is the description in a few lines: opset, inputs, outputs,
// operators and weights.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "opset %d (IR version %d)\n", i.Opset, i.IRVersion)
	for _, t := range i.Inputs {
		fmt.Fprintf(&b, "input %s: (%s)\n", t.Name, strings.Join(t.Shape, ", "))
	}
	for _, t := range i.Outputs {
		fmt.Fprintf(&b, "output %s: (%s)\n", t.Name, strings.Join(t.Shape, ", "))
	}
	fmt.Fprintf(&b, "%d nodes: %s\n", len(i.Operators), strings.Join(i.Operators, " "))
	fmt.Fprintf(&b, "%d initializers, %s weights", i.Initializers, thousands(i.Weights))
	return b.String()
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
