package onnx

import (
	"fmt"
	"slices"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

// geometry is a 2-D window's placement read from a Conv, ConvTranspose or
// pooling node: kernel size, strides, dilations, and ONNX's pads (top,
// left, bottom, right).
type geometry struct {
	k, s, d [2]int
	pads    [4]int
}

// span is the cells a window covers along axis a.
func (g geometry) span(a int) int { return g.d[a]*(g.k[a]-1) + 1 }

// pair reads a 2-value attribute, def when absent, each value in [lo, maxAttrValue].
func pairAttr(n *onnxpb.NodeProto, name string, def [2]int, lo int) ([2]int, error) {
	v, err := attrInts(n, name)
	switch {
	case err != nil:
		return def, err
	case v == nil:
		return def, nil
	case len(v) != 2 || v[0] < lo || v[1] < lo:
		return def, fmt.Errorf("%s %v: goras imports 2-D windows, two values each at least %d", name, v, lo)
	}
	return [2]int{v[0], v[1]}, nil
}

// readGeometry reads kernel_shape (or k when the node has none), strides,
// dilations and the padding of a window on an image of size hw, working
// out auto_pad's SAME_UPPER and SAME_LOWER as ONNX defines them.
func readGeometry(n *onnxpb.NodeProto, k [2]int, hw [2]int) (geometry, error) {
	g := geometry{k: k}
	var err error
	if ks, _ := attrInts(n, "kernel_shape"); ks != nil || k == [2]int{} {
		if g.k, err = pairAttr(n, "kernel_shape", k, 1); err != nil {
			return g, err
		}
		if k != [2]int{} && g.k != k {
			return g, fmt.Errorf("kernel_shape %v differs from the weights' %v", g.k, k)
		}
	}
	if g.s, err = pairAttr(n, "strides", [2]int{1, 1}, 1); err != nil {
		return g, err
	}
	if g.d, err = pairAttr(n, "dilations", [2]int{1, 1}, 1); err != nil {
		return g, err
	}
	for a := range 2 {
		if err := checkSpan(g.k[a], g.d[a], a+2); err != nil {
			return g, err
		}
	}
	switch ap := attrString(n, "auto_pad", "NOTSET"); ap {
	case "NOTSET":
		p, err := attrInts(n, "pads")
		if err != nil {
			return g, err
		}
		if p != nil {
			if len(p) != 4 || slices.Min(p) < 0 {
				return g, fmt.Errorf("pads %v: goras imports 2-D windows, four pads ≥ 0", p)
			}
			copy(g.pads[:], p)
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for a := range 2 {
			g.pads[a], g.pads[a+2] = samePads(hw[a], g.s[a], g.span(a), ap == "SAME_LOWER")
		}
	default:
		return g, fmt.Errorf("auto_pad %q is none of NOTSET, VALID, SAME_UPPER, SAME_LOWER", ap)
	}
	return g, nil
}

// checkSpan refuses a window of k cells at dilation d along axis that
// spans more cells, (k-1)·d + 1, than any axis goras takes (maxDim),
// worked out in int64: on 32-bit platforms the product would wrap.
func checkSpan(k, d, axis int) error {
	if span := int64(d)*int64(k-1) + 1; span > maxDim {
		return fmt.Errorf("its window of %d cells along axis %d (kernel %d, dilation %d) is longer than any axis goras takes (%d)", span, axis, k, d, maxDim)
	}
	return nil
}

// samePads is the padding before and after that auto_pad SAME_UPPER (lower
// false) or SAME_LOWER gives a window spanning span cells, moved by
// stride, on in cells, as ONNX defines it (and its shape inference works it
// out): ⌈in/stride⌉ windows, which need max(0, (⌈in/stride⌉-1)·stride +
// span - in) cells of padding, split in halves with the odd cell after
// (UPPER) or before (LOWER). When the stride is longer than the window,
// the expression can be negative (the windows fall short of the last
// cells): the total is then 0, and the windows start at the first cell.
// onnxruntime 1.30
// computes the same wherever the total before max(0, ·) is at least 0;
// where it is negative, its MaxPool and AveragePool refuse the node
// ("padding values must be non-negative"), and its Conv, for totals of -3
// and below, can shift the windows by a negative pad at the start, which
// ONNX's definition, and goras, do not.
func samePads(in, stride, span int, lower bool) (before, after int) {
	out := (in + stride - 1) / stride
	total := max((out-1)*stride+span-in, 0)
	before, after = total/2, total-total/2
	if lower {
		before, after = after, before
	}
	return before, after
}

// out is the output length along axis a of a window on in cells (floor).
func (g geometry) out(a, in int) int {
	if in+g.pads[a]+g.pads[a+2] < g.span(a) {
		return 0
	}
	return (in+g.pads[a]+g.pads[a+2]-g.span(a))/g.s[a] + 1
}

// kerasPadding is "valid" or "same" when Keras's padding of that name
// places the windows as ONNX's pads do and gives out outputs along both
// axes, "" otherwise.
func kerasPadding(g geometry, hw, out [2]int) string {
	valid, same := true, true
	for a := range 2 {
		k, s := g.span(a), g.s[a]
		valid = valid && g.pads[a] == 0 && hw[a] >= k && out[a] == (hw[a]-k)/s+1
		total := max((out[a]-1)*s+k-hw[a], 0)
		same = same && out[a] == (hw[a]+s-1)/s && g.pads[a] == total/2
	}
	switch {
	case valid:
		return "valid"
	case same:
		return "same"
	}
	return ""
}

// padded returns x with ONNX's pads added as a ZeroPadding2D, and the
// geometry without them.
func (im *importer) padded(x *ival, g geometry) (*ival, geometry) {
	p := g.pads
	t := im.callAux(layers.ZeroPadding2D(p[0], p[2], p[1], p[3]), x)
	shape := []int{x.shape[0], x.shape[1] + p[0] + p[2], x.shape[2] + p[1] + p[3]}
	g.pads = [4]int{}
	return computed(t, shape, []int{1, 2, 0}), g
}

// importConv: a Conv with one group is a Conv2D, one with a group per input
// channel a DepthwiseConv2D; with a 1-D kernel, a Conv1D (import_conv1d.go). Padding Keras cannot say ("valid" or "same")
// becomes a ZeroPadding2D before it; a dilated Conv2D gets a kernel with
// zeros between its taps (see the package documentation).
func importConv(im *importer, n *onnxpb.NodeProto) error {
	x, w := im.in(n, 0), im.in(n, 1)
	if w.c != nil && len(w.c.shape) == 3 {
		return im.conv1D(n, x, w)
	}
	if w.c == nil || len(w.c.shape) != 4 {
		return fmt.Errorf("its weights should be a constant (F, C, K) or (F, C, KH, KW) (goras imports 1-D and 2-D convolutions), got %s", describe(w))
	}
	img, err := im.image(x)
	if err != nil {
		return err
	}
	f, cg, kh, kw := w.c.shape[0], w.c.shape[1], w.c.shape[2], w.c.shape[3]
	c, hw := x.shape[0], [2]int{x.shape[1], x.shape[2]}
	g, err := readGeometry(n, [2]int{kh, kw}, hw)
	if err != nil {
		return err
	}
	out := [2]int{g.out(0, hw[0]), g.out(1, hw[1])}
	if out[0] < 1 || out[1] < 1 {
		return fmt.Errorf("its window (%d, %d) does not fit the padded image %s", g.span(0), g.span(1), shapeString(x.shape))
	}
	var bias []float32
	if b := im.in(n, 2); b != nil {
		if b.c == nil || b.c.len() != f {
			return fmt.Errorf("its bias should be a constant of %d values, got %s", f, describe(b))
		}
		bias = b.c.floats()
	}
	group := int(attrInt(n, "group", 1))
	depthwise := group == c && cg == 1 && f%c == 0 && c > 1
	if !depthwise && (group != 1 || cg != c) {
		return fmt.Errorf("it has %d groups on %d channels (weights %v); goras imports one group (Conv2D) or one per input channel (DepthwiseConv2D)", group, c, w.c.shape)
	}
	// cells·c·f > maxKernel, in int64 without overflow: on 32-bit
	// platforms two long dilations wrapped past it.
	if cells := int64(g.span(0)) * int64(g.span(1)); !depthwise && cells > maxKernel/max(int64(c)*int64(f), 1) {
		return fmt.Errorf("dilations %v make a kernel of %dx%d cells; goras's Conv2D holds dilated kernels with their zeros, at most %d values", g.d, g.span(0), g.span(1), maxKernel)
	}
	padding := kerasPadding(g, hw, out)
	if padding == "" {
		img, g = im.padded(img, g)
		padding = "valid"
	}
	name, _, act := im.fuse(n.GetOutput()[0], f, bias, 3)
	ws := map[string][]float32{}
	var l layers.Layer
	if depthwise {
		m := f / c
		ws["depthwise_kernel"] = depthwiseKernel(w.c.floats(), c, m, kh, kw)
		l = layers.DepthwiseConv2D(0, layers.WithKernelSize(kh, kw), layers.WithStrides(g.s[0], g.s[1]), layers.WithPadding(padding),
			layers.WithDilationRate(g.d[0], g.d[1]), layers.WithDepthMultiplier(m), layers.WithActivation(act), layers.WithUseBias(bias != nil))
	} else {
		ws["kernel"] = convKernel(w.c.floats(), f, c, kh, kw, g.d)
		l = layers.Conv2D(f, 0, layers.WithKernelSize(g.span(0), g.span(1)), layers.WithStrides(g.s[0], g.s[1]), layers.WithPadding(padding),
			layers.WithActivation(act), layers.WithUseBias(bias != nil))
	}
	if bias != nil {
		ws["bias"] = bias
	}
	t := im.call(l, ws, img)
	im.vals[name] = computed(t, []int{f, out[0], out[1]}, []int{1, 2, 0})
	return nil
}

// convKernel writes ONNX's Conv weights (F, C, KH, KW) as goras's Conv2D
// kernel (KH', KW', C, F), with d-1 rows (columns) of zeros between taps
// for a dilation d: the same sums, over a window the size of the dilated
// one.
func convKernel(w []float32, f, c, kh, kw int, d [2]int) []float32 {
	sh, sw := d[0]*(kh-1)+1, d[1]*(kw-1)+1
	out := make([]float32, sh*sw*c*f)
	for o := 0; o < f; o++ {
		for i := 0; i < c; i++ {
			for y := 0; y < kh; y++ {
				for x := 0; x < kw; x++ {
					out[((y*d[0]*sw+x*d[1])*c+i)*f+o] = w[((o*c+i)*kh+y)*kw+x]
				}
			}
		}
	}
	return out
}

// depthwiseKernel writes ONNX's grouped weights (C·M, 1, KH, KW) as
// DepthwiseConv2D's kernel (KH, KW, C, M): output channel c·M+m in both.
func depthwiseKernel(w []float32, c, m, kh, kw int) []float32 {
	out := make([]float32, len(w))
	for o := 0; o < c*m; o++ {
		for y := 0; y < kh; y++ {
			for x := 0; x < kw; x++ {
				out[(y*kw+x)*c*m+o] = w[(o*kh+y)*kw+x]
			}
		}
	}
	return out
}

// importConvTranspose: a ConvTranspose with one group is a Conv2DTranspose,
// with "same" padding when Keras's placement is ONNX's, else "valid" with
// the output padding and a Cropping2D for the pads.
func importConvTranspose(im *importer, n *onnxpb.NodeProto) error {
	x, w := im.in(n, 0), im.in(n, 1)
	if w.c == nil || len(w.c.shape) != 4 {
		return fmt.Errorf("its weights should be a constant (C, F, KH, KW) (goras imports 2-D convolutions), got %s", describe(w))
	}
	img, err := im.image(x)
	if err != nil {
		return err
	}
	c, f, kh, kw := w.c.shape[0], w.c.shape[1], w.c.shape[2], w.c.shape[3]
	if group := attrInt(n, "group", 1); group != 1 || c != x.shape[0] {
		return fmt.Errorf("it has %d groups (weights %v on %d channels); goras imports ConvTranspose with one group", group, w.c.shape, x.shape[0])
	}
	hw := [2]int{x.shape[1], x.shape[2]}
	g, out, op, err := transposeGeometry(n, [2]int{kh, kw}, hw)
	if err != nil {
		return err
	}
	var bias []float32
	if b := im.in(n, 2); b != nil {
		if b.c == nil || b.c.len() != f {
			return fmt.Errorf("its bias should be a constant of %d values, got %s", f, describe(b))
		}
		bias = b.c.floats()
	}
	same := op == [2]int{}
	for a := range 2 {
		k, s := g.span(a), g.s[a]
		same = same && out[a] == hw[a]*s && g.pads[a] == k-1-min((s+k-1)/2, k-1)
	}
	opts := []layers.ConvOption{layers.WithKernelSize(kh, kw), layers.WithStrides(g.s[0], g.s[1]), layers.WithDilationRate(g.d[0], g.d[1]),
		layers.WithUseBias(bias != nil)}
	if same {
		opts = append(opts, layers.WithPadding("same"))
	} else {
		opts = append(opts, layers.WithOutputPadding(op[0], op[1]))
	}
	name, _, act := im.fuse(n.GetOutput()[0], f, bias, 3)
	opts = append(opts, layers.WithActivation(act))
	ws := map[string][]float32{"kernel": transposeKernel(w.c.floats(), c, f, kh, kw)}
	if bias != nil {
		ws["bias"] = bias
	}
	t := im.call(layers.Conv2DTranspose(f, 0, opts...), ws, img)
	p := g.pads
	if !same && p != [4]int{} {
		full := computed(t, []int{f, out[0] + p[0] + p[2], out[1] + p[1] + p[3]}, []int{1, 2, 0})
		t = im.callAux(layers.Cropping2D(p[0], p[2], p[1], p[3]), full)
	}
	im.vals[name] = computed(t, []int{f, out[0], out[1]}, []int{1, 2, 0})
	return nil
}

// transposeGeometry reads a ConvTranspose's window, its output size and
// output padding, with pads worked out from output_shape or auto_pad as
// ONNX defines them.
func transposeGeometry(n *onnxpb.NodeProto, k, hw [2]int) (geometry, [2]int, [2]int, error) {
	var out, op [2]int
	g, err := readGeometry(n, k, [2]int{})
	if err != nil {
		return g, out, op, err
	}
	if op, err = pairAttr(n, "output_padding", [2]int{}, 0); err != nil {
		return g, out, op, err
	}
	shape, err := attrInts(n, "output_shape")
	if err != nil {
		return g, out, op, err
	}
	ap := attrString(n, "auto_pad", "NOTSET")
	for a := range 2 {
		// In int64: on 32-bit platforms a long stride on a wide image wraps.
		if full := int64(hw[a]-1)*int64(g.s[a]) + int64(g.span(a)) + int64(op[a]); full > maxDim {
			return g, out, op, fmt.Errorf("its output would have %d cells along axis %d ((in-1)·stride + (kernel-1)·dilation + 1 + output_padding), more than any axis goras takes (%d)", full, a+2, maxDim)
		}
		full := (hw[a]-1)*g.s[a] + g.span(a) + op[a]
		target := -1
		switch {
		case len(shape) >= 2:
			target = shape[len(shape)-2+a]
		case ap == "SAME_UPPER" || ap == "SAME_LOWER":
			// in·stride, or the full output when the stride is longer
			// than the window and the output padding: the total padding
			// is then max(0, ·) = 0, as ONNX's shape inference and
			// onnxruntime have it.
			target = min(hw[a]*g.s[a], full)
		}
		if target >= 0 {
			total := full - target
			if total < 0 {
				return g, out, op, fmt.Errorf("output_shape %v is larger than the full output, %d along axis %d ((in-1)·stride + (kernel-1)·dilation + 1 + output_padding); give at most that", shape, full, a+2)
			}
			if ap == "SAME_UPPER" {
				g.pads[a], g.pads[a+2] = total/2, total-total/2
			} else {
				g.pads[a], g.pads[a+2] = total-total/2, total/2
			}
		}
		out[a] = full - g.pads[a] - g.pads[a+2]
		if out[a] < 1 {
			return g, out, op, fmt.Errorf("its pads %v leave no output", g.pads)
		}
	}
	return g, out, op, nil
}

// transposeKernel writes ONNX's ConvTranspose weights (C, F, KH, KW) as
// Keras's Conv2DTranspose kernel (KH, KW, F, C).
func transposeKernel(w []float32, c, f, kh, kw int) []float32 {
	out := make([]float32, len(w))
	for i := 0; i < c; i++ {
		for o := 0; o < f; o++ {
			for y := 0; y < kh; y++ {
				for x := 0; x < kw; x++ {
					out[((y*kw+x)*f+o)*c+i] = w[((i*f+o)*kh+y)*kw+x]
				}
			}
		}
	}
	return out
}
