package onnx

import (
	"fmt"
	"io"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// Option changes how a model is exported: Opset, NCHW.
type Option func(*options)

type options struct {
	opset int
	nchw  bool
}

// Opset sets the version of the default ONNX operator set the file
// declares: 17 (the default) or 13, for runtimes that stop there. The
// exporter writes the same operators for both; any other version is an
// error.
func Opset(version int) Option { return func(o *options) { o.opset = version } }

// NCHW makes image inputs (per-sample shape (H, W, C)) channels first, (N,
// C, H, W), the layout PyTorch users feed. Default false: inputs keep
// goras's layout, (N, H, W, C). Inputs of other ranks and the outputs
// always keep goras's layout.
func NCHW(on bool) Option { return func(o *options) { o.nchw = on } }

// Export writes m as an ONNX model file at path, atomically: a reader sees
// the old file or the whole new one. See Encode for what is written.
func Export(m *goras.Model, path string, opts ...Option) error {
	mp, err := build(m, opts)
	if err != nil {
		return err
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		return fmt.Errorf("onnx: encoding the model: %w", err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Encode writes m to w as an ONNX model (a ModelProto in protobuf's binary
// form): one graph whose inputs are named after m's Input layers (an
// unnamed one, as a Sequential's, is "input_layer", Keras's name) and whose
// outputs are named after the layers that make them, with the model's
// per-sample shapes and a dynamic batch dimension "N"; every weight is an
// initializer named as in the model ("dense/kernel"). Layers that compute
// nothing at inference (Dropout, the augmentation layers) are left out. A
// layer the exporter does not know is an error naming it, unless it
// implements Exporter.
func Encode(m *goras.Model, w io.Writer, opts ...Option) error {
	mp, err := build(m, opts)
	if err != nil {
		return err
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		return fmt.Errorf("onnx: encoding the model: %w", err)
	}
	_, err = w.Write(b)
	return err
}

// build makes the ModelProto of m.
func build(m *goras.Model, opts []Option) (*onnxpb.ModelProto, error) {
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
	if m == nil {
		return nil, fmt.Errorf("onnx: Export of a nil model")
	}
	if err := m.Build(); err != nil {
		return nil, err
	}
	g := newGraph(o.opset)
	gp, err := g.model(m, o.nchw)
	if err != nil {
		return nil, err
	}
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(ir),
		ProducerName: proto.String("goras"),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(int64(o.opset))}},
		Graph:        gp,
	}, nil
}

// irVersion is the IR version that goes with each supported opset: the
// oldest that knows it, so that older runtimes read the file.
var irVersion = map[int]int64{13: 7, 17: 8}

// model exports the calls of m in order and returns the graph.
func (g *Graph) model(m *goras.Model, nchw bool) (*onnxpb.GraphProto, error) {
	for _, l := range m.Layers() {
		g.reserved[l.Name()] = true // outputs are named after layers: keep the names free
	}
	for _, in := range m.Inputs() {
		g.reserved[in.Layer().Name()] = true
	}
	gp := &onnxpb.GraphProto{Name: proto.String(m.Name())}
	vals := map[*goras.KerasTensor]string{}
	for _, in := range m.Inputs() {
		base := in.Layer().Name()
		if base == "" {
			base = "input_layer" // Keras's name for an unnamed input
		}
		name := g.claim(base)
		shape := in.Shape()
		first := nchw && len(shape) == 3
		dims := shape
		if first {
			dims = []int{shape[2], shape[0], shape[1]}
		}
		g.setValue(name, shape, first)
		gp.Input = append(gp.Input, valueInfo(name, dims))
		vals[in] = name
	}
	for _, t := range m.Nodes() {
		ins := make([]string, len(t.Inputs()))
		for i, in := range t.Inputs() {
			ins[i] = vals[in]
		}
		g.prefix = t.Layer().Name()
		out, err := g.layer(t.Layer(), ins, t.Shape())
		if err != nil {
			return nil, err
		}
		vals[t] = out
	}
	outs, err := g.outputs(m, vals)
	if err != nil {
		return nil, err
	}
	gp.Output, gp.Node, gp.Initializer = outs, g.nodes, g.inits
	return gp, nil
}

// outputs names each output value after the layer that makes it, in goras's
// layout. The value is renamed where a node of the graph makes it; an
// input, or a value that is already another output, is copied by Identity.
func (g *Graph) outputs(m *goras.Model, vals map[*goras.KerasTensor]string) ([]*onnxpb.ValueInfoProto, error) {
	g.prefix = "output"
	var infos []*onnxpb.ValueInfoProto
	named := map[string]string{} // output values renamed so far, by old name
	for _, o := range m.Outputs() {
		v := g.natural(vals[o])
		name := g.claim(o.Layer().Name())
		switch prev, done := named[v]; {
		case done: // the same value is an earlier output too
			g.rename(g.Node("Identity", []string{prev}), name)
		case g.producer(v) == nil: // an input
			g.rename(g.Node("Identity", []string{v}), name)
		default:
			g.rename(v, name)
			named[v] = name
		}
		infos = append(infos, valueInfo(name, o.Shape()))
	}
	return infos, nil
}

// claim takes name for a graph input or output, or, if an earlier one has
// it (two outputs of one shared layer), name_1, name_2, ...
func (g *Graph) claim(name string) string {
	if g.used[name] {
		return g.unique(name)
	}
	g.used[name] = true
	return name
}

// producer is the node whose output v is, nil for an input or initializer.
func (g *Graph) producer(v string) *onnxpb.NodeProto {
	for _, n := range g.nodes {
		for _, out := range n.Output {
			if out == v {
				return n
			}
		}
	}
	return nil
}

// rename gives value from the name to wherever it is made or read.
func (g *Graph) rename(from, to string) {
	for _, n := range g.nodes {
		for i := range n.Output {
			if n.Output[i] == from {
				n.Output[i] = to
			}
		}
		for i := range n.Input {
			if n.Input[i] == from {
				n.Input[i] = to
			}
		}
	}
}

// valueInfo describes a float32 tensor of shape (N, dims...), N dynamic.
func valueInfo(name string, dims []int) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{
		{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{
			Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}}
}
