package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/tensor"
)

// unary applies a layer that works value by value: the tensor keeps its
// shape and layout.
func (im *importer) unary(n *onnxpb.NodeProto, l layers.Layer) error {
	v := im.in(n, 0)
	if v.c != nil {
		return fmt.Errorf("it applies %s to a constant; goras imports it on tensors the model computes", n.GetOpType())
	}
	t := im.call(l, nil, v)
	im.set(n, 0, &ival{t: t, shape: v.shape, perm: v.perm, gshape: v.gshape})
	return nil
}

// importActivation maps Relu, Sigmoid, Tanh, Softplus, Elu, LeakyRelu,
// Selu and Gelu: an Activation layer when goras has the activation by
// name, LeakyReLU or ELU for other slopes.
func importActivation(im *importer, n *onnxpb.NodeProto) error {
	if act := activationName(im, n, 1); act != "" {
		return im.unary(n, layers.Activation(act))
	}
	switch n.GetOpType() {
	case "LeakyRelu":
		return im.unary(n, layers.LeakyReLU(attrFloat(n, "alpha", 0.01)))
	case "Elu":
		return im.unary(n, layers.ELU(attrFloat(n, "alpha", 1)))
	case "Selu":
		return fmt.Errorf("alpha %v and gamma %v differ from SELU's constants, the only ones goras has", attrFloat(n, "alpha", 0), attrFloat(n, "gamma", 0))
	case "Gelu":
		return fmt.Errorf("approximate %q: goras's gelu is the exact one (approximate \"none\")", attrString(n, "approximate", ""))
	}
	return unsupported(n)
}

func importHardSigmoid(im *importer, n *onnxpb.NodeProto) error {
	return im.unary(n, layers.HardSigmoid(attrFloat(n, "alpha", 0.2), attrFloat(n, "beta", 0.5)))
}

func importErf(im *importer, n *onnxpb.NodeProto) error { return im.unary(n, layers.Erf()) }

// importClip: Clip(0, ∞) is a ReLU, anything else a Clip layer. The limits
// are attributes up to opset 10, constant inputs from 11. A min above the
// max sets every value to the max, as ONNX defines Clip (Min(max,
// Max(x, min))): a Clip from max to max, which exports back as that.
// (onnxruntime 1.30 computes so for limits given as inputs; for the
// attributes of opsets 6 to 10 it refuses min > max.)
func importClip(im *importer, n *onnxpb.NodeProto) error {
	lo, hi := math.Inf(-1), math.Inf(1)
	if im.opset < 11 {
		lo, hi = attrFloat(n, "min", lo), attrFloat(n, "max", hi)
	} else {
		for k, p := range []*float64{&lo, &hi} {
			v := im.in(n, k+1)
			if v == nil {
				continue
			}
			if v.c == nil || v.c.len() != 1 {
				return fmt.Errorf("its limit (input %d) should be a constant number, got %s", k+1, describe(v))
			}
			*p = shortest(v.c.floats()[0])
		}
	}
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return fmt.Errorf("its limits min %v and max %v: goras clips to numbers (leave a limit out for none)", lo, hi)
	}
	if lo > hi {
		lo = hi
	}
	if lo == 0 && math.IsInf(hi, 1) {
		return im.unary(n, layers.Activation("relu"))
	}
	return im.unary(n, layers.Clip(lo, hi))
}

// importDropout: dropout does nothing at inference.
func importDropout(im *importer, n *onnxpb.NodeProto) error {
	if err := im.onlyFirstOutput(n); err != nil {
		return err
	}
	if t := im.in(n, 2); t != nil && (t.c == nil || t.c.len() != 1 || t.c.floats()[0] != 0) {
		return fmt.Errorf("training_mode is not a constant false: goras imports models for inference")
	}
	im.set(n, 0, im.in(n, 0))
	return nil
}

// importSoftmax: Softmax and LogSoftmax on the axis goras holds last; from
// opset 13 on one axis, before on every axis from axis on, flattened.
func importSoftmax(im *importer, n *onnxpb.NodeProto) error {
	v := im.in(n, 0)
	if v.c != nil {
		return fmt.Errorf("it applies %s to a constant", n.GetOpType())
	}
	act := "softmax"
	if n.GetOpType() == "LogSoftmax" {
		act = "log_softmax"
	}
	def := int64(-1)
	if im.opset < 13 {
		def = 1
	}
	axis, err := normAxis(attrInt(n, "axis", def), len(v.shape)+1)
	if err != nil {
		return err
	}
	if axis == 0 {
		return fmt.Errorf("it normalizes across the batch axis")
	}
	a := axis - 1
	if im.opset < 13 && numel(v.shape[a:]) != v.shape[a] {
		// Over the axes from a on, flattened: reshape, apply, reshape back.
		x, err := im.plain(v)
		if err != nil {
			return err
		}
		flat := append(slices.Clone(v.shape[:a]), numel(v.shape[a:]))
		f := im.reshaped(&ival{t: x.t, shape: flat, perm: identity(len(flat)), gshape: x.gshape}, identity(len(flat)), flat)
		t := im.call(layers.Activation(act), nil, f)
		y := &ival{t: t, shape: v.shape, perm: identity(len(v.shape)), gshape: flat}
		im.set(n, 0, y)
		return nil
	}
	perm := v.perm
	if perm[len(perm)-1] != a {
		perm = append(slices.DeleteFunc(slices.Clone(perm), func(p int) bool { return p == a }), a)
	}
	x, err := im.as(v, perm)
	if err != nil {
		return err
	}
	t := im.call(layers.Activation(act), nil, x)
	im.set(n, 0, computed(t, v.shape, perm))
	return nil
}

// arithmetic names the four element-wise operators as goras's
// ConstantArithmetic and merge layers do.
var arithmetic = map[string]string{"Add": "add", "Sub": "subtract", "Mul": "multiply", "Div": "divide"}

// importBinary maps Add, Sub, Mul and Div: folded on two constants; a merge
// layer (Add, Subtract, Multiply) on two computed tensors of one shape; with
// a constant, a Rescaling for one number and a ConstantArithmetic for a
// tensor broadcast over the samples.
func importBinary(im *importer, n *onnxpb.NodeProto) error {
	a, b := im.in(n, 0), im.in(n, 1)
	if a == nil || b == nil {
		return fmt.Errorf("it needs two inputs")
	}
	op := n.GetOpType()
	switch {
	case a.c != nil && b.c != nil:
		c, err := foldBinary(op, a.c, b.c)
		if err != nil {
			return err
		}
		im.set(n, 0, &ival{c: c})
		return nil
	case a.c == nil && b.c == nil:
		return im.merge(n, op, a, b)
	}
	x, c, reverse := a, b.c, false
	if a.c != nil {
		x, c, reverse = b, a.c, true
	}
	cs, err := sampleConstantShape(x.shape, c.shape)
	if err != nil {
		return err
	}
	vals := c.floats()
	if len(vals) == 1 && (op != "Div") {
		return im.rescale(n, x, op, float64(vals[0]), reverse)
	}
	xe, err := im.as(x, x.perm)
	if err != nil {
		return err
	}
	held, err := foldTranspose(&constant{shape: cs, f: vals}, x.perm)
	if err != nil {
		return err
	}
	ct, err := tensor.FromSlice(held.f, held.shape...)
	if err != nil {
		return err
	}
	t := im.call(layers.ConstantArithmetic(arithmetic[op], ct, reverse), map[string][]float32{"constant": held.f}, xe)
	im.set(n, 0, &ival{t: t, shape: x.shape, perm: x.perm, gshape: xe.gshape})
	return nil
}

// sampleConstantShape lines a constant of shape cs up with samples of
// shape s (NumPy's broadcasting over (N, s...)) and returns its shape per
// sample, len(s) axes. The result must have the samples' shape.
func sampleConstantShape(s, cs []int) ([]int, error) {
	full := len(s) + 1
	if len(cs) > full {
		return nil, fmt.Errorf("a constant of shape %v has more axes than %s", cs, shapeString(s))
	}
	padded := append(slices.Repeat([]int{1}, full-len(cs)), cs...)
	if padded[0] != 1 {
		return nil, fmt.Errorf("a constant of shape %v varies along the batch axis of %s; goras broadcasts constants over samples", cs, shapeString(s))
	}
	for k, d := range padded[1:] {
		if d != 1 && d != s[k] {
			return nil, fmt.Errorf("a constant of shape %v does not broadcast over %s into its shape", cs, shapeString(s))
		}
	}
	return padded[1:], nil
}

// rescale maps arithmetic with one number to a Rescaling (x·scale +
// offset), taking in the Add or Sub of a number that follows a Mul.
func (im *importer) rescale(n *onnxpb.NodeProto, x *ival, op string, c float64, reverse bool) error {
	scale, offset := 1.0, 0.0
	switch {
	case op == "Add":
		offset = c
	case op == "Sub" && reverse:
		scale, offset = -1, c
	case op == "Sub":
		offset = -c
	default: // Mul
		scale = c
	}
	out := n.GetOutput()[0]
	if op == "Mul" {
		if r := im.soleReader(out); r != nil && (r.GetOpType() == "Add" || r.GetOpType() == "Sub") && len(r.GetInput()) == 2 {
			other := r.GetInput()[1]
			if other == out && r.GetOpType() == "Add" {
				other = r.GetInput()[0]
			}
			// A number with more axes than the samples moves the batch axis
			// (NumPy's broadcasting), as it would alone (sampleConstantShape).
			if k := im.vals[other]; other != out && k != nil && k.c != nil && k.c.len() == 1 && len(k.c.shape) <= len(x.shape)+1 {
				offset = float64(k.c.floats()[0])
				if r.GetOpType() == "Sub" {
					offset = -offset
				}
				im.done[r], im.fused = true, true
				out = r.GetOutput()[0]
			}
		}
	}
	t := im.call(layers.Rescaling(scale, offset), nil, x)
	im.vals[out] = &ival{t: t, shape: x.shape, perm: x.perm, gshape: x.gshape}
	return nil
}

// merge maps arithmetic on two computed tensors of one shape to goras's
// merge layers, both held in the first one's order.
func (im *importer) merge(n *onnxpb.NodeProto, op string, a, b *ival) error {
	if !slices.Equal(a.shape, b.shape) {
		return fmt.Errorf("it broadcasts %s with %s; goras's merge layers take tensors of one shape", shapeString(a.shape), shapeString(b.shape))
	}
	var l layers.Layer
	switch op {
	case "Add":
		l = layers.Add()
	case "Sub":
		l = layers.Subtract()
	case "Mul":
		l = layers.Multiply()
	default:
		return fmt.Errorf("it divides two computed tensors; goras has no Divide layer (it divides by constants)")
	}
	xa, err := im.as(a, a.perm)
	if err != nil {
		return err
	}
	xb, err := im.as(b, a.perm)
	if err != nil {
		return err
	}
	t := im.call(l, nil, xa, xb)
	im.set(n, 0, &ival{t: t, shape: a.shape, perm: a.perm, gshape: xa.gshape})
	return nil
}

// importPad: zeros around an image's rows and columns are a ZeroPadding2D,
// negative pads a Cropping2D.
func importPad(im *importer, n *onnxpb.NodeProto) error {
	if mode := attrString(n, "mode", "constant"); mode != "constant" {
		return fmt.Errorf("mode %q: goras pads with zeros only (mode constant)", mode)
	}
	var pads []int64
	fill := 0.0
	if im.opset < 11 {
		pads, fill = attrInt64s(n, "pads"), attrFloat(n, "value", 0)
	} else {
		var err error
		if pads, err = im.intList(n, 1, "pads"); err != nil {
			return err
		}
		if v := im.in(n, 2); v != nil {
			if v.c == nil || v.c.len() != 1 {
				return fmt.Errorf("its value should be a constant number, got %s", describe(v))
			}
			fill = float64(v.c.floats()[0])
		}
		if im.in(n, 3) != nil {
			return fmt.Errorf("its axes input (opset 18) is not supported; list pads for every axis")
		}
	}
	v := im.in(n, 0)
	if !slices.ContainsFunc(pads, func(p int64) bool { return p != 0 }) && v.c == nil {
		im.set(n, 0, v) // pads nothing (PyTorch writes one before avg_pool1d)
		return nil
	}
	if fill != 0 {
		return fmt.Errorf("it pads with %v; goras pads with zeros only", fill)
	}
	if v.c != nil || len(v.shape) != 3 || len(pads) != 8 {
		return fmt.Errorf("it pads %s with pads %v; goras pads images (N, C, H, W) along H and W", describe(v), pads)
	}
	if pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 {
		return fmt.Errorf("pads %v pad the batch or channel axis; goras pads rows and columns only", pads)
	}
	p := [4]int{int(pads[2]), int(pads[6]), int(pads[3]), int(pads[7])} // top, bottom, left, right
	for _, d := range p {
		if d < -maxAttrValue || d > maxAttrValue {
			return fmt.Errorf("pads %v are out of range", pads)
		}
	}
	x, err := im.image(v)
	if err != nil {
		return err
	}
	shape := []int{v.shape[0], v.shape[1] + p[0] + p[1], v.shape[2] + p[2] + p[3]}
	if shape[1] < 1 || shape[2] < 1 {
		return fmt.Errorf("pads %v leave nothing of %s", pads, shapeString(v.shape))
	}
	pos := func(d int) int { return max(d, 0) }
	neg := func(d int) int { return max(-d, 0) }
	t := x.t
	if p[0] > 0 || p[1] > 0 || p[2] > 0 || p[3] > 0 {
		t = im.call(layers.ZeroPadding2D(pos(p[0]), pos(p[1]), pos(p[2]), pos(p[3])), nil, x)
		x = computed(t, []int{v.shape[0], v.shape[1] + pos(p[0]) + pos(p[1]), v.shape[2] + pos(p[2]) + pos(p[3])}, []int{1, 2, 0})
	}
	if p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0 {
		t = im.callAux(layers.Cropping2D(neg(p[0]), neg(p[1]), neg(p[2]), neg(p[3])), x)
	}
	im.set(n, 0, computed(t, shape, []int{1, 2, 0}))
	return nil
}
