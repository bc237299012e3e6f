package onnx

import (
	"fmt"
	"slices"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// Imports of Conv, MaxPool and AveragePool on sequences (N, C, L), held
// channels last as goras's sequences are, (L, C): Conv1D, MaxPooling1D and
// AveragePooling1D, when Keras's "valid", "same" or (Conv1D) "causal"
// padding places the windows as the node's pads do.

// seqGeometry is a 1-D window read from a node: kernel size, stride,
// dilation and ONNX's pads before and after.
type seqGeometry struct {
	k, s, d       int
	before, after int
}

func (g seqGeometry) span() int { return g.d*(g.k-1) + 1 }

// out is the number of windows on in cells (floor).
func (g seqGeometry) out(in int) int {
	if in+g.before+g.after < g.span() {
		return 0
	}
	return (in+g.before+g.after-g.span())/g.s + 1
}

// one reads a 1-value attribute, def when absent, within [1, maxAttrValue].
func one(n *onnxpb.NodeProto, name string, def int) (int, error) {
	v, err := attrInts(n, name)
	switch {
	case err != nil:
		return 0, err
	case v == nil:
		return def, nil
	case len(v) != 1 || v[0] < 1:
		return 0, fmt.Errorf("%s %v: a window on sequences takes one value, at least 1", name, v)
	}
	return v[0], nil
}

// readSeqGeometry reads kernel_shape (k when 0: it must be there),
// strides, dilations and the padding of a window on a sequence of n cells,
// auto_pad's SAME_UPPER and SAME_LOWER worked out as ONNX defines them.
func readSeqGeometry(node *onnxpb.NodeProto, k, n int) (seqGeometry, error) {
	g := seqGeometry{k: k}
	var err error
	if g.k, err = one(node, "kernel_shape", k); err != nil {
		return g, err
	}
	if g.k == 0 || (k != 0 && g.k != k) {
		return g, fmt.Errorf("kernel_shape %d should be given and match the weights' %d", g.k, k)
	}
	if g.s, err = one(node, "strides", 1); err != nil {
		return g, err
	}
	if g.d, err = one(node, "dilations", 1); err != nil {
		return g, err
	}
	if err := checkSpan(g.k, g.d, 2); err != nil {
		return g, err
	}
	switch ap := attrString(node, "auto_pad", "NOTSET"); ap {
	case "NOTSET":
		p, err := attrInts(node, "pads")
		if err != nil {
			return g, err
		}
		if p != nil {
			if len(p) != 2 || slices.Min(p) < 0 {
				return g, fmt.Errorf("pads %v: a window on sequences takes two pads ≥ 0", p)
			}
			g.before, g.after = p[0], p[1]
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		g.before, g.after = samePads(n, g.s, g.span(), ap == "SAME_LOWER")
	default:
		return g, fmt.Errorf("auto_pad %q is none of NOTSET, VALID, SAME_UPPER, SAME_LOWER", ap)
	}
	return g, nil
}

// seqPadding is the Keras padding that places g's windows on n cells:
// "valid", "same", "causal" (when causal is allowed), or "" for none.
func seqPadding(g seqGeometry, n int, causal bool) string {
	out, span := g.out(n), g.span()
	total := max((out-1)*g.s+span-n, 0)
	switch {
	case g.before == 0 && g.after == 0 && n >= span:
		return "valid"
	case out == (n+g.s-1)/g.s && g.before == total/2 && g.after == total-total/2:
		return "same"
	case causal && g.before == span-1 && g.after == 0:
		return "causal"
	}
	return ""
}

// conv1D maps a Conv with a 1-D kernel (F, C, K) and one group to Conv1D,
// the bias and an activation after it taken in.
func (im *importer) conv1D(n *onnxpb.NodeProto, v, w *ival) error {
	x, err := im.sequence(v)
	if err != nil {
		return err
	}
	f, cg, k := w.c.shape[0], w.c.shape[1], w.c.shape[2]
	c, steps := v.shape[0], v.shape[1]
	if group := attrInt(n, "group", 1); group != 1 || cg != c {
		return fmt.Errorf("it has %d groups on %d channels (weights %v); goras's Conv1D has one group", group, c, w.c.shape)
	}
	g, err := readSeqGeometry(n, k, steps)
	if err != nil {
		return err
	}
	padding := seqPadding(g, steps, true)
	switch {
	case padding == "":
		return fmt.Errorf("pads (%d, %d) on %d steps: goras's Conv1D pads as Keras's \"valid\", \"same\" or \"causal\" do", g.before, g.after, steps)
	case g.s > 1 && g.d > 1:
		return fmt.Errorf("strides %d with dilations %d: goras's Conv1D, as Keras's, takes one or the other", g.s, g.d)
	}
	var bias []float32
	if b := im.in(n, 2); b != nil {
		if b.c == nil || b.c.len() != f {
			return fmt.Errorf("its bias should be a constant of %d values, got %s", f, describe(b))
		}
		bias = b.c.floats()
	}
	name, _, act := im.fuse(n.GetOutput()[0], f, bias, 2)
	src, kernel := w.c.floats(), make([]float32, w.c.len())
	for o := range f {
		for ch := range c {
			for i := range k {
				kernel[(i*c+ch)*f+o] = src[(o*c+ch)*k+i]
			}
		}
	}
	ws := map[string][]float32{"kernel": kernel}
	if bias != nil {
		ws["bias"] = bias
	}
	l := layers.Conv1D(f, k, layers.WithStrides(g.s), layers.WithDilationRate(g.d), layers.WithPadding(padding),
		layers.WithActivation(act), layers.WithUseBias(bias != nil))
	t := im.call(l, ws, x)
	im.vals[name] = computed(t, []int{f, g.out(steps)}, []int{1, 0})
	return nil
}

// pool1D maps MaxPool and AveragePool on a sequence to MaxPooling1D and
// AveragePooling1D (padding not counted, as ONNX's count_include_pad 0).
func (im *importer) pool1D(n *onnxpb.NodeProto, v *ival, isMax bool) error {
	x, err := im.sequence(v)
	if err != nil {
		return err
	}
	steps := v.shape[1]
	g, err := readSeqGeometry(n, 0, steps)
	if err != nil {
		return err
	}
	padding := seqPadding(g, steps, false)
	switch {
	case g.d != 1:
		return fmt.Errorf("dilations %d: goras pools adjacent cells only", g.d)
	case attrInt(n, "ceil_mode", 0) != 0 && (steps+g.before+g.after-g.k)%g.s != 0:
		return fmt.Errorf("ceil_mode 1 adds a window goras's 1-D pooling does not have")
	case padding == "":
		return fmt.Errorf("pads (%d, %d) on %d steps: goras's 1-D pooling pads as Keras's \"valid\" or \"same\" do", g.before, g.after, steps)
	case !isMax && padding == "same" && g.before+g.after > 0 && attrInt(n, "count_include_pad", 0) != 0:
		return fmt.Errorf("count_include_pad 1: goras's AveragePooling1D leaves padding out of the count")
	}
	opts := []layers.Option{layers.WithPoolSize(g.k), layers.WithStrides(g.s), layers.WithPadding(padding)}
	l := layers.MaxPooling1D(opts...)
	if !isMax {
		l = layers.AveragePooling1D(g.k, opts...)
	}
	t := im.call(l, nil, x)
	im.set(n, 0, computed(t, []int{v.shape[0], g.out(steps)}, []int{1, 0}))
	return nil
}

// sequence returns v, a sequence (C, L) to ONNX, channels last.
func (im *importer) sequence(v *ival) (*ival, error) {
	if v.c != nil || len(v.shape) != 2 {
		return nil, fmt.Errorf("expected sequences (N, C, L) computed by the model, got %s", describe(v))
	}
	return im.as(v, []int{1, 0})
}
