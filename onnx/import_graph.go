package onnx

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// ival is what the importer knows of an ONNX value: a constant, or a
// tensor the goras model computes. A computed value has ONNX's shape
// (batch axis left out) and is held by a goras tensor t in an order of
// its own: t's axis i is ONNX's axis perm[i]. Images are held channels
// last, perm (1, 2, 0) of ONNX's (C, H, W); a Transpose only changes perm.
// t's shape may differ from that order by axes of size 1 (GlobalAveragePool
// gives (C) for ONNX's (C, 1, 1)), which leaves the values in the same
// order; layers that need the exact shape get a Reshape.
type ival struct {
	c      *constant
	t      *goras.KerasTensor
	shape  []int
	perm   []int
	gshape []int // t's shape
	// order, for features flattened in goras's order (flattenHeld), is
	// the ONNX feature each value of t is; only Dense layers read them.
	order []int
}

// importer turns one ONNX graph into a goras model.
type importer struct {
	g       *onnxpb.GraphProto
	opset   int
	vals    map[string]*ival
	readers map[string][]*onnxpb.NodeProto // the nodes that read each value
	outputs map[string]bool                // graph outputs
	done    map[*onnxpb.NodeProto]bool     // nodes folded into an earlier one
	names   map[string]bool                // layer names taken
	suffix  map[string]int                 // the suffix claim tries first after each base
	weights map[layers.Layer]map[string][]float32
	inputs  []*goras.KerasTensor
	node    *onnxpb.NodeProto // the node being imported, which names the layers it makes
	fused   bool              // the node took in the nodes after it (its own output is not a value)
	folded  int               // values of the constants worked out so far
}

// viewOps give, on a constant, a constant that shares its values: they
// allocate nothing for the importer to count.
var viewOps = map[string]bool{"Identity": true, "Constant": true, "Reshape": true, "Squeeze": true, "Unsqueeze": true,
	"Flatten": true, "Dropout": true}

func newImporter(g *onnxpb.GraphProto, opset int) *importer {
	im := &importer{g: g, opset: opset, vals: map[string]*ival{}, readers: map[string][]*onnxpb.NodeProto{},
		outputs: map[string]bool{}, done: map[*onnxpb.NodeProto]bool{}, names: map[string]bool{}, suffix: map[string]int{},
		weights: map[layers.Layer]map[string][]float32{}}
	for _, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			// A node reading a value twice is listed once; it would be the
			// last listed (a search of the whole list made a value read by
			// n nodes cost n²/2).
			if rs := im.readers[in]; in != "" && (len(rs) == 0 || rs[len(rs)-1] != n) {
				im.readers[in] = append(rs, n)
			}
		}
	}
	for _, o := range g.GetOutput() {
		im.outputs[o.GetName()] = true
	}
	return im
}

// run imports the graph: initializers, inputs, nodes in order, outputs.
func (im *importer) run() (*goras.Model, error) {
	for _, t := range im.g.GetInitializer() {
		c, err := decodeTensor(t)
		if err != nil {
			return nil, fmt.Errorf("initializer: %v", err)
		}
		im.vals[t.GetName()] = &ival{c: c}
	}
	if len(im.g.GetSparseInitializer()) > 0 {
		return nil, fmt.Errorf("the graph has sparse initializers, which goras does not read")
	}
	if err := im.graphInputs(); err != nil {
		return nil, err
	}
	for _, n := range im.g.GetNode() {
		if im.done[n] {
			continue
		}
		if err := im.importNode(n); err != nil {
			return nil, err
		}
	}
	outs, err := im.graphOutputs()
	if err != nil {
		return nil, err
	}
	return im.model(outs)
}

// importNode maps one node, after checking that its inputs are known.
func (im *importer) importNode(n *onnxpb.NodeProto) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(attrTypeError)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("node %s (%s): its attribute %s is %s where ONNX defines %s; the file is not valid ONNX (onnx.checker says so too)",
				nodeName(n), n.GetOpType(), e.name, e.got, e.want)
		}
	}()
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return unsupported(n)
	}
	f, ok := importers[n.GetOpType()]
	if !ok {
		return unsupported(n)
	}
	for _, in := range n.GetInput() {
		if in != "" && im.vals[in] == nil {
			return fmt.Errorf("node %s (%s) reads %q, which no initializer, input or earlier node makes (the nodes must be in order)", nodeName(n), n.GetOpType(), in)
		}
	}
	if len(n.GetOutput()) == 0 || n.GetOutput()[0] == "" {
		return fmt.Errorf("node %s (%s) has no output", nodeName(n), n.GetOpType())
	}
	if k := im.minInputs(n.GetOpType()); len(n.GetInput()) < k || slices.Contains(n.GetInput()[:k], "") {
		return fmt.Errorf("node %s (%s) has inputs %q; it needs at least %d", nodeName(n), n.GetOpType(), n.GetInput(), k)
	}
	im.node, im.fused = n, false
	if err := f(im, n); err != nil {
		return fmt.Errorf("node %s (%s): %v", nodeName(n), n.GetOpType(), err)
	}
	if im.vals[n.GetOutput()[0]] == nil && !im.fused {
		return fmt.Errorf("node %s (%s): no value was made (an importer bug)", nodeName(n), n.GetOpType())
	}
	if v := im.vals[n.GetOutput()[0]]; v != nil && v.c != nil && !viewOps[n.GetOpType()] {
		if im.folded += v.c.len(); im.folded > maxFoldedTotal {
			return fmt.Errorf("node %s (%s): the constants worked out while importing hold more than %d values", nodeName(n), n.GetOpType(), maxFoldedTotal)
		}
	}
	return nil
}

// minInputs is how many inputs an operator must be given, at the model's
// opset.
func (im *importer) minInputs(op string) int {
	switch op {
	case "Constant":
		return 0
	case "Gemm", "MatMul", "Conv", "ConvTranspose", "Add", "Sub", "Mul", "Div", "Gather", "Reshape", "PRelu", "LayerNormalization":
		return 2
	case "BatchNormalization":
		return 5
	case "Slice":
		if im.opset >= 10 {
			return 3
		}
	case "Pad":
		if im.opset >= 11 {
			return 2
		}
	}
	return 1
}

// in returns input k of a node, nil when it is absent (optional).
func (im *importer) in(n *onnxpb.NodeProto, k int) *ival {
	if k >= len(n.GetInput()) || n.GetInput()[k] == "" {
		return nil
	}
	return im.vals[n.GetInput()[k]]
}

// set records output k of the node being imported.
func (im *importer) set(n *onnxpb.NodeProto, k int, v *ival) { im.vals[n.GetOutput()[k]] = v }

// onlyFirstOutput refuses a node whose outputs other than the first are
// read (BatchNormalization's training statistics, Dropout's mask, MaxPool's
// indices).
func (im *importer) onlyFirstOutput(n *onnxpb.NodeProto) error {
	for _, o := range n.GetOutput()[1:] {
		if o != "" && (len(im.readers[o]) > 0 || im.outputs[o]) {
			return fmt.Errorf("its output %q is read, and goras imports only the first output of %s", o, n.GetOpType())
		}
	}
	return nil
}

// graphInputs makes a goras Input for every graph input that is not an
// initializer. An image (N, C, H, W) becomes Input(H, W, C), channels last
// (see isImage); any other input keeps ONNX's shape.
func (im *importer) graphInputs() error {
	for _, vi := range im.g.GetInput() {
		name := vi.GetName()
		if im.vals[name] != nil { // an initializer listed as an input (IR version < 4)
			continue
		}
		tt := vi.GetType().GetTensorType()
		if tt == nil || tt.GetElemType() != int32(onnxpb.TensorProto_FLOAT) {
			return fmt.Errorf("input %q is not a float32 tensor; goras models take float32 inputs", name)
		}
		dims := tt.GetShape().GetDim()
		if len(dims) < 2 || len(dims) > maxRank {
			return fmt.Errorf("input %q has rank %d; goras takes inputs (N, d1, ...) of rank 2 to %d, the first axis being the batch", name, len(dims), maxRank)
		}
		shape := make([]int, len(dims)-1)
		for k, d := range dims[1:] {
			v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue)
			if !ok || v.DimValue <= 0 || v.DimValue > maxDim {
				return fmt.Errorf("input %q: axis %d has no fixed size (%v); goras needs fixed sizes for every axis but the batch", name, k+1, d)
			}
			shape[k] = int(v.DimValue)
		}
		perm := identity(len(shape))
		switch {
		case len(shape) == 3 && im.isImage(name, shape):
			perm = []int{1, 2, 0}
		case len(shape) == 2 && im.reachesChannelsFirst(name, false):
			perm = []int{1, 0} // a sequence (C, L), held (L, C)
		}
		gshape := permuted(shape, perm)
		if numel(gshape) > maxLayerValues {
			return fmt.Errorf("input %q has %d values per sample, more than goras's %d", name, numel(gshape), maxLayerValues)
		}
		t := goras.Input(gshape...)
		t.Layer().SetName(im.claim(sanitize(name), "input_layer"))
		im.inputs = append(im.inputs, t)
		im.vals[name] = &ival{t: t, shape: shape, perm: perm, gshape: gshape}
	}
	if len(im.inputs) == 0 {
		return fmt.Errorf("the graph has no input besides its initializers; goras models take at least one")
	}
	return nil
}

// isImage reports whether an input (N, d1, d2, d3) is an image (N, C, H,
// W), to be held channels last: when d1 = 1 (both layouts hold the values
// in the same order, so that MNIST digits are (28, 28, 1) whatever the
// model), or when it reaches, through element-wise operators, an operator
// that treats axis 1 as channels (Conv, pooling, BatchNormalization, Pad)
// or a Transpose to channels last. Otherwise (a model goras exported
// channels last, whose images are transposed to channels first at once,
// or that flattens them) it is taken as it is.
func (im *importer) isImage(name string, shape []int) bool {
	return shape[0] == 1 || im.reachesChannelsFirst(name, true)
}

// reachesChannelsFirst reports whether value name reaches, through
// element-wise operators, an operator that treats axis 1 as channels, or,
// when transposes count, a Transpose of an image to channels last. A
// sequence input (N, C, L) that reaches a Conv or pooling is held (L, C);
// one that reaches them through a Transpose only (a goras export, whose
// sequences are (N, L, C)) keeps its shape.
func (im *importer) reachesChannelsFirst(name string, transposes bool) bool {
	seen := map[string]bool{name: true}
	queue := []string{name}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, r := range im.readers[v] {
			var p []int // a perm of another type is refused when its Transpose is imported
			if a := attr(r, "perm"); a != nil && (a.GetType() == onnxpb.AttributeProto_INTS || a.GetType() == onnxpb.AttributeProto_UNDEFINED) {
				p, _ = attrInts(r, "perm")
			}
			switch op := r.GetOpType(); {
			case channelsFirstOps[op] || transposes && op == "Transpose" && slices.Equal(p, []int{0, 2, 3, 1}):
				return true
			case elementwiseOps[op] && !seen[r.GetOutput()[0]]:
				seen[r.GetOutput()[0]] = true
				queue = append(queue, r.GetOutput()[0])
			}
		}
	}
	return false
}

// channelsFirstOps read axis 1 of an image as its channels.
var channelsFirstOps = map[string]bool{"Conv": true, "ConvTranspose": true, "MaxPool": true, "AveragePool": true,
	"GlobalAveragePool": true, "GlobalMaxPool": true, "BatchNormalization": true, "Pad": true, "Resize": true, "Upsample": true}

// elementwiseOps keep their input's layout.
var elementwiseOps = map[string]bool{"Relu": true, "Sigmoid": true, "Tanh": true, "Softplus": true, "LeakyRelu": true, "Elu": true,
	"Selu": true, "Gelu": true, "HardSigmoid": true, "Erf": true, "Clip": true, "Add": true, "Sub": true, "Mul": true, "Div": true,
	"Identity": true, "Dropout": true, "Cast": true, "PRelu": true, "ThresholdedRelu": true}

// graphOutputs gives every graph output goras's layout: images channels
// last, anything else as ONNX has it.
func (im *importer) graphOutputs() ([]*goras.KerasTensor, error) {
	var outs []*goras.KerasTensor
	for _, o := range im.g.GetOutput() {
		v := im.vals[o.GetName()]
		switch {
		case v == nil:
			return nil, fmt.Errorf("output %q is made by no node", o.GetName())
		case v.c != nil:
			return nil, fmt.Errorf("output %q is a constant; a goras model computes its outputs from its inputs", o.GetName())
		}
		perm := identity(len(v.shape))
		if len(v.shape) == 3 {
			perm = []int{1, 2, 0}
		}
		w, err := im.as(v, perm)
		if err != nil {
			return nil, fmt.Errorf("output %q: %v", o.GetName(), err)
		}
		if isInputTensor(w.t) {
			return nil, fmt.Errorf("output %q is an input: the graph computes nothing", o.GetName())
		}
		im.renameOutput(w.t.Layer(), o.GetName())
		outs = append(outs, w.t)
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("the graph has no output")
	}
	return outs, nil
}

func isInputTensor(t *goras.KerasTensor) bool {
	_, ok := t.Layer().(*layers.InputLayer)
	return ok
}

// renameOutput names the layer making an output after it, as goras's
// exporter names outputs after layers, when the name is free.
func (im *importer) renameOutput(l layers.Layer, output string) {
	name := sanitize(output)
	if name == "" || name == l.Name() || im.names[name] {
		return
	}
	delete(im.names, l.Name())
	im.names[name] = true
	l.SetName(name)
}

// model makes the goras model and copies the ONNX weights into it.
func (im *importer) model(outs []*goras.KerasTensor) (m *goras.Model, err error) {
	defer func() {
		if r := recover(); r != nil { // a layer that panics on a shape is a bug, not the user's: still an error
			m, err = nil, fmt.Errorf("the model does not build: %v", r)
		}
	}()
	m, err = goras.NewModel(im.inputs, outs)
	if err != nil {
		return nil, fmt.Errorf("the model does not build: %v", err)
	}
	if name := sanitize(im.g.GetName()); name != "" {
		m.SetName(name)
	}
	// Nodes the outputs do not depend on (a head left behind when a file's
	// outputs were moved to a layer inside it) made layers the model does
	// not hold, whose shapes are never worked out: only the model's are
	// checked.
	built := map[*goras.KerasTensor]bool{}
	for _, t := range slices.Concat(m.Nodes(), m.Inputs()) {
		built[t] = true
	}
	for _, v := range im.vals {
		if v.t != nil && built[v.t] && !slices.Equal(v.t.Shape(), v.gshape) {
			return nil, fmt.Errorf("layer %q makes shape %v where the importer expected %v (an importer bug)", v.t.Layer().Name(), v.t.Shape(), v.gshape)
		}
	}
	for _, l := range m.Layers() {
		ws := im.weights[l]
		for _, p := range l.Params() {
			suffix := strings.TrimPrefix(p.Name, l.Name()+"/")
			data, ok := ws[suffix]
			if !ok || len(data) != p.Value.Len() {
				return nil, fmt.Errorf("layer %q: no weights of %d values for %s (an importer bug)", l.Name(), p.Value.Len(), p.Name)
			}
			copy(p.Value.Data(), data)
		}
	}
	return m, nil
}

// call calls a new layer, named after the node being imported, on values
// (each already in the layout the layer needs, exact shapes) and returns
// its output tensor. weights are its weights' values by name ("kernel").
func (im *importer) call(l layers.Layer, weights map[string][]float32, ins ...*ival) *goras.KerasTensor {
	base := ""
	if im.node != nil {
		base = layerName(im.node)
	}
	return im.callNamed(l, base, weights, ins)
}

// callAux calls a layer the mapping adds around the node's own (a padding,
// a transpose, a reshape), named by its class as Keras names layers.
func (im *importer) callAux(l layers.Layer, ins ...*ival) *goras.KerasTensor {
	return im.callNamed(l, "", nil, ins)
}

func (im *importer) callNamed(l layers.Layer, base string, weights map[string][]float32, ins []*ival) *goras.KerasTensor {
	l.SetName(im.claim(base, snake(l.ClassName())))
	if weights != nil {
		im.weights[l] = weights
	}
	ts := make([]*goras.KerasTensor, len(ins))
	for k, v := range ins {
		ts[k] = v.t
	}
	return goras.Call(l, ts...)
}

// claim takes base as a layer name, or base_1, base_2, ... when taken;
// fallback when base is empty. It goes on from the last suffix it gave
// base: trying base_1 on every time would make a graph of n nodes of one
// name (or none, as many files leave them) take n²/2 tries.
func (im *importer) claim(base, fallback string) string {
	if base == "" {
		base = fallback
	}
	name := base
	k := max(im.suffix[base], 1)
	for ; im.names[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	im.suffix[base] = k
	im.names[name] = true
	return name
}

var (
	unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.\-]+`)
	opSuffix    = regexp.MustCompile(`^[A-Z][A-Za-z]*(_[0-9]+)?$`)
	snake1      = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	snake2      = regexp.MustCompile(`([a-z])([A-Z])`)
)

// layerName derives a layer name from a node's: PyTorch's "/conv1/Conv"
// gives "conv1", "/layer1/layer1.0/conv1/Conv" gives
// "layer1_layer1.0_conv1", goras's "dense/Gemm" gives "dense"; a name that
// is only the operator ("Conv_3", "/Relu") gives "".
func layerName(n *onnxpb.NodeProto) string {
	parts := strings.Split(strings.Trim(n.GetName(), "/"), "/")
	if len(parts) > 1 {
		parts = parts[:len(parts)-1]
	} else if opSuffix.MatchString(parts[0]) {
		return ""
	}
	return sanitize(strings.Join(parts, "_"))
}

// sanitize keeps letters, digits, '_', '.' and '-', at most 64 characters.
func sanitize(s string) string {
	s = strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "_")
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// snake is Keras's default layer name for a class: Conv2D → conv2d,
// MaxPooling2D → max_pooling2d.
func snake(class string) string {
	s := snake1.ReplaceAllString(class, "${1}_${2}")
	return strings.ToLower(snake2.ReplaceAllString(s, "${1}_${2}"))
}
