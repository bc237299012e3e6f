package onnx

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/tensor"
	"google.golang.org/protobuf/proto"
)

// Exporter is a layer that knows how to write itself as ONNX operators.
// The exporter handles every layer goras has; a layer of your own (a
// custom op) that does not implement Exporter makes Export fail with an
// error naming it. A layer that does is asked to add its nodes to g:
//
//	// ExportONNX writes y = x·σ(β·x): β is one initializer, broadcast over
//	// the last axis as the layer's op does.
//	func (l *PSwishLayer) ExportONNX(g *onnx.Graph, inputs []string) (string, error) {
//		beta := g.Param(l.beta)
//		bx := g.Node("Mul", []string{inputs[0], beta})
//		return g.Node("Mul", []string{inputs[0], g.Node("Sigmoid", []string{bx})}), nil
//	}
//
// inputs are the names of the layer's input values, one per input of the
// call, each laid out as goras lays it out (channels last, batch first, the
// batch dimension dynamic); the returned name is the layer's output value,
// in the same layout. Graph's methods name the nodes and values after the
// layer. Operators must exist in the opset g.Opset() and compute in float32.
type Exporter interface {
	ExportONNX(g *Graph, inputs []string) (output string, err error)
}

// Graph is the ONNX graph an export is writing; an Exporter adds its layer's
// nodes and weights to it through Node, Param, Constant and Int64s. Node
// and value names are made unique, prefixed with the name of the layer
// being exported ("dense/Gemm", "pswish/Mul_1"). A Graph is used by one
// export at a time, from one goroutine.
type Graph struct {
	opset    int
	prefix   string // the layer being exported
	nodes    []*onnxpb.NodeProto
	inits    []*onnxpb.TensorProto
	used     map[string]bool   // names taken by values, initializers and nodes
	reserved map[string]bool   // layer names, kept for the inputs and outputs
	params   map[string]string // Param's initializer for each parameter name
	vals     map[string]*value // values whose per-sample shape is known
	other    map[string]string // a value's copy in the other layout, once made
}

// value is what the exporter knows of a value: its per-sample shape, in
// goras's order, and whether it is stored channels first.
type value struct {
	shape []int
	nchw  bool
}

func newGraph(opset int) *Graph {
	return &Graph{opset: opset, used: map[string]bool{}, reserved: map[string]bool{}, params: map[string]string{},
		vals: map[string]*value{}, other: map[string]string{}}
}

// Opset is the version of the default ONNX operator set being written (13
// or 17).
func (g *Graph) Opset() int { return g.opset }

// unique returns base, or base_1, base_2, ... whichever is not taken yet,
// and takes it.
func (g *Graph) unique(base string) string {
	name := base
	for i := 1; g.used[name] || g.reserved[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	g.used[name] = true
	return name
}

// Node adds a node of operator op (e.g. "Relu", "Conv") reading inputs,
// with the given attributes, and returns the name of its one output. An
// empty input name stands for an optional input left out.
func (g *Graph) Node(op string, inputs []string, attrs ...Attribute) string {
	return g.NodeOutputs(op, inputs, 1, attrs...)[0]
}

// NodeOutputs is Node for an operator with several outputs; it returns
// their names.
func (g *Graph) NodeOutputs(op string, inputs []string, outputs int, attrs ...Attribute) []string {
	name := g.unique(g.prefix + "/" + op)
	outs := make([]string, outputs)
	for i := range outs {
		if i == 0 {
			outs[i] = name // the node and its first output share the name
		} else {
			outs[i] = g.unique(fmt.Sprintf("%s:%d", name, i))
		}
	}
	n := &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op),
		Input: append([]string(nil), inputs...), Output: outs}
	for _, a := range attrs {
		n.Attribute = append(n.Attribute, a.p)
	}
	g.nodes = append(g.nodes, n)
	return outs
}

// Param adds a weight of the model as an initializer named after it
// ("dense/kernel"), with its shape and values, and returns that name. A
// weight used by several calls of a layer is written once.
func (g *Graph) Param(p *autograd.Param) string {
	if name, ok := g.params[p.Name]; ok {
		return name
	}
	name := g.addFloats(p.Name, p.Value.Data(), p.Value.Shape())
	g.params[p.Name] = name
	return name
}

// Constant adds a float32 initializer holding t, named after the layer
// ("rescaling/scale" for name "scale"), and returns its name.
func (g *Graph) Constant(name string, t *tensor.Tensor) string {
	return g.addFloats(g.prefix+"/"+name, t.Data(), t.Shape())
}

// Int64s adds a one-dimensional int64 initializer, as operators take for
// shapes and axes (Reshape's shape), named after the layer, and returns its
// name.
func (g *Graph) Int64s(name string, values ...int64) string {
	t := &onnxpb.TensorProto{Name: proto.String(g.unique(g.prefix + "/" + name)),
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{int64(len(values))},
		Int64Data: append([]int64(nil), values...)}
	g.inits = append(g.inits, t)
	return t.GetName()
}

// addFloats adds a float32 initializer; the values are copied.
func (g *Graph) addFloats(name string, data []float32, shape []int) string {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	t := &onnxpb.TensorProto{Name: proto.String(g.unique(name)),
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: dims,
		FloatData: append([]float32(nil), data...)}
	g.inits = append(g.inits, t)
	return t.GetName()
}

// Attribute is one attribute of a node, made by AttrInt, AttrInts,
// AttrFloat, AttrFloats or AttrString.
type Attribute struct{ p *onnxpb.AttributeProto }

// AttrInt is an integer attribute, e.g. AttrInt("axis", 1).
func AttrInt(name string, v int) Attribute {
	return Attribute{&onnxpb.AttributeProto{Name: proto.String(name),
		Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(v))}}
}

// AttrInts is a list-of-integers attribute, e.g. AttrInts("strides", 1, 1).
func AttrInts(name string, v ...int) Attribute {
	ints := make([]int64, len(v))
	for i, x := range v {
		ints[i] = int64(x)
	}
	return Attribute{&onnxpb.AttributeProto{Name: proto.String(name),
		Type: onnxpb.AttributeProto_INTS.Enum(), Ints: ints}}
}

// AttrFloat is a float attribute, e.g. AttrFloat("alpha", 0.2).
func AttrFloat(name string, v float32) Attribute {
	return Attribute{&onnxpb.AttributeProto{Name: proto.String(name),
		Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}}
}

// AttrFloats is a list-of-floats attribute.
func AttrFloats(name string, v ...float32) Attribute {
	return Attribute{&onnxpb.AttributeProto{Name: proto.String(name),
		Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: append([]float32(nil), v...)}}
}

// AttrString is a string attribute, e.g. AttrString("mode", "constant").
func AttrString(name, v string) Attribute {
	return Attribute{&onnxpb.AttributeProto{Name: proto.String(name),
		Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}}
}

// Layouts. goras keeps images channels last (N, H, W, C), and sequences
// (N, L, C); ONNX's Conv and pooling operators take them channels first
// (N, C, H, W) and (N, C, L). Rather than transposing around every
// convolution, the exporter keeps a run of convolution, pooling,
// normalization and element-wise layers channels first and transposes
// back only where a layer needs goras's order (Flatten, Reshape, Dense, a
// custom layer, an output), so that Flatten reads the values in the order
// goras flattens them. Each copy is made once and shared by every reader.

var (
	toNCHW = []int{0, 3, 1, 2}
	toNHWC = []int{0, 2, 3, 1}
	swapCL = []int{0, 2, 1} // (N, L, C) ↔ (N, C, L), its own inverse
)

// setValue records the per-sample shape (goras's order) and layout of a value.
func (g *Graph) setValue(name string, shape []int, nchw bool) {
	g.vals[name] = &value{shape: append([]int(nil), shape...), nchw: nchw}
}

// isNCHW reports whether a value is stored channels first.
func (g *Graph) isNCHW(name string) bool {
	v := g.vals[name]
	return v != nil && v.nchw
}

// shape is a value's per-sample shape in goras's order, nil if unknown.
func (g *Graph) shape(name string) []int {
	if v := g.vals[name]; v != nil {
		return v.shape
	}
	return nil
}

// natural returns the value in goras's layout, transposing a channels-first
// image or sequence back.
func (g *Graph) natural(name string) string {
	if !g.isNCHW(name) {
		return name
	}
	if len(g.shape(name)) == 2 {
		return g.relayout(name, swapCL, false)
	}
	return g.relayout(name, toNHWC, false)
}

// channelsFirst returns an image (per-sample rank 3) or a sequence (rank
// 2) channels first; values of other ranks as they are.
func (g *Graph) channelsFirst(name string) string {
	switch {
	case g.isNCHW(name):
		return name
	case len(g.shape(name)) == 2:
		return g.relayout(name, swapCL, true)
	case len(g.shape(name)) == 3:
		return g.relayout(name, toNCHW, true)
	}
	return name
}

func (g *Graph) relayout(name string, perm []int, nchw bool) string {
	if t, ok := g.other[name]; ok {
		return t
	}
	t := g.Node("Transpose", []string{name}, AttrInts("perm", perm...))
	g.setValue(t, g.shape(name), nchw)
	g.other[name], g.other[t] = t, name
	return t
}

// axis converts a goras axis of a value (counted on the full shape, batch
// 0, negative from the end) to the axis of its ONNX layout.
func (g *Graph) axis(name string, a int) int {
	rank := len(g.shape(name)) + 1
	if a < 0 {
		a += rank
	}
	switch {
	case !g.isNCHW(name):
		return a
	case rank == 3:
		return swapCL[a] // L, C of (N, L, C) sit at 2, 1 of (N, C, L)
	}
	return []int{0, 2, 3, 1}[a] // H, W, C of (N, H, W, C) sit at 2, 3, 1 of (N, C, H, W)
}
