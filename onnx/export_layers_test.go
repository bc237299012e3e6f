package onnx

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/internal/onnxpb"
)

func functional(t *testing.T, ins []*goras.KerasTensor, outs ...*goras.KerasTensor) *goras.Model {
	t.Helper()
	m, err := goras.NewModel(ins, outs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBatchNormalization: after a convolution, BN runs channels first with
// the model's moving statistics and epsilon; after Dense (N, C) it needs no
// transpose; without scale and center γ and β are written as ones and zeros
// under the names they would have.
func TestBatchNormalization(t *testing.T) {
	m := sequential(t, layers.Input(4, 4, 2), layers.Conv2D(3, 3, layers.WithUseBias(false)),
		layers.BatchNormalization(layers.WithEpsilon(0.01)), layers.Flatten(), layers.Dense(5),
		layers.BatchNormalization(layers.WithScale(false), layers.WithCenter(false)))
	g := exported(t, m).GetGraph()
	want := []string{"Transpose", "Conv", "BatchNormalization", "Transpose", "Flatten", "Gemm", "BatchNormalization"}
	if got := ops(g); !slices.Equal(got, want) {
		t.Fatalf("operators %v, want %v", got, want)
	}
	bn := node(t, g, "BatchNormalization", 0)
	if !slices.Equal(bn.GetInput()[1:], []string{"batch_normalization/gamma", "batch_normalization/beta",
		"batch_normalization/moving_mean", "batch_normalization/moving_variance"}) {
		t.Errorf("BN inputs %v", bn.GetInput())
	}
	if eps := bn.GetAttribute()[0]; eps.GetName() != "epsilon" || eps.GetF() != float32(0.01) {
		t.Errorf("attribute %v, want epsilon 0.01", eps)
	}
	if c := node(t, g, "Conv", 0); len(c.GetInput()) != 2 {
		t.Errorf("Conv without bias reads %v, want x and W only", c.GetInput())
	}
	bn1 := node(t, g, "BatchNormalization", 1)
	gamma, beta := initializer(t, g, bn1.GetInput()[1]), initializer(t, g, bn1.GetInput()[2])
	if gamma.GetName() != "batch_normalization_1/gamma" || !slices.Equal(gamma.GetFloatData(), []float32{1, 1, 1, 1, 1}) ||
		!slices.Equal(beta.GetFloatData(), []float32{0, 0, 0, 0, 0}) {
		t.Errorf("γ %v β %v, want 5 ones and 5 zeros", gamma, beta)
	}
}

// TestBatchNormalizationOtherRank: on (N, T, C) inputs BN is Mul and Add
// along the last axis, with scale γ/√(var+ε) and shift β - mean·scale
// worked out in float64.
func TestBatchNormalizationOtherRank(t *testing.T) {
	bnl := layers.BatchNormalization()
	m := sequential(t, layers.Input(3, 2), bnl)
	set := func(p *autograd.Param, v ...float32) { copy(p.Value.Data(), v) }
	ps := bnl.Params() // gamma, beta, moving mean, moving variance
	set(ps[0], 2, 0.5)
	set(ps[1], 0.1, -1)
	set(ps[2], 0.3, -2)
	set(ps[3], 4, 0.25)
	g := exported(t, m).GetGraph()
	if got := ops(g); !slices.Equal(got, []string{"Mul", "Add"}) {
		t.Fatalf("operators %v, want Mul Add", got)
	}
	scale := initializer(t, g, node(t, g, "Mul", 0).GetInput()[1]).GetFloatData()
	shift := initializer(t, g, node(t, g, "Add", 0).GetInput()[1]).GetFloatData()
	for c, p := range [][4]float64{{2, 0.1, 0.3, 4}, {0.5, -1, -2, 0.25}} {
		s := p[0] / math.Sqrt(p[3]+1e-3)
		if math.Abs(float64(scale[c])-s) > 1e-6 || math.Abs(float64(shift[c])-(p[1]-p[2]*s)) > 1e-6 {
			t.Errorf("channel %d: scale %v shift %v, want %v and %v", c, scale[c], shift[c], s, p[1]-p[2]*s)
		}
	}
}

// TestGlobalAveragePooling: after a convolution GlobalAveragePool and
// Flatten; on an image still channels last, ReduceMean over H and W.
func TestGlobalAveragePooling(t *testing.T) {
	g := exported(t, sequential(t, layers.Input(5, 5, 1), layers.Conv2D(4, 3), layers.GlobalAveragePooling2D())).GetGraph()
	if got := ops(g); !slices.Equal(got, []string{"Transpose", "Conv", "GlobalAveragePool", "Flatten"}) {
		t.Errorf("operators %v", got)
	}
	g = exported(t, sequential(t, layers.Input(5, 5, 3), layers.GlobalAveragePooling2D())).GetGraph()
	rm := node(t, g, "ReduceMean", 0)
	if !slices.Equal(ints(rm, "axes"), []int64{1, 2}) || !slices.Equal(ints(rm, "keepdims"), []int64{0}) {
		t.Errorf("ReduceMean %v, want axes (1, 2) without keepdims", rm)
	}
	if d := dims(g.GetOutput()[0]); !slices.Equal(d, []int64{-1, 3}) {
		t.Errorf("output dims %v, want (N, 3)", d)
	}
}

// TestMergeLayouts: merges of two convolutions stay channels first, and
// Concatenate's axes move with the layout: goras's last axis (C) is ONNX's
// 1, its axis 1 (H) is ONNX's 2. A merge of an image still channels last
// with one channels first brings both back to goras's layout.
func TestMergeLayouts(t *testing.T) {
	in := goras.Input(6, 6, 1)
	a := goras.Call(layers.Conv2D(2, 3, layers.WithPadding("same")), in)
	b := goras.Call(layers.Conv2D(2, 3, layers.WithPadding("same")), in)
	sum := goras.Call(layers.Add(), a, b, a)
	cc := goras.Call(layers.Concatenate(), sum, goras.Call(layers.Subtract(), a, b))
	ch := goras.Call(layers.Concatenate(layers.WithAxis(1)), cc, goras.Call(layers.Maximum(), cc, cc))
	mixed := goras.Call(layers.Multiply(), in, goras.Call(layers.Conv2D(1, 1), in))
	g := exported(t, functional(t, []*goras.KerasTensor{in}, ch, mixed)).GetGraph()
	if add := node(t, g, "Add", 1); add.GetInput()[0] != node(t, g, "Add", 0).GetOutput()[0] {
		t.Errorf("Add of 3 inputs: the second Add reads %v, want the first's sum (goras's order)", add.GetInput())
	}
	if ax := ints(node(t, g, "Concat", 0), "axis"); !slices.Equal(ax, []int64{1}) {
		t.Errorf("Concatenate(axis=-1) of channels-first images on axis %v, want 1", ax)
	}
	if ax := ints(node(t, g, "Concat", 1), "axis"); !slices.Equal(ax, []int64{2}) {
		t.Errorf("Concatenate(axis=1) of channels-first images on axis %v, want 2", ax)
	}
	for _, op := range []string{"Sub", "Max", "Add", "Concat"} {
		for _, x := range node(t, g, op, 0).GetInput() {
			if strings.Contains(x, "Transpose") {
				t.Errorf("%s reads %s: a transposed copy where every input was channels first", op, x)
			}
		}
	}
	mul := node(t, g, "Mul", 0)
	if mul.GetInput()[0] != "input_layer" || ints(producer(g, mul.GetInput()[1]), "perm")[1] != 2 {
		t.Errorf("Multiply of channels-last input and a conv reads %v, want the input and the conv transposed back", mul.GetInput())
	}
	if out := g.GetOutput(); len(out) != 2 || !slices.Equal(dims(out[0]), []int64{-1, 12, 6, 4}) || !slices.Equal(dims(out[1]), []int64{-1, 6, 6, 1}) {
		t.Errorf("outputs %v, want (N, 12, 6, 4) and (N, 6, 6, 1)", out)
	}
	if p := ints(producer(g, g.GetOutput()[0].GetName()), "perm"); !slices.Equal(p, []int64{0, 2, 3, 1}) {
		t.Errorf("an image output must be transposed back to goras's layout, its producer has perm %v", p)
	}
}

func producer(g *onnxpb.GraphProto, v string) *onnxpb.NodeProto {
	for _, n := range g.GetNode() {
		if slices.Contains(n.GetOutput(), v) {
			return n
		}
	}
	return nil
}

// TestSharedLayerAndOutputs: a Dense called twice writes its weights once
// and two Gemm nodes; two outputs of that layer get distinct names; an
// input that is also an output is copied by Identity.
func TestSharedLayerAndOutputs(t *testing.T) {
	in := goras.Input(4)
	shared := layers.Dense(4, layers.WithName("shared"))
	a := goras.Call(shared, in)
	b := goras.Call(shared, a)
	g := exported(t, functional(t, []*goras.KerasTensor{in}, b, a, in)).GetGraph()
	if got := ops(g); !slices.Equal(got, []string{"Gemm", "Gemm", "Identity"}) {
		t.Errorf("operators %v, want Gemm Gemm Identity", got)
	}
	if n := len(g.GetInitializer()); n != 2 {
		t.Errorf("%d initializers, want the shared kernel and bias once", n)
	}
	var names []string
	for _, o := range g.GetOutput() {
		names = append(names, o.GetName())
	}
	if !slices.Equal(names, []string{"shared", "shared_1", "input_layer_1"}) {
		t.Errorf("outputs %v, want shared, shared_1, input_layer_1", names)
	}
	if second := node(t, g, "Gemm", 1); second.GetInput()[0] != "shared_1" || second.GetOutput()[0] != "shared" {
		t.Errorf("second call %v: want it to read the first (output shared_1) and make shared", second)
	}
}

// TestReshapeRescalingActivations: Reshape with the batch inferred,
// Rescaling as Mul and Add of scalars, and the activations that are not
// one operator written as their formulas.
func TestReshapeRescalingActivations(t *testing.T) {
	m := sequential(t, layers.Input(2, 6), layers.Rescaling(1.0/255, -0.5), layers.Reshape(3, -1),
		layers.Flatten(), layers.Dense(3, layers.WithActivation("gelu")), layers.Activation("silu"),
		layers.Activation("selu"), layers.Activation("leaky_relu"), layers.Dense(2, layers.WithUseBias(false), layers.WithActivation("log_softmax")))
	g := exported(t, m).GetGraph()
	want := []string{"Mul", "Add", "Reshape", "Flatten", "Gemm", "Div", "Erf", "Add", "Mul", "Mul",
		"Sigmoid", "Mul", "Selu", "LeakyRelu", "Gemm", "LogSoftmax"}
	if got := ops(g); !slices.Equal(got, want) {
		t.Fatalf("operators %v, want %v", got, want)
	}
	scale := initializer(t, g, node(t, g, "Mul", 0).GetInput()[1])
	if len(scale.GetDims()) != 0 || scale.GetFloatData()[0] != float32(1.0/255) {
		t.Errorf("scale %v, want the scalar 1/255", scale)
	}
	shape := initializer(t, g, node(t, g, "Reshape", 0).GetInput()[1])
	if !slices.Equal(shape.GetInt64Data(), []int64{-1, 3, 4}) {
		t.Errorf("Reshape shape %v, want (-1, 3, 4)", shape.GetInt64Data())
	}
	if a := node(t, g, "LeakyRelu", 0).GetAttribute()[0]; a.GetF() != float32(0.2) {
		t.Errorf("leaky_relu alpha %v, want 0.2 (Keras's function default)", a.GetF())
	}
	if a := node(t, g, "Selu", 0).GetAttribute(); a[0].GetF() != float32(autograd.SELUAlpha) || a[1].GetF() != float32(autograd.SELUScale) {
		t.Errorf("selu attributes %v", a)
	}
	if len(node(t, g, "Gemm", 1).GetInput()) != 2 {
		t.Error("Dense without bias should be Gemm of x and the kernel only")
	}
}

// TestAugmentationWritesNothing: a Pipeline of augmentation layers and
// Dropout leave no node; the Dense reads the input.
func TestAugmentationWritesNothing(t *testing.T) {
	fill := layers.WithFillMode("constant")
	m := sequential(t, layers.Input(8, 8, 1),
		layers.Pipeline([]layers.Layer{layers.RandomRotation(0.1, fill), layers.RandomZoom(0.1, fill)}),
		layers.RandomTranslation(0.1, 0.1, fill), layers.Dropout(0.5), layers.Flatten(), layers.Dense(2))
	g := exported(t, m).GetGraph()
	if got := ops(g); !slices.Equal(got, []string{"Flatten", "Gemm"}) || node(t, g, "Flatten", 0).GetInput()[0] != "input_layer" {
		t.Errorf("operators %v reading %v, want Flatten of the input and Gemm", got, node(t, g, "Flatten", 0).GetInput())
	}
}

// unknown is a layer of someone's own without ExportONNX.
type unknown struct{ name string }

func (u *unknown) Name() string                                { return u.name }
func (u *unknown) SetName(n string)                            { u.name = n }
func (u *unknown) ClassName() string                           { return "Mystery" }
func (u *unknown) Build(in []int, _ *rand.Rand) ([]int, error) { return in, nil }
func (u *unknown) Params() []*autograd.Param                   { return nil }
func (u *unknown) Call(_ *autograd.Plan, x *autograd.Var) *autograd.Var {
	return x
}
func (u *unknown) Config() map[string]any { return map[string]any{"name": u.name} }

// negate is unknown with ExportONNX: y = -x.
type negate struct{ unknown }

func (n *negate) ExportONNX(g *Graph, inputs []string) (string, error) {
	return g.Node("Neg", inputs), nil
}

// TestCustomLayers: a layer the exporter does not know is an error naming
// it, its class and Exporter; one implementing Exporter is asked, with its
// input in goras's layout (after a Conv, transposed back), and named after
// itself.
func TestCustomLayers(t *testing.T) {
	m := sequential(t, layers.Input(3), &unknown{name: "odd"})
	err := Encode(m, &bytes.Buffer{})
	if err == nil {
		t.Fatal("a layer without export was exported")
	}
	for _, want := range []string{`"odd"`, "Mystery", "onnx.Exporter", "Conv2D"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	m = sequential(t, layers.Input(4, 4, 1), layers.Conv2D(2, 3), &negate{unknown{name: "neg"}}, layers.Flatten())
	g := exported(t, m).GetGraph()
	if got := ops(g); !slices.Equal(got, []string{"Transpose", "Conv", "Transpose", "Neg", "Flatten"}) {
		t.Errorf("operators %v, want the custom Neg between goras-layout values", got)
	}
	if n := node(t, g, "Neg", 0); n.GetName() != "neg/Neg" {
		t.Errorf("custom node named %q, want neg/Neg", n.GetName())
	}
}

// TestSoftmaxOnImage: softmax over the channels of a channels-first image
// is on ONNX axis 1; the image output is transposed back.
func TestSoftmaxOnImage(t *testing.T) {
	g := exported(t, sequential(t, layers.Input(5, 5, 2), layers.Conv2D(3, 3, layers.WithActivation("softmax")))).GetGraph()
	if got := ops(g); !slices.Equal(got, []string{"Transpose", "Conv", "Softmax", "Transpose"}) {
		t.Fatalf("operators %v", got)
	}
	if ax := ints(node(t, g, "Softmax", 0), "axis"); !slices.Equal(ax, []int64{1}) {
		t.Errorf("softmax on axis %v, want 1 (the channels)", ax)
	}
	if d := dims(g.GetOutput()[0]); !slices.Equal(d, []int64{-1, 3, 3, 3}) || g.GetOutput()[0].GetName() != "conv2d" {
		t.Errorf("output %v, want conv2d (N, 3, 3, 3)", g.GetOutput()[0])
	}
}
