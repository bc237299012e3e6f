package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// Imports of PRelu, ThresholdedRelu and LayerNormalization, the operator
// (opset 17 on) and the formula exporters write before it.

// importPRelu: PRelu with a constant slope is goras's PReLU, its α the
// slope broadcast over a sample and held as x is: one α per value along
// the axes where the slope varies, shared along those where it has 1
// (PyTorch's PReLU(C) on images gives a slope (C, 1, 1): one per channel).
func importPRelu(im *importer, n *onnxpb.NodeProto) error {
	v, s := im.in(n, 0), im.in(n, 1)
	if v.c != nil {
		return fmt.Errorf("it applies PRelu to a constant; goras imports it on tensors the model computes")
	}
	if s.c == nil {
		return fmt.Errorf("its slope (input 1) should be a constant, got %s", describe(s))
	}
	cs, err := sampleConstantShape(v.shape, s.c.shape)
	if err != nil {
		return err
	}
	x, err := im.as(v, v.perm)
	if err != nil {
		return err
	}
	held, err := foldTranspose(&constant{shape: cs, f: s.c.floats()}, v.perm)
	if err != nil {
		return err
	}
	var shared []int
	for k, d := range held.shape {
		if d == 1 && x.gshape[k] != 1 {
			shared = append(shared, k+1) // Keras counts the batch as axis 0
		}
	}
	var opts []layers.PReLUOption
	if len(shared) > 0 {
		opts = append(opts, layers.WithSharedAxes(shared...))
	}
	t := im.call(layers.PReLU(opts...), map[string][]float32{"alpha": held.f}, x)
	im.set(n, 0, &ival{t: t, shape: v.shape, perm: v.perm, gshape: x.gshape})
	return nil
}

// importThresholdedRelu: x for x > alpha, else 0, is goras's ReLU with
// that threshold.
func importThresholdedRelu(im *importer, n *onnxpb.NodeProto) error {
	alpha := attrFloat(n, "alpha", 1)
	if !(alpha >= 0) {
		return fmt.Errorf("alpha %v: goras's ReLU takes thresholds ≥ 0", alpha)
	}
	return im.unary(n, layers.ReLU(layers.WithThreshold(alpha)))
}

// importLayerNorm: LayerNormalization over the axes from axis on is goras's
// LayerNormalization over as many trailing axes, with Scale as γ and B as
// β (none: center false).
func importLayerNorm(im *importer, n *onnxpb.NodeProto) error {
	if err := im.onlyFirstOutput(n); err != nil {
		return err
	}
	v := im.in(n, 0)
	if v.c != nil {
		return fmt.Errorf("it normalizes a constant; goras imports it on tensors the model computes")
	}
	first, err := normAxis(attrInt(n, "axis", -1), len(v.shape)+1)
	if err != nil {
		return err
	}
	return im.layerNorm(v, lnForm{first: first, eps: attrFloat(n, "epsilon", 1e-5), gamma: im.in(n, 1), beta: im.in(n, 2)}, n.GetOutput()[0])
}

// lnForm is what a layer normalization computes: over the axes from
// first (counted with the batch as 0) to the last, with epsilon, not
// centred for rms (Keras's rms_scaling), and γ and β when not nil.
type lnForm struct {
	first       int
	eps         float64
	rms         bool
	gamma, beta *ival
}

// layerNorm calls goras's LayerNormalization on v, held in its own order
// when that keeps the normalized axes last (the statistics do not depend
// on their order: γ and β are reordered), else in ONNX's, and records the
// result as value out.
func (im *importer) layerNorm(v *ival, f lnForm, out string) error {
	r := len(v.shape)
	if f.first == 0 {
		return fmt.Errorf("it normalizes across the batch axis; goras normalizes each sample over its own axes")
	}
	if !(f.eps > 0) {
		return fmt.Errorf("epsilon %v: goras's LayerNormalization needs ε > 0", f.eps)
	}
	k := r - f.first + 1 // axes normalized
	norm := v.shape[f.first-1:]
	perm := identity(r)
	if tail := slices.Sorted(slices.Values(v.perm[r-k:])); slices.Equal(tail, identity(r)[r-k:]) {
		perm = v.perm
	}
	x, err := im.as(v, perm)
	if err != nil {
		return err
	}
	sub := make([]int, k) // the normalized axes' order in x
	for i, a := range perm[r-k:] {
		sub[i] = a - (f.first - 1)
	}
	ws := map[string][]float32{}
	for name, w := range map[string]*ival{"gamma": f.gamma, "beta": f.beta} {
		if w == nil {
			continue
		}
		if w.c == nil {
			return fmt.Errorf("its %s should be a constant, got %s", name, describe(w))
		}
		c, err := broadcastTo(w.c, norm)
		if err != nil {
			return fmt.Errorf("its %s: %v", name, err)
		}
		if c, err = foldTranspose(c, sub); err != nil {
			return err
		}
		ws[name] = c.f
	}
	opts := []layers.LayerNormOption{layers.WithEpsilon(f.eps), layers.WithScale(f.gamma != nil), layers.WithCenter(f.beta != nil),
		layers.WithRMSScaling(f.rms)}
	if k == 1 {
		opts = append(opts, layers.WithAxis(-1))
	} else {
		axes := make([]int, k)
		for i := range axes {
			axes[i] = i - k
		}
		opts = append(opts, layers.WithAxes(axes...))
	}
	if f.rms && f.gamma == nil { // rms_scaling always has γ
		ws["gamma"] = slices.Repeat([]float32{1}, numel(norm))
	}
	t := im.call(layers.LayerNormalization(opts...), ws, x)
	im.vals[out] = &ival{t: t, shape: v.shape, perm: perm, gshape: x.gshape}
	return nil
}

// broadcastTo expands a constant to shape, NumPy's way (aligned on the
// last axis, axes of 1 repeated).
func broadcastTo(c *constant, shape []int) (*constant, error) {
	if len(c.shape) > len(shape) {
		return nil, fmt.Errorf("a constant of shape %v has more axes than %v", c.shape, shape)
	}
	cs := append(slices.Repeat([]int{1}, len(shape)-len(c.shape)), c.shape...)
	for a, d := range cs {
		if d != 1 && d != shape[a] {
			return nil, fmt.Errorf("a constant of shape %v does not broadcast to %v", c.shape, shape)
		}
	}
	st := strides(cs)
	return remap(&constant{shape: cs, f: c.floats()}, shape, func(o []int) int {
		k := 0
		for a := range o {
			if cs[a] != 1 {
				k += o[a] * st[a]
			}
		}
		return k
	})
}

// layerNormFormula recognizes, from its first ReduceMean, the layer
// normalization exporters write before opset 17 (PyTorch's, and goras's
// at opset 13):
//
//	mean = ReduceMean(x), d = x - mean, var = ReduceMean(d² or d·d),
//	y = d / Sqrt(var + ε) [· γ] [+ β]
//
// over trailing axes, and Keras's rms_scaling form, x / Sqrt(var + ε) [·
// γ]. It imports the whole chain as one LayerNormalization and reports
// true, or reports false and leaves the nodes alone when they compute
// something else or another node reads a value inside the chain.
func (im *importer) layerNormFormula(n *onnxpb.NodeProto) (bool, error) {
	v := im.in(n, 0)
	axes, err := im.axesOf(n, 18)
	if v == nil || v.c != nil || err != nil || attrInt(n, "keepdims", 1) == 0 || len(v.shape) == 0 {
		return false, nil
	}
	first, ok := trailingAxes(axes, len(v.shape)+1)
	if !ok {
		return false, nil
	}
	x, mean := n.GetInput()[0], n.GetOutput()[0]
	sub := im.soleReader(mean)
	if !im.isOp(sub, "Sub", x, mean) {
		return false, nil
	}
	d := sub.GetOutput()[0]
	var sq *onnxpb.NodeProto
	for _, r := range im.readers[d] {
		if im.isOp(r, "Mul", d, d) || im.isOp(r, "Pow", d, "") && im.number(r.GetInput()[1], len(v.shape)+1) == 2 {
			sq = r
		}
	}
	if sq == nil || im.outputs[d] {
		return false, nil
	}
	variance := im.soleReader(sq.GetOutput()[0])
	if variance == nil || variance.GetOpType() != "ReduceMean" || variance.GetInput()[0] != sq.GetOutput()[0] ||
		attrInt(variance, "keepdims", 1) == 0 {
		return false, nil
	}
	if va, err := im.axesOf(variance, 18); err != nil || !slices.Equal(va, axes) {
		return false, nil
	}
	add := im.soleReader(variance.GetOutput()[0])
	eps, ok := im.constantOperand(add, "Add", variance.GetOutput()[0], len(v.shape)+1)
	if !ok {
		return false, nil
	}
	sqrt := im.soleReader(add.GetOutput()[0])
	if sqrt == nil || sqrt.GetOpType() != "Sqrt" {
		return false, nil
	}
	div := im.soleReader(sqrt.GetOutput()[0])
	f := lnForm{first: first, eps: shortest(eps)}
	switch {
	case im.isOp(div, "Div", d, sqrt.GetOutput()[0]) && len(im.readers[d]) == 2:
	case im.isOp(div, "Div", x, sqrt.GetOutput()[0]) && len(im.readers[d]) == 1:
		f.rms = true
	default:
		return false, nil
	}
	chain := []*onnxpb.NodeProto{sub, sq, variance, add, sqrt, div}
	out := div.GetOutput()[0]
	norm := v.shape[first-1:]
	if mul := im.soleReader(out); mul != nil && mul.GetOpType() == "Mul" {
		if g := im.affine(mul, out, norm); g != nil {
			f.gamma, out, chain = g, mul.GetOutput()[0], append(chain, mul)
		}
	}
	if a := im.soleReader(out); a != nil && a.GetOpType() == "Add" && !f.rms {
		if b := im.affine(a, out, norm); b != nil {
			f.beta, out, chain = b, a.GetOutput()[0], append(chain, a)
		}
	}
	for _, c := range chain {
		im.done[c] = true
	}
	im.fused = true
	return true, im.layerNorm(v, f, out)
}

// trailingAxes reports whether axes (of a rank-rank tensor, batch 0) are
// the last ones, each once, none the batch, and returns the first.
func trailingAxes(axes []int, rank int) (int, bool) {
	if len(axes) == 0 || len(axes) >= rank {
		return 0, false
	}
	norm := make([]int, len(axes))
	for i, a := range axes {
		a, err := normAxis(a, rank)
		if err != nil {
			return 0, false
		}
		norm[i] = a
	}
	slices.Sort(norm)
	for i, a := range norm {
		if a != rank-len(norm)+i {
			return 0, false
		}
	}
	return norm[0], norm[0] > 0
}

// isOp reports whether node r is operator op reading inputs a and b, in
// that order ("" for any).
func (im *importer) isOp(r *onnxpb.NodeProto, op, a, b string) bool {
	if r == nil || r.GetOpType() != op || len(r.GetInput()) != 2 {
		return false
	}
	return r.GetInput()[0] == a && (b == "" || r.GetInput()[1] == b)
}

// known is value name as the importer knows it, or, for a constant a later
// Constant node makes (PyTorch writes a Constant just before the node
// that reads it), that constant, worked out now; nil otherwise.
func (im *importer) known(name string) *ival {
	if v := im.vals[name]; v != nil {
		return v
	}
	for _, n := range im.g.GetNode() {
		if n.GetOpType() == "Constant" && len(n.GetOutput()) == 1 && n.GetOutput()[0] == name && n.GetDomain() == "" {
			if importConstant(im, n) == nil {
				return im.vals[name]
			}
		}
	}
	return nil
}

// number is the value of a constant holding one number, NaN otherwise.
func (im *importer) number(name string, rank int) float32 {
	// More axes than the value it meets would broadcast that value to them,
	// moving its batch axis, which goras's fused layer would not do.
	if v := im.known(name); v != nil && v.c != nil && v.c.len() == 1 && !v.c.isInt && len(v.c.shape) <= rank {
		return v.c.floats()[0]
	}
	return float32(math.NaN())
}

// constantOperand returns the one number, of at most rank axes, that node
// r (operator op) combines with value x, in either order.
func (im *importer) constantOperand(r *onnxpb.NodeProto, op, x string, rank int) (float32, bool) {
	if r == nil || r.GetOpType() != op || len(r.GetInput()) != 2 {
		return 0, false
	}
	other := r.GetInput()[1]
	if other == x {
		other = r.GetInput()[0]
	}
	c := im.number(other, rank)
	return c, c == c && other != x
}

// affine returns the constant that node r combines with value x, when it
// broadcasts into the normalized shape norm, else nil.
func (im *importer) affine(r *onnxpb.NodeProto, x string, norm []int) *ival {
	if len(r.GetInput()) != 2 {
		return nil
	}
	other := r.GetInput()[1]
	if other == x {
		other = r.GetInput()[0]
	}
	c := im.known(other)
	if other == x || c == nil || c.c == nil || c.c.isInt {
		return nil
	}
	if _, err := broadcastTo(c.c, norm); err != nil {
		return nil
	}
	return c
}
