package onnx

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// Fusions: a layer that computes x·W (+ b) can take the bias of the Add
// that follows it and the activation after that, as goras's Dense and
// Conv2D do (Conv2D fuses ReLU into its kernel). A node is folded only when
// it is the one reader of the value and the value is no graph output, so
// that nothing else sees the unfused value.

// soleReader returns the one node reading value name, or nil.
func (im *importer) soleReader(name string) *onnxpb.NodeProto {
	rs := im.readers[name]
	if len(rs) != 1 || im.outputs[name] || im.done[rs[0]] || len(rs[0].GetOutput()) == 0 || rs[0].GetOutput()[0] == "" {
		return nil
	}
	return rs[0]
}

// biasAfter returns the Add reading value name with a constant of n values
// shaped as a bias ((n) or (1, n)), and that constant, or nil.
func (im *importer) biasAfter(name string, n int) (*onnxpb.NodeProto, []float32) {
	r := im.soleReader(name)
	if r == nil || r.GetOpType() != "Add" || len(r.GetInput()) != 2 {
		return nil, nil
	}
	other := r.GetInput()[0]
	if other == name {
		other = r.GetInput()[1]
	}
	c := im.vals[other]
	if c == nil || c.c == nil || c.c.len() != n {
		return nil, nil
	}
	if s := c.c.shape; len(s) != 1 && (len(s) != 2 || s[0] != 1) {
		return nil, nil
	}
	return r, c.c.floats()
}

// activationAfter returns the node reading value name that applies an
// activation goras's layers take by name, with that name ("relu",
// "softmax", ...), or nil. rank is the value's per-sample rank, channelAxis
// the ONNX axis that goras holds last (1 for images and vectors).
func (im *importer) activationAfter(name string, rank int) (*onnxpb.NodeProto, string) {
	r := im.soleReader(name)
	if r == nil {
		return nil, ""
	}
	act := activationName(im, r, rank)
	if act == "" {
		return nil, ""
	}
	return r, act
}

// activationName is the goras activation a node applies, "" if none.
func activationName(im *importer, r *onnxpb.NodeProto, rank int) string {
	switch r.GetOpType() {
	case "Relu":
		return "relu"
	case "Sigmoid":
		return "sigmoid"
	case "Tanh":
		return "tanh"
	case "Softplus":
		return "softplus"
	case "Elu":
		if attrFloat(r, "alpha", 1) == 1 {
			return "elu"
		}
	case "LeakyRelu":
		if float32(attrFloat(r, "alpha", 0.01)) == float32(0.2) {
			return "leaky_relu"
		}
	case "Selu":
		if seluMatches(r) {
			return "selu"
		}
	case "Gelu":
		if attrString(r, "approximate", "none") == "none" {
			return "gelu"
		}
	case "Softmax", "LogSoftmax":
		// On goras's last axis: ONNX's axis 1 of a vector or an image.
		def := int64(-1)
		if im.opset < 13 {
			def = 1
		}
		axis := int(attrInt(r, "axis", def))
		if axis < 0 {
			axis += rank + 1
		}
		if axis == 1 && (rank == 1 || im.opset >= 13) {
			if r.GetOpType() == "Softmax" {
				return "softmax"
			}
			return "log_softmax"
		}
	}
	return ""
}

// seluMatches reports whether a Selu node has goras's (Keras's) constants,
// to float32 precision.
func seluMatches(n *onnxpb.NodeProto) bool {
	return float32(attrFloat(n, "alpha", autograd.SELUAlpha)) == float32(autograd.SELUAlpha) &&
		float32(attrFloat(n, "gamma", autograd.SELUScale)) == float32(autograd.SELUScale)
}

// fuse folds into the layer making value out the bias Add after it (when
// bias is nil and n is known) and then an activation. It returns the value
// the layer's output stands for, the bias and the activation.
func (im *importer) fuse(out string, units int, bias []float32, rank int) (string, []float32, string) {
	if bias == nil {
		if r, b := im.biasAfter(out, units); r != nil && rank == 1 {
			im.done[r], im.fused = true, true
			out, bias = r.GetOutput()[0], b
		}
	}
	act := "linear"
	if r, a := im.activationAfter(out, rank); r != nil {
		im.done[r], im.fused = true, true
		out, act = r.GetOutput()[0], a
	}
	return out, bias, act
}

// importGemm: Y = alpha·A·B + beta·C with A (N, K) computed and B constant
// is a Dense layer (kernel alpha·B, bias beta·C).
func importGemm(im *importer, n *onnxpb.NodeProto) error {
	a, b := im.in(n, 0), im.in(n, 1)
	if attrInt(n, "transA", 0) != 0 {
		return fmt.Errorf("transA = 1 transposes the batch into the features; goras's Dense takes (N, features)")
	}
	kernel, k, units, err := denseKernel(a, b, attrInt(n, "transB", 0) != 0)
	if err != nil {
		return err
	}
	if alpha := float32(attrFloat(n, "alpha", 1)); alpha != 1 {
		for i := range kernel {
			kernel[i] *= alpha
		}
	}
	var bias []float32
	if c := im.in(n, 2); c != nil {
		if c.c == nil || (c.c.len() != units && c.c.len() != 1) || len(c.c.shape) > 2 || len(c.c.shape) == 2 && c.c.shape[0] != 1 {
			return fmt.Errorf("C should be a constant bias of %d values, got %v", units, describe(c))
		}
		beta := float32(attrFloat(n, "beta", 1))
		bias = make([]float32, units)
		for i := range bias {
			bias[i] = beta * c.c.floats()[i%c.c.len()]
		}
	}
	return im.dense(n, a, kernel, bias, k, units)
}

// importMatMul: A (N, K) computed times B (K, M) constant is a Dense layer
// without a bias, or with the bias of the Add after it.
func importMatMul(im *importer, n *onnxpb.NodeProto) error {
	a, b := im.in(n, 0), im.in(n, 1)
	kernel, k, units, err := denseKernel(a, b, false)
	if err != nil {
		return err
	}
	return im.dense(n, a, kernel, nil, k, units)
}

// denseKernel checks A and B of a Gemm or MatMul and returns the kernel
// (K, units) in goras's layout.
func denseKernel(a, b *ival, transB bool) ([]float32, int, int, error) {
	if a.c != nil {
		return nil, 0, 0, fmt.Errorf("its first input is a constant; goras imports x·W with x computed by the model and W constant")
	}
	if b.c == nil {
		return nil, 0, 0, fmt.Errorf("both inputs are computed by the model; goras imports x·W with W constant (a Dense layer)")
	}
	if len(a.shape) != 1 {
		return nil, 0, 0, fmt.Errorf("it multiplies %s, which has more than one axis per sample; goras's Dense takes (N, features): flatten first", shapeString(a.shape))
	}
	if len(b.c.shape) != 2 {
		return nil, 0, 0, fmt.Errorf("its weight should be a matrix, got shape %v", b.c.shape)
	}
	rows, cols := b.c.shape[0], b.c.shape[1]
	w := b.c.floats()
	if transB {
		t, err := foldTranspose(&constant{shape: b.c.shape, f: w}, nil)
		if err != nil {
			return nil, 0, 0, err
		}
		rows, cols, w = cols, rows, t.f
	} else {
		w = append([]float32(nil), w...)
	}
	if rows != a.shape[0] {
		return nil, 0, 0, fmt.Errorf("it multiplies %s by a (%d, %d) weight", shapeString(a.shape), rows, cols)
	}
	if a.order != nil { // features flattened in goras's order: row j is feature order[j]
		held := make([]float32, len(w))
		for j, f := range a.order {
			copy(held[j*cols:(j+1)*cols], w[f*cols:(f+1)*cols])
		}
		w = held
	}
	return w, rows, cols, nil
}

// dense makes the Dense layer of a Gemm or MatMul node, fusing what follows.
func (im *importer) dense(n *onnxpb.NodeProto, a *ival, kernel, bias []float32, k, units int) error {
	x, err := im.plain(a)
	if err != nil {
		return err
	}
	out, bias, act := im.fuse(n.GetOutput()[0], units, bias, 1)
	w := map[string][]float32{"kernel": kernel}
	opts := []layers.Option{layers.WithActivation(act), layers.WithUseBias(bias != nil)}
	if bias != nil {
		w["bias"] = bias
	}
	t := im.call(layers.Dense(units, opts...), w, x)
	im.vals[out] = computed(t, []int{units}, []int{0})
	return nil
}

// describe names a value for an error.
func describe(v *ival) string {
	if v == nil {
		return "nothing"
	}
	if v.c != nil {
		return fmt.Sprintf("a constant of shape %v", v.c.shape)
	}
	return fmt.Sprintf("a computed tensor %s", shapeString(v.shape))
}
