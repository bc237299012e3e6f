package layers

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// The layers added for ONNX import, through the shared harness: shapes,
// weight counts, config keys, a training step that allocates nothing and
// lowers the loss, and every gradient against finite differences.

var convTransposeKeys = []string{"name", "filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate",
	"activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"}

var depthwiseKeys = []string{"name", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation",
	"use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer", "bias_regularizer", "depthwise_constraint", "bias_constraint"}

func TestONNXLayersHarness(t *testing.T) {
	c := tensor.New(1, 3)
	copy(c.Data(), []float32{0.5, -2, 1.5})
	checkLayers(t, []layerCase{
		{name: "Permute", layer: func() Layer { return Permute([]int{3, 1, 2}) }, input: []int{2, 3, 4}, output: []int{4, 2, 3}, keys: []string{"name", "dims"}},
		{name: "ZeroPadding2D", layer: func() Layer { return ZeroPadding2D(1, 0, 2, 1) }, input: []int{2, 3, 2}, output: []int{3, 6, 2},
			keys: []string{"name", "padding", "data_format"}},
		{name: "Cropping2D", layer: func() Layer { return Cropping2D(1, 0, 1, 2) }, input: []int{3, 5, 2}, output: []int{2, 2, 2},
			keys: []string{"name", "cropping", "data_format"}},
		{name: "GlobalMaxPooling2D", layer: func() Layer { return GlobalMaxPooling2D() }, input: []int{3, 2, 3}, output: []int{3},
			keys: []string{"name", "data_format", "keepdims"}},
		{name: "DepthwiseConv2D", layer: func() Layer {
			return DepthwiseConv2D(3, WithDepthMultiplier(2), WithPadding("same"), WithStrides(2), WithActivation("tanh"))
		}, input: []int{5, 4, 2}, output: []int{3, 2, 4}, params: 3*3*2*2 + 4, keys: depthwiseKeys},
		{name: "DepthwiseConv2D/dilated", layer: func() Layer { return DepthwiseConv2D(2, WithDilationRate(2, 1), WithUseBias(false)) },
			input: []int{5, 4, 3}, output: []int{3, 3, 3}, params: 2 * 2 * 3, keys: depthwiseKeys},
		{name: "Conv2DTranspose/valid", layer: func() Layer { return Conv2DTranspose(2, 3, WithStrides(2)) },
			input: []int{2, 3, 2}, output: []int{5, 7, 2}, params: 3*3*2*2 + 2, keys: convTransposeKeys},
		{name: "Conv2DTranspose/same", layer: func() Layer { return Conv2DTranspose(3, 3, WithStrides(2), WithPadding("same")) },
			input: []int{2, 3, 2}, output: []int{4, 6, 3}, params: 3*3*3*2 + 3, keys: convTransposeKeys},
		{name: "Conv2DTranspose/output-padding", layer: func() Layer {
			return Conv2DTranspose(2, 2, WithStrides(3, 2), WithOutputPadding(2, 1), WithDilationRate(1, 2))
		}, input: []int{2, 2, 1}, output: []int{7, 6, 2}, params: 2*2*2 + 2, keys: convTransposeKeys},
		// The harness's inputs include 0, where LeakyReLU and ELU with
		// alpha ≠ 1 have a kink that finite differences straddle: LeakyReLU
		// is held to its values below (its op's gradient is checked in
		// autograd), ELU runs here with alpha 1, smooth at 0.
		{name: "ELU", layer: func() Layer { return ELU(1) }, input: []int{2, 3}, output: []int{2, 3}, keys: []string{"name", "alpha"}},
		{name: "Clip", layer: func() Layer { return Clip(-0.33, 0.41) }, input: []int{6}, output: []int{6}, keys: []string{"name", "min_value", "max_value"}},
		{name: "HardSigmoid", layer: func() Layer { return HardSigmoid(1.0/6, 0.5) }, input: []int{6}, output: []int{6}, keys: []string{"name", "alpha", "beta"}},
		{name: "Erf", layer: func() Layer { return Erf() }, input: []int{2, 2}, output: []int{2, 2}, keys: []string{"name"}},
		{name: "ConstantArithmetic", layer: func() Layer { return ConstantArithmetic("multiply", c, false) }, input: []int{2, 2, 3}, output: []int{2, 2, 3},
			params: 3, keys: []string{"name", "operation", "constant_shape", "reverse"}},
		{name: "PaddedPooling2D/max", layer: func() Layer { return PaddedPooling2D("max", [2]int{3, 3}, [2]int{2, 2}, [2][2]int{{1, 1}, {1, 0}}) },
			input: []int{4, 4, 2}, output: []int{2, 2, 2}, keys: []string{"name", "mode", "pool_size", "strides", "padding", "data_format"}},
		{name: "PaddedPooling2D/average", layer: func() Layer { return PaddedPooling2D("average", [2]int{2, 3}, [2]int{1, 2}, [2][2]int{{0, 1}, {2, 1}}) },
			input: []int{3, 4, 1}, output: []int{3, 3, 1}},
	})
}

// TestConv2DTransposeSizes holds the output size to Keras's formulas.
func TestConv2DTransposeSizes(t *testing.T) {
	cases := []struct {
		l      *Conv2DTransposeLayer
		in     int
		out    int
		before int // rows cropped from the top of the full output
	}{
		{Conv2DTranspose(1, 3, WithStrides(2)), 5, 11, 0},                          // 5·2 + max(3-2, 0)
		{Conv2DTranspose(1, 2, WithStrides(3)), 5, 15, 0},                          // 5·3 + max(2-3, 0): a row of bias only
		{Conv2DTranspose(1, 3, WithStrides(2), WithOutputPadding(1)), 5, 12, 0},    // 4·2 + 3 + 1
		{Conv2DTranspose(1, 3, WithStrides(2), WithPadding("same")), 5, 10, 1},     // padLen 3: 2 before, so 3-1-2 … cropped 0? see below
		{Conv2DTranspose(1, 4, WithStrides(2), WithPadding("same")), 5, 10, 1},     // PyTorch's (k 4, s 2, p 1)
		{Conv2DTranspose(1, 3, WithDilationRate(2), WithPadding("same")), 4, 4, 2}, // span 5 at stride 1: 2 on each side
	}
	cases[3].before = 0 // padLen = 2 + 3 - 2 = 3: min(⌈3/2⌉, 2) = 2 before, so the full output loses 3-1-2 = 0 rows at the top
	for i, c := range cases {
		out, before, after := c.l.axis(0, c.in)
		if c.l.err != nil || out != c.out || before != c.before {
			t.Errorf("case %d: out %d, cropped %d (err %v), want %d and %d", i, out, before, c.l.err, c.out, c.before)
		}
		full := (c.in-1)*c.l.strides[0] + dilated(c.l.window[0], c.l.dilation[0])
		if before+out+after != full {
			t.Errorf("case %d: %d + %d + %d ≠ the full output %d", i, before, out, after, full)
		}
	}
	if l := Conv2DTranspose(1, 3, WithPadding("same"), WithOutputPadding(1), WithStrides(2)); l.err == nil {
		t.Error("output padding with \"same\" was accepted")
	}
	if l := Conv2DTranspose(1, 3, WithOutputPadding(2), WithStrides(2)); l.err == nil {
		t.Error("output padding 2 at stride 2 was accepted")
	}
}

// TestONNXLayersByHand checks a few outputs against values worked out by
// hand.
func TestONNXLayersByHand(t *testing.T) {
	x := tensor.New(1, 2, 2, 1)
	copy(x.Data(), []float32{1, -2, 3, -4})
	forward := func(l Layer, x *tensor.Tensor) []float32 {
		t.Helper()
		l.SetName("under_test")
		if _, err := l.Build(x.Shape()[1:], tensor.NewRNG(1)); err != nil {
			t.Fatal(err)
		}
		p := autograd.NewInferencePlan(x.Dim(0))
		in := p.Input(x.Shape()[1:]...)
		copy(in.Value.Data(), x.Data())
		y := l.Call(p, in)
		p.Forward(false)
		return y.Value.Data()
	}
	// Max over a 2×2 window padded by one row above: the padding never wins.
	got := forward(PaddedPooling2D("max", [2]int{2, 2}, [2]int{1, 1}, [2][2]int{{1, 0}, {0, 0}}), x)
	if want := []float32{1, 3}; !equal(got, want) {
		t.Errorf("PaddedPooling2D max = %v, want %v", got, want)
	}
	// Average with a column of padding on the left: (1 + 3)/2, then all four.
	got = forward(PaddedPooling2D("average", [2]int{2, 2}, [2]int{1, 1}, [2][2]int{{0, 0}, {1, 0}}), x)
	if want := []float32{2, -0.5}; !equal(got, want) {
		t.Errorf("PaddedPooling2D average = %v, want %v", got, want)
	}
	got = forward(GlobalMaxPooling2D(), x)
	if want := []float32{3}; !equal(got, want) {
		t.Errorf("GlobalMaxPooling2D = %v, want %v", got, want)
	}
	got = forward(Clip(math.Inf(-1), 2), x)
	if want := []float32{1, -2, 2, -4}; !equal(got, want) {
		t.Errorf("Clip(-inf, 2) = %v, want %v", got, want)
	}
	got = forward(LeakyReLU(0.5), x)
	if want := []float32{1, -1, 3, -2}; !equal(got, want) {
		t.Errorf("LeakyReLU(0.5) = %v, want %v", got, want)
	}
	c := tensor.New(2, 1, 1)
	copy(c.Data(), []float32{10, 20})
	got = forward(ConstantArithmetic("subtract", c, true), x) // 10 - x on the first row, 20 - x on the second
	if want := []float32{9, 12, 17, 24}; !equal(got, want) {
		t.Errorf("ConstantArithmetic(subtract, reverse) = %v, want %v", got, want)
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}
