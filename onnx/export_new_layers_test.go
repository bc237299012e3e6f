package onnx

import (
	"math"
	"slices"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
	"github.com/goras-ml/goras/tensor"
)

// TestEveryLayerExports: issue 11 — every layer class goras registers
// (but the graph's input) has an exporter, so a model of any of them
// exports without an Exporter of its own.
func TestEveryLayerExports(t *testing.T) {
	known := Exportable()
	for _, class := range layers.Registered() {
		if class != "InputLayer" && !slices.Contains(known, class) {
			t.Errorf("layer class %s has no ONNX exporter: add one to builtin (export_layers.go)", class)
		}
	}
}

// evalElementwise runs a graph of element-wise operators (those the ReLU
// export writes) on a flat input "input_layer", value by value, with the
// formulas of the ONNX operator specifications in float32.
func evalElementwise(t *testing.T, g *onnxpb.GraphProto, x []float32) []float32 {
	t.Helper()
	vals := map[string][]float32{}
	for _, i := range g.GetInitializer() {
		vals[i.GetName()] = i.GetFloatData()
	}
	vals[g.GetInput()[0].GetName()] = x
	at := func(name string, k int) float32 {
		v := vals[name]
		if len(v) == 1 {
			return v[0]
		}
		return v[k]
	}
	for _, n := range g.GetNode() {
		in, y := n.GetInput(), make([]float32, len(x))
		alpha := float32(0)
		for _, a := range n.GetAttribute() {
			if a.GetName() == "alpha" {
				alpha = a.GetF()
			}
		}
		for k := range y {
			v := at(in[0], k)
			switch n.GetOpType() {
			case "Relu":
				y[k] = max(0, v)
			case "LeakyRelu":
				y[k] = v
				if v < 0 {
					y[k] = alpha * v
				}
			case "ThresholdedRelu":
				if v > alpha {
					y[k] = v
				}
			case "Clip":
				if in[1] != "" {
					v = max(v, at(in[1], k))
				}
				if in[2] != "" {
					v = min(v, at(in[2], k))
				}
				y[k] = v
			case "Greater":
				if v > at(in[1], k) {
					y[k] = 1
				}
			case "Sub":
				y[k] = v - at(in[1], k)
			case "Mul":
				y[k] = v * at(in[1], k)
			case "Where":
				y[k] = at(in[2], k)
				if v != 0 {
					y[k] = at(in[1], k)
				}
			default:
				t.Fatalf("evalElementwise does not know %s", n.GetOpType())
			}
		}
		vals[n.GetOutput()[0]] = y
	}
	return vals[g.GetOutput()[0].GetName()]
}

// TestReLUExact: every form of ReLU (cap, slope, threshold, each alone and
// together, a cap below the threshold, a cap of 0) exports to operators
// that give goras's values exactly, on inputs at and beside the kinks, and
// to the expected operators.
func TestReLUExact(t *testing.T) {
	cases := []struct {
		opts []layers.ReLUOption
		ops  []string
	}{
		{nil, []string{"Relu"}},
		{[]layers.ReLUOption{layers.WithMaxValue(6)}, []string{"Clip"}},
		{[]layers.ReLUOption{layers.WithMaxValue(0)}, []string{"Clip"}},
		{[]layers.ReLUOption{layers.WithNegativeSlope(0.3)}, []string{"LeakyRelu"}},
		{[]layers.ReLUOption{layers.WithNegativeSlope(1.7), layers.WithMaxValue(0.9)}, []string{"LeakyRelu", "Clip"}},
		{[]layers.ReLUOption{layers.WithThreshold(0.3)}, []string{"ThresholdedRelu"}},
		{[]layers.ReLUOption{layers.WithThreshold(1.5), layers.WithMaxValue(0.5)}, []string{"ThresholdedRelu", "Clip"}},
		{[]layers.ReLUOption{layers.WithThreshold(0.5), layers.WithNegativeSlope(0.1)}, []string{"Greater", "Sub", "Mul", "Where"}},
		{[]layers.ReLUOption{layers.WithThreshold(0.25), layers.WithNegativeSlope(2.5), layers.WithMaxValue(0.2)},
			[]string{"Greater", "Sub", "Mul", "Clip", "Where"}},
	}
	var xs []float32
	for _, v := range []float32{0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.9, 1.5, 6, 7} {
		for _, s := range []float32{1, -1} {
			xs = append(xs, s*v, s*math.Nextafter32(v, 10), s*math.Nextafter32(v, -10))
		}
	}
	xs = append(xs, float32(math.Copysign(0, -1)), 1e30, -1e30, 3.14159, -2.71828)
	for _, c := range cases {
		m := sequential(t, layers.Input(len(xs)), layers.ReLU(c.opts...))
		x, err := tensor.FromSlice(slices.Clone(xs), 1, len(xs))
		if err != nil {
			t.Fatal(err)
		}
		want, err := m.Predict(x, goras.Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		g := exported(t, m).GetGraph()
		cfg := m.Layers()[0].Config()
		if got := ops(g); !slices.Equal(got, c.ops) {
			t.Errorf("%v: operators %v, want %v", cfg, got, c.ops)
		}
		got := evalElementwise(t, g, xs)
		for k := range xs {
			if got[k] != want.Data()[k] {
				t.Errorf("%v: f(%v) = %v in ONNX, %v in goras", cfg, xs[k], got[k], want.Data()[k])
			}
		}
	}
}

// TestPReLULayout: after a convolution (channels first) α, one per channel
// (shared over rows and columns), is written (C, 1, 1); on a flat input as
// the model holds it; a layer called twice writes its α once.
func TestPReLULayout(t *testing.T) {
	pr := layers.PReLU(layers.WithSharedAxes(1, 2))
	m := sequential(t, layers.Input(5, 5, 1), layers.Conv2D(3, 3), pr, layers.Flatten())
	for i := range pr.Params()[0].Value.Data() {
		pr.Params()[0].Value.Data()[i] = float32(i+1) / 10
	}
	g := exported(t, m).GetGraph()
	if got, want := ops(g), []string{"Transpose", "Conv", "PRelu", "Transpose", "Flatten"}; !slices.Equal(got, want) {
		t.Fatalf("operators %v, want %v", got, want)
	}
	slope := initializer(t, g, node(t, g, "PRelu", 0).GetInput()[1])
	if !slices.Equal(slope.GetDims(), []int64{3, 1, 1}) || !slices.Equal(slope.GetFloatData(), []float32{0.1, 0.2, 0.3}) {
		t.Errorf("slope %v %v, want (3, 1, 1) 0.1 0.2 0.3", slope.GetDims(), slope.GetFloatData())
	}

	in := goras.Input(2, 3)
	shared := layers.PReLU()
	a := goras.Call(shared, in)
	m2 := functional(t, []*goras.KerasTensor{in}, goras.Call(layers.Add(), a, goras.Call(shared, a)))
	g2 := exported(t, m2).GetGraph()
	p0, p1 := node(t, g2, "PRelu", 0), node(t, g2, "PRelu", 1)
	if p0.GetInput()[1] != "p_re_lu/alpha" || p1.GetInput()[1] != "p_re_lu/alpha" {
		t.Errorf("slopes %s and %s, want p_re_lu/alpha twice", p0.GetInput()[1], p1.GetInput()[1])
	}
	if d := initializer(t, g2, "p_re_lu/alpha").GetDims(); !slices.Equal(d, []int64{2, 3}) {
		t.Errorf("α of a (2, 3) input written %v", d)
	}
}

// attrOf is a node's attribute, nil if absent.
func attrOf(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// TestSoftmaxAxes: one axis is Softmax on that axis of the value's layout
// (the channels of a channels-first image are axis 1, its rows axis 2);
// two axes are merged by a Reshape, normalized, and reshaped back.
func TestSoftmaxAxes(t *testing.T) {
	for axis, want := range map[int]int64{-1: 1, 3: 1, 1: 2, 2: 3} {
		m := sequential(t, layers.Input(4, 5, 1), layers.Conv2D(2, 3), layers.Softmax(layers.WithAxis(axis)))
		g := exported(t, m).GetGraph()
		if got := attrOf(node(t, g, "Softmax", 0), "axis").GetI(); got != want {
			t.Errorf("Softmax(axis %d) after Conv is ONNX axis %d, want %d", axis, got, want)
		}
	}
	m := sequential(t, layers.Input(3, 4, 2), layers.Softmax(layers.WithAxes(1, 2)))
	g := exported(t, m).GetGraph()
	if got, want := ops(g), []string{"Reshape", "Softmax", "Reshape"}; !slices.Equal(got, want) {
		t.Fatalf("operators %v, want %v", got, want)
	}
	merged := initializer(t, g, node(t, g, "Reshape", 0).GetInput()[1]).GetInt64Data()
	back := initializer(t, g, node(t, g, "Reshape", 1).GetInput()[1]).GetInt64Data()
	if !slices.Equal(merged, []int64{-1, 12, 2}) || !slices.Equal(back, []int64{-1, 3, 4, 2}) ||
		attrOf(node(t, g, "Softmax", 0), "axis").GetI() != 1 {
		t.Errorf("reshapes %v and %v, softmax %v; want (-1, 12, 2), axis 1, (-1, 3, 4, 2)", merged, back, node(t, g, "Softmax", 0))
	}
}

// TestLayerNormExport: at opset 17 the LayerNormalization operator, axis
// the first normalized one, the layer's epsilon, γ (ones in the
// normalized shape when the layer has none) and β; at opset 13, and for
// rms_scaling, the formula.
func TestLayerNormExport(t *testing.T) {
	ln := layers.LayerNormalization(layers.WithAxes(-2, -1), layers.WithEpsilon(0.01), layers.WithScale(false))
	m := sequential(t, layers.Input(3, 4, 2), ln)
	g := exported(t, m).GetGraph()
	n := node(t, g, "LayerNormalization", 0)
	if attrOf(n, "axis").GetI() != 2 || attrOf(n, "epsilon").GetF() != float32(0.01) || len(n.GetInput()) != 3 {
		t.Errorf("node %v, want axis 2, epsilon 0.01, x, scale and bias", n)
	}
	if s := initializer(t, g, n.GetInput()[1]); !slices.Equal(s.GetDims(), []int64{4, 2}) || slices.ContainsFunc(s.GetFloatData(), func(v float32) bool { return v != 1 }) {
		t.Errorf("scale %v %v, want ones (4, 2)", s.GetDims(), s.GetFloatData())
	}
	if b := n.GetInput()[2]; b != "layer_normalization/beta" {
		t.Errorf("bias %s, want layer_normalization/beta", b)
	}
	formula := []string{"ReduceMean", "Sub", "Mul", "ReduceMean", "Add", "Sqrt", "Div", "Add"}
	if got := ops(exported(t, m, Opset(13)).GetGraph()); !slices.Equal(got, formula) {
		t.Errorf("opset 13: operators %v, want %v", got, formula)
	}
	rms := sequential(t, layers.Input(3, 4, 2), layers.LayerNormalization(layers.WithRMSScaling(true)))
	g = exported(t, rms).GetGraph()
	if got, want := ops(g), []string{"ReduceMean", "Sub", "Mul", "ReduceMean", "Add", "Sqrt", "Div", "Mul"}; !slices.Equal(got, want) {
		t.Fatalf("rms_scaling: operators %v, want %v", got, want)
	}
	if div := node(t, g, "Div", 0); div.GetInput()[0] != "input_layer" {
		t.Errorf("rms_scaling divides %s, want the input itself (not centred)", div.GetInput()[0])
	}
	if axes := ints(node(t, g, "ReduceMean", 0), "axes"); !slices.Equal(axes, []int64{3}) {
		t.Errorf("ReduceMean over %v, want [3]", axes)
	}
}

// TestNearestTieSafe: where nearestTieSafe says Resize is safe, a runtime
// computing ONNX's formula in float32 (as onnxruntime does: scale =
// out/in, x = (o+½)/scale - ½, halves rounded up) reads goras's pixels;
// where it is not, some sizes really read others, which is why those take
// a Gather.
func TestNearestTieSafe(t *testing.T) {
	differs := 0
	for span := 1; span <= 64; span++ {
		for out := 1; out <= 64; out++ {
			safe, want := nearestTieSafe(span, out), nearestIndices(span, out)
			s := float32(out) / float32(span)
			for o := range out {
				xo := (float32(o)+0.5)/s - 0.5
				var i float64
				if fl := math.Floor(float64(xo)); float64(xo) == fl+0.5 {
					i = fl + 1
				} else {
					i = math.Round(float64(xo))
				}
				got := int64(min(max(i, 0), float64(span-1)))
				if got != want[o] {
					differs++
					if safe {
						t.Fatalf("%d → %d: output %d reads %d in float32, goras %d, yet nearestTieSafe", span, out, o, got, want[o])
					}
				}
			}
		}
	}
	if differs == 0 {
		t.Errorf("no size reads other pixels in float32: the Gather would be needless")
	}
}

// TestResampleExport: UpSampling2D is Resize by its factors; Resizing
// crops with a Slice and pads with a Pad of its fill value before a
// Resize to (N, C, height, width), or, for nearest where halves could
// round either way, Gathers goras's rows and columns; CenterCrop of a
// larger image is a Slice alone.
func TestResampleExport(t *testing.T) {
	m := sequential(t, layers.Input(6, 8, 2), layers.UpSampling2D(layers.WithSize(2, 3)))
	g := exported(t, m).GetGraph()
	r := node(t, g, "Resize", 0)
	if sc := initializer(t, g, r.GetInput()[2]).GetFloatData(); !slices.Equal(sc, []float32{1, 1, 2, 3}) ||
		string(attrOf(r, "coordinate_transformation_mode").GetS()) != "asymmetric" || string(attrOf(r, "nearest_mode").GetS()) != "floor" {
		t.Errorf("UpSampling2D: Resize %v with scales %v", r, sc)
	}

	// 6×8 padded to the aspect ratio 1:2 (6×12, two columns of 0.5 on each
	// side) and resized to 5×10.
	m = sequential(t, layers.Input(6, 8, 2), layers.Resizing(5, 10, layers.WithPadToAspectRatio(true), layers.WithFillValue(0.5)))
	g = exported(t, m).GetGraph()
	if got, want := ops(g), []string{"Transpose", "Pad", "Shape", "Slice", "Concat", "Resize", "Transpose"}; !slices.Equal(got, want) {
		t.Fatalf("Resizing: operators %v, want %v", got, want)
	}
	pad := node(t, g, "Pad", 0)
	if p := initializer(t, g, pad.GetInput()[1]).GetInt64Data(); !slices.Equal(p, []int64{0, 0, 0, 2, 0, 0, 0, 2}) ||
		!slices.Equal(initializer(t, g, pad.GetInput()[2]).GetFloatData(), []float32{0.5}) {
		t.Errorf("pads %v, want 2 columns of 0.5 each side", p)
	}
	r = node(t, g, "Resize", 0)
	if size := initializer(t, g, node(t, g, "Concat", 0).GetInput()[1]).GetInt64Data(); !slices.Equal(size, []int64{5, 10}) ||
		string(attrOf(r, "mode").GetS()) != "linear" || string(attrOf(r, "coordinate_transformation_mode").GetS()) != "half_pixel" {
		t.Errorf("Resize %v to %v, want linear, half_pixel, 5×10", r, size)
	}

	// 28 → 14 rows: exact halves; 28 → 10 columns: 2.8 per pixel, ties.
	m = sequential(t, layers.Input(28, 28, 1), layers.Resizing(14, 10, layers.WithInterpolation("nearest")))
	g = exported(t, m).GetGraph()
	if got, want := ops(g), []string{"Transpose", "Gather", "Gather", "Transpose"}; !slices.Equal(got, want) {
		t.Fatalf("nearest with ties: operators %v, want %v", got, want)
	}
	if cols := initializer(t, g, node(t, g, "Gather", 1).GetInput()[1]).GetInt64Data(); !slices.Equal(cols, []int64{1, 4, 7, 9, 12, 15, 18, 21, 23, 26}) {
		t.Errorf("columns %v", cols)
	}

	m = sequential(t, layers.Input(7, 9, 1), layers.CenterCrop(4, 4))
	g = exported(t, m).GetGraph()
	if got := ops(g); !slices.Equal(got, []string{"Transpose", "Slice", "Transpose"}) {
		t.Fatalf("CenterCrop: operators %v, want a Slice between transposes", got)
	}
	s := node(t, g, "Slice", 0)
	starts, ends := initializer(t, g, s.GetInput()[1]).GetInt64Data(), initializer(t, g, s.GetInput()[2]).GetInt64Data()
	if !slices.Equal(starts, []int64{1, 2}) || !slices.Equal(ends, []int64{5, 6}) {
		t.Errorf("CenterCrop 4×4 of 7×9 slices %v to %v, want (1, 2) to (5, 6)", starts, ends)
	}
}

// TestConv1DExport: Conv1D is a Conv with a 1-D kernel (F, C, K), the
// causal padding all before, its dilation and strides; a run of Conv1D,
// pooling and activations stays channels first, (N, C, L), between one
// Transpose in and one out.
func TestConv1DExport(t *testing.T) {
	conv := layers.Conv1D(2, 3, layers.WithPadding("causal"), layers.WithDilationRate(2))
	m := sequential(t, layers.Input(10, 4), conv, layers.ReLU(), layers.AveragePooling1D(3, layers.WithPadding("same"), layers.WithStrides(2)),
		layers.Conv1D(3, 2, layers.WithPadding("same"), layers.WithStrides(2)), layers.Flatten())
	g := exported(t, m).GetGraph()
	want := []string{"Transpose", "Conv", "Relu", "AveragePool", "Conv", "Transpose", "Flatten"}
	if got := ops(g); !slices.Equal(got, want) {
		t.Fatalf("operators %v, want %v", got, want)
	}
	c := node(t, g, "Conv", 0)
	if !slices.Equal(ints(c, "pads"), []int64{4, 0}) || !slices.Equal(ints(c, "dilations"), []int64{2}) || !slices.Equal(ints(c, "kernel_shape"), []int64{3}) {
		t.Errorf("causal dilated Conv %v", c)
	}
	k := conv.Params()[0].Value // (K, C, F)
	w := initializer(t, g, c.GetInput()[1])
	if !slices.Equal(w.GetDims(), []int64{2, 4, 3}) {
		t.Fatalf("kernel dims %v, want (2, 4, 3)", w.GetDims())
	}
	for f := range 2 {
		for ch := range 4 {
			for i := range 3 {
				if got, want := w.GetFloatData()[(f*4+ch)*3+i], k.Data()[(i*4+ch)*2+f]; got != want {
					t.Fatalf("kernel (%d, %d, %d) = %v, want goras's (%d, %d, %d) = %v", f, ch, i, got, i, ch, f, want)
				}
			}
		}
	}
	// 10 steps pooled by 3, stride 2, same: 5 steps, padding 0 before and 1 after.
	if p := node(t, g, "AveragePool", 0); !slices.Equal(ints(p, "pads"), []int64{0, 1}) || attrOf(p, "count_include_pad").GetI() != 0 {
		t.Errorf("pool %v", p)
	}
	// 5 steps, kernel 2, stride 2, same: 3 steps, padding 0 before and 1 after.
	if c := node(t, g, "Conv", 1); !slices.Equal(ints(c, "pads"), []int64{0, 1}) || !slices.Equal(ints(c, "strides"), []int64{2}) {
		t.Errorf("strided Conv %v", c)
	}
}

// TestSeparableExport: SeparableConv2D is a depthwise Conv (group C, no
// bias, the layer's padding and dilation) and a 1×1 Conv with the bias,
// then the activation.
func TestSeparableExport(t *testing.T) {
	m := sequential(t, layers.Input(9, 9, 3), layers.SeparableConv2D(5, 3, layers.WithDepthMultiplier(2), layers.WithDilationRate(2),
		layers.WithPadding("same"), layers.WithActivation("relu")))
	g := exported(t, m).GetGraph()
	if got, want := ops(g), []string{"Transpose", "Conv", "Conv", "Relu", "Transpose"}; !slices.Equal(got, want) {
		t.Fatalf("operators %v, want %v", got, want)
	}
	d, p := node(t, g, "Conv", 0), node(t, g, "Conv", 1)
	if attrOf(d, "group").GetI() != 3 || len(d.GetInput()) != 2 || !slices.Equal(ints(d, "pads"), []int64{2, 2, 2, 2}) ||
		!slices.Equal(ints(d, "dilations"), []int64{2, 2}) || !slices.Equal(initializer(t, g, d.GetInput()[1]).GetDims(), []int64{6, 1, 3, 3}) {
		t.Errorf("depthwise Conv %v", d)
	}
	if attrOf(p, "group").GetI() != 1 || len(p.GetInput()) != 3 || !slices.Equal(initializer(t, g, p.GetInput()[1]).GetDims(), []int64{5, 6, 1, 1}) {
		t.Errorf("pointwise Conv %v", p)
	}
}

// TestInferenceIdentityLayers: the noise, spatial dropout, flip and
// contrast layers write nothing, alone or in a Pipeline.
func TestInferenceIdentityLayers(t *testing.T) {
	m := sequential(t, layers.Input(6, 6, 2), layers.GaussianNoise(0.3), layers.GaussianDropout(0.3), layers.SpatialDropout2D(0.3),
		layers.Pipeline([]layers.Layer{layers.RandomFlip(""), layers.RandomContrast(0.5)}), layers.Flatten(), layers.Dense(3))
	if got := ops(exported(t, m).GetGraph()); !slices.Equal(got, []string{"Flatten", "Gemm"}) {
		t.Errorf("operators %v, want Flatten Gemm", got)
	}
}
