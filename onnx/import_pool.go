package onnx

import (
	"fmt"
	"slices"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

func importMaxPool(im *importer, n *onnxpb.NodeProto) error { return im.pool(n, true) }
func importAvgPool(im *importer, n *onnxpb.NodeProto) error { return im.pool(n, false) }

// pool maps MaxPool and AveragePool: Keras's MaxPooling2D or
// AveragePooling2D when their "valid" or "same" places the windows as the
// node does, else PaddedPooling2D. Padding never wins a max and is not
// counted in an average; AveragePool's count_include_pad = 1 pads with a
// ZeroPadding2D first, whose zeros count. ceil_mode's extra window (never
// one that starts in the padding, as PyTorch) is padding of that kind.
func (im *importer) pool(n *onnxpb.NodeProto, isMax bool) error {
	if err := im.onlyFirstOutput(n); err != nil {
		return err
	}
	if v := im.in(n, 0); v.c == nil && len(v.shape) == 2 {
		return im.pool1D(n, v, isMax)
	}
	x, err := im.image(im.in(n, 0))
	if err != nil {
		return err
	}
	hw := [2]int{x.shape[1], x.shape[2]}
	g, err := readGeometry(n, [2]int{}, hw)
	if err != nil {
		return err
	}
	if g.d != [2]int{1, 1} {
		return fmt.Errorf("dilations %v: goras pools adjacent cells only", g.d)
	}
	if attrInt(n, "storage_order", 0) != 0 {
		return fmt.Errorf("storage_order 1 (column-major indices) is not supported")
	}
	ceil := attrInt(n, "ceil_mode", 0) != 0
	var out [2]int
	for a := range 2 {
		span := hw[a] + g.pads[a] + g.pads[a+2] - g.k[a]
		if span < 0 || g.pads[a] >= g.k[a] || g.pads[a+2] >= g.k[a] {
			return fmt.Errorf("its window %v with pads %v does not fit the image %s, or a pad is as large as the window", g.k, g.pads, shapeString(x.shape))
		}
		out[a] = span/g.s[a] + 1
		if ceil && span%g.s[a] != 0 {
			out[a]++
			if (out[a]-1)*g.s[a] >= hw[a]+g.pads[a] { // the last window would start in the padding
				out[a]--
			}
		}
	}
	if !isMax && attrInt(n, "count_include_pad", 0) != 0 && g.pads != [4]int{} {
		x, g = im.padded(x, g)
		hw = [2]int{x.shape[1], x.shape[2]}
	}
	// The windows cover (out-1)·s + k cells from the top padding on: what
	// is below the image is padding of the uncounted kind.
	for a := range 2 {
		g.pads[a+2] = max((out[a]-1)*g.s[a]+g.k[a]-hw[a]-g.pads[a], 0)
	}
	var l layers.Layer
	switch mode := kerasPadding(g, hw, out); {
	case mode != "" && isMax:
		l = layers.MaxPooling2D(layers.WithPoolSize(g.k[0], g.k[1]), layers.WithStrides(g.s[0], g.s[1]), layers.WithPadding(mode))
	case mode != "":
		l = layers.AveragePooling2D(0, layers.WithPoolSize(g.k[0], g.k[1]), layers.WithStrides(g.s[0], g.s[1]), layers.WithPadding(mode))
	default:
		kind := "average"
		if isMax {
			kind = "max"
		}
		l = layers.PaddedPooling2D(kind, g.k, g.s, [2][2]int{{g.pads[0], g.pads[2]}, {g.pads[1], g.pads[3]}})
	}
	t := im.call(l, nil, x)
	im.set(n, 0, computed(t, []int{x.shape[0], out[0], out[1]}, []int{1, 2, 0}))
	return nil
}

func importGlobalAveragePool(im *importer, n *onnxpb.NodeProto) error {
	return im.globalPool(n, false, true)
}

func importGlobalMaxPool(im *importer, n *onnxpb.NodeProto) error {
	return im.globalPool(n, true, true)
}

// globalPool pools each channel of an image over its rows and columns,
// giving (C) to goras and (C, 1, 1) (keepdims) or (C) to ONNX.
func (im *importer) globalPool(n *onnxpb.NodeProto, isMax, keepdims bool) error {
	x, err := im.image(im.in(n, 0))
	if err != nil {
		return err
	}
	var l layers.Layer = layers.GlobalAveragePooling2D()
	if isMax {
		l = layers.GlobalMaxPooling2D()
	}
	t := im.call(l, nil, x)
	c := x.shape[0]
	v := &ival{t: t, shape: []int{c}, perm: []int{0}, gshape: []int{c}}
	if keepdims {
		v.shape, v.perm = []int{c, 1, 1}, []int{1, 2, 0}
	}
	im.set(n, 0, v)
	return nil
}

func importReduceMean(im *importer, n *onnxpb.NodeProto) error { return im.reduce(n, false) }
func importReduceMax(im *importer, n *onnxpb.NodeProto) error  { return im.reduce(n, true) }

// reduce maps a ReduceMean or ReduceMax over two axes of a three-axis
// sample to global pooling over them: x.mean((2, 3)) in PyTorch, or the
// spatial axes of a channels-last image.
func (im *importer) reduce(n *onnxpb.NodeProto, isMax bool) error {
	if !isMax { // the first node of a layer normalization written out?
		if ok, err := im.layerNormFormula(n); ok || err != nil {
			return err
		}
	}
	v := im.in(n, 0)
	axes, err := im.axesOf(n, 18)
	if err != nil {
		return err
	}
	if v.c != nil || len(v.shape) != 3 || len(axes) != 2 {
		return fmt.Errorf("it reduces axes %v of %s; goras imports reductions over two axes of an image (global pooling)", axes, describe(v))
	}
	var r []int
	for _, a := range axes {
		a, err := normAxis(a, 4)
		if err != nil {
			return err
		}
		if a == 0 || slices.Contains(r, a-1) {
			return fmt.Errorf("it reduces axes %v; goras keeps the batch axis and reduces two others", axes)
		}
		r = append(r, a-1)
	}
	slices.Sort(r)
	kept := 3 - r[0] - r[1]
	x, err := im.as(v, []int{r[0], r[1], kept})
	if err != nil {
		return err
	}
	var l layers.Layer = layers.GlobalAveragePooling2D()
	if isMax {
		l = layers.GlobalMaxPooling2D()
	}
	t := im.call(l, nil, x)
	c := v.shape[kept]
	out := &ival{t: t, shape: []int{c}, perm: []int{0}, gshape: []int{c}}
	if attrInt(n, "keepdims", 1) != 0 {
		out.shape = []int{1, 1, 1}
		out.shape[kept] = c
		out.perm = []int{r[0], r[1], kept}
	}
	im.set(n, 0, out)
	return nil
}

// importBatchNorm: BatchNormalization at inference is goras's
// BatchNormalization over ONNX's channel axis 1, held last, with the
// node's epsilon and momentum (both frameworks move the statistics as
// moving·momentum + batch·(1 - momentum)).
func importBatchNorm(im *importer, n *onnxpb.NodeProto) error {
	if err := im.onlyFirstOutput(n); err != nil {
		return err
	}
	if attrInt(n, "training_mode", 0) != 0 {
		return fmt.Errorf("training_mode = 1: goras imports batch normalization at inference (export the model in eval mode)")
	}
	if attrInt(n, "spatial", 1) != 1 {
		return fmt.Errorf("spatial = 0 (statistics per pixel) is not supported")
	}
	v := im.in(n, 0)
	if v.c != nil || len(v.shape) == 0 {
		return fmt.Errorf("it normalizes %s; goras normalizes computed tensors with a channel axis", describe(v))
	}
	c := v.shape[0]
	names := []string{"gamma", "beta", "moving_mean", "moving_variance"}
	ws := map[string][]float32{}
	for k, name := range names {
		p := im.in(n, k+1)
		if p == nil || p.c == nil || p.c.len() != c {
			return fmt.Errorf("its %s (input %d) should be a constant of %d values, got %s", name, k+1, c, describe(p))
		}
		ws[name] = p.c.floats()
	}
	perm := append(identity(len(v.shape))[1:], 0) // channels last
	if len(v.shape) == 3 {
		perm = []int{1, 2, 0}
	}
	x, err := im.as(v, perm)
	if err != nil {
		return err
	}
	l := layers.BatchNormalization(layers.WithEpsilon(attrFloat(n, "epsilon", 1e-5)), layers.WithMomentum(attrFloat(n, "momentum", 0.9)))
	t := im.call(l, ws, x)
	im.set(n, 0, computed(t, v.shape, perm))
	return nil
}
