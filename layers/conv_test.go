package layers

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

var (
	convKeys = []string{"name", "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
		"activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
		"kernel_constraint", "bias_constraint"}
	poolKeys = []string{"name", "pool_size", "strides", "padding", "data_format"}
)

func TestConvLayersHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "Conv2D/valid", layer: func() Layer { return Conv2D(3, 3, WithActivation("relu")) }, input: []int{5, 6, 2}, output: []int{3, 4, 3}, params: 3*3*2*3 + 3, keys: convKeys},
		{name: "Conv2D/same-stride2", layer: func() Layer { return Conv2D(2, 3, WithPadding("same"), WithStrides(2)) }, input: []int{7, 6, 2}, output: []int{4, 3, 2}, params: 3*3*2*2 + 2, keys: convKeys},
		{name: "Conv2D/rect-no-bias", layer: func() Layer { return Conv2D(2, 0, WithKernelSize(2, 3), WithUseBias(false), WithStrides(1, 2)) }, input: []int{4, 7, 3}, output: []int{3, 3, 2}, params: 2 * 3 * 3 * 2, keys: convKeys},
		{name: "Conv2D/regularized", layer: func() Layer { return Conv2D(2, 2, WithKernelRegularizer(regularizers.L2(0.01))) }, input: []int{3, 3, 1}, output: []int{2, 2, 2}, params: 2*2*1*2 + 2, keys: convKeys},
		{name: "MaxPooling2D", layer: func() Layer { return MaxPooling2D() }, input: []int{5, 4, 2}, output: []int{2, 2, 2}, keys: poolKeys},
		{name: "MaxPooling2D/same", layer: func() Layer { return MaxPooling2D(WithPoolSize(3), WithStrides(2), WithPadding("Same")) }, input: []int{5, 6, 2}, output: []int{3, 3, 2}, keys: poolKeys},
		{name: "AveragePooling2D", layer: func() Layer { return AveragePooling2D(2) }, input: []int{5, 5, 2}, output: []int{2, 2, 2}, keys: poolKeys},
		{name: "AveragePooling2D/same", layer: func() Layer { return AveragePooling2D(3, WithStrides(1), WithPadding("same")) }, input: []int{4, 5, 2}, output: []int{4, 5, 2}, keys: poolKeys},
		{name: "GlobalAveragePooling2D", layer: func() Layer { return GlobalAveragePooling2D() }, input: []int{3, 4, 2}, output: []int{2}, keys: []string{"name", "data_format", "keepdims"}},
	})
}

// TestWindowShapesMatchKeras holds output sizes and padding splits to
// Keras's formulas (KERAS.md §3), worked out by hand:
// valid: ⌊(in-k)/s⌋+1; same: ⌈in/s⌉ with total padding (out-1)·s+k-in, the
// extra pixel at the bottom/right.
func TestWindowShapesMatchKeras(t *testing.T) {
	for _, c := range []struct {
		in, k, s           int
		padding            string
		out, before, after int
	}{
		{28, 3, 1, "valid", 26, 0, 0},
		{28, 3, 1, "same", 28, 1, 1},
		{28, 3, 2, "valid", 13, 0, 0},
		{28, 3, 2, "same", 14, 0, 1}, // total (14-1)·2+3-28 = 1
		{27, 3, 1, "valid", 25, 0, 0},
		{27, 3, 1, "same", 27, 1, 1},
		{27, 3, 2, "valid", 13, 0, 0},
		{27, 3, 2, "same", 14, 1, 1}, // total 2
		{28, 2, 2, "valid", 14, 0, 0},
		{28, 2, 2, "same", 14, 0, 0},
		{27, 2, 2, "valid", 13, 0, 0},
		{27, 2, 2, "same", 14, 0, 1},
		{6, 4, 1, "same", 6, 1, 2}, // even kernel: total 3, extra at the end
		{6, 4, 1, "valid", 3, 0, 0},
		{5, 4, 2, "valid", 1, 0, 0},
		{5, 4, 2, "same", 3, 1, 2}, // total 2·2+4-5 = 3
		{28, 5, 1, "same", 28, 2, 2},
		{10, 5, 1, "valid", 6, 0, 0},
		{5, 1, 3, "same", 2, 0, 0}, // total (2-1)·3+1-5 < 0: none
	} {
		out, before, after := window1D(c.in, c.k, c.s, c.padding)
		if out != c.out || before != c.before || after != c.after {
			t.Errorf("in %d, window %d, stride %d, %s: out %d pad (%d,%d), want %d (%d,%d)",
				c.in, c.k, c.s, c.padding, out, before, after, c.out, c.before, c.after)
		}
		// Both layer kinds, on a non-square image (the row axis is c.in,
		// the column axis 9) to catch a swapped axis.
		for _, l := range []Layer{
			Conv2D(4, 0, WithKernelSize(c.k, 2), WithStrides(c.s, 1), WithPadding(c.padding)),
			MaxPooling2D(WithPoolSize(c.k, 2), WithStrides(c.s, 1), WithPadding(c.padding)),
			AveragePooling2D(0, WithPoolSize(c.k, 2), WithStrides(c.s, 1), WithPadding(c.padding)),
		} {
			colOut := 8 // valid: 9-2+1
			if c.padding == "same" {
				colOut = 9
			}
			got, err := l.Build([]int{c.in, 9, 3}, tensor.NewRNG(1))
			want := []int{c.out, colOut, 3}
			if _, ok := l.(*Conv2DLayer); ok {
				want[2] = 4
			}
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("%s %+v: Build = %v, %v; want %v", l.ClassName(), c, got, err, want)
			}
		}
	}
}

func TestConv2DDefaultsAndConfig(t *testing.T) {
	l := Conv2D(32, 3, WithActivation("relu"), WithPadding("SAME"))
	l.SetName("conv2d")
	out, err := l.Build([]int{28, 28, 1}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out, []int{28, 28, 32}) {
		t.Errorf("output %v, want [28 28 32]", out)
	}
	ps := l.Params()
	if len(ps) != 2 || !slices.Equal(ps[0].Value.Shape(), []int{3, 3, 1, 32}) || !slices.Equal(ps[1].Value.Shape(), []int{32}) {
		t.Fatalf("params %v", ps)
	}
	if n := ps[0].Value.Len() + ps[1].Value.Len(); n != 320 {
		t.Errorf("%d params, want 320 (Keras: 3×3×1→32)", n)
	}
	// glorot_uniform with conv fans: fan_in 3·3·1 = 9, fan_out 3·3·32 = 288,
	// limit √(6/297); the biases start at zero.
	limit := math.Sqrt(6.0 / 297)
	var maxAbs float64
	for _, v := range ps[0].Value.Data() {
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	if maxAbs > limit || maxAbs < 0.95*limit {
		t.Errorf("kernel max |w| = %v, want just under the glorot limit %v", maxAbs, limit)
	}
	for _, v := range ps[1].Value.Data() {
		if v != 0 {
			t.Fatalf("bias starts at %v, want 0", v)
		}
	}
	cfg := l.Config()
	for k, want := range map[string]any{"filters": 32, "padding": "same", "activation": "relu", "use_bias": true, "groups": 1, "data_format": "channels_last"} {
		if cfg[k] != want {
			t.Errorf("Config %s = %v, want %v", k, cfg[k], want)
		}
	}
	for k, want := range map[string][]any{"kernel_size": {3, 3}, "strides": {1, 1}, "dilation_rate": {1, 1}} {
		if !slices.Equal(cfg[k].([]any), want) {
			t.Errorf("Config %s = %v, want %v", k, cfg[k], want)
		}
	}
	if ki, want := cfg["kernel_initializer"], initializerConfig(initializers.GlorotUniform()); !reflect.DeepEqual(ki, want) {
		t.Errorf("kernel_initializer %v, want %v", ki, want)
	}

	mp := MaxPooling2D()
	mp.SetName("max_pooling2d")
	mc := mp.Config()
	if !slices.Equal(mc["pool_size"].([]any), []any{2, 2}) || !slices.Equal(mc["strides"].([]any), []any{2, 2}) || mc["padding"] != "valid" {
		t.Errorf("MaxPooling2D() config %v, want pool (2,2), strides (2,2), valid", mc)
	}
	ap := AveragePooling2D(3, WithStrides(1))
	ac := ap.Config()
	if !slices.Equal(ac["pool_size"].([]any), []any{3, 3}) || !slices.Equal(ac["strides"].([]any), []any{1, 1}) {
		t.Errorf("AveragePooling2D(3, strides 1) config %v", ac)
	}
}

func TestConvLayerErrors(t *testing.T) {
	for _, c := range []struct {
		name  string
		layer Layer
		input []int
		want  string
	}{
		{"bad padding", Conv2D(4, 3, WithPadding("full")), []int{8, 8, 1}, `padding must be "valid" or "same", got "full"`},
		{"no filters", Conv2D(0, 3), []int{8, 8, 1}, "positive number of filters, got 0"},
		{"no kernel", Conv2D(4, 0), []int{8, 8, 1}, "needs a window size"},
		{"three strides", Conv2D(4, 3, WithStrides(1, 2, 3)), []int{8, 8, 1}, "WithStrides takes 1 or 2 values"},
		{"zero stride", MaxPooling2D(WithStrides(0)), []int{8, 8, 1}, "WithStrides needs positive values"},
		{"misplaced option", Conv2D(4, 3, WithPoolSize(2)), []int{8, 8, 1}, "Conv2D does not take the option pool_size"},
		{"kernel too big", Conv2D(4, 5), []int{4, 8, 1}, `kernel 5x5 is larger than its 4x8 input with padding "valid"`},
		{"flat input", Conv2D(4, 3), []int{784}, "expects images of shape (height, width, channels)"},
		{"no channel axis", MaxPooling2D(), []int{28, 28}, "layers.Input(28, 28, 1)"},
		{"pool too big", MaxPooling2D(WithPoolSize(3)), []int{2, 2, 1}, "pool size 3x3 is larger"},
		{"average without size", AveragePooling2D(0), []int{8, 8, 1}, "AveragePooling2D needs a window size"},
		{"negative size", AveragePooling2D(-2), []int{8, 8, 1}, "positive window size, got -2"},
		{"global on flat", GlobalAveragePooling2D(), []int{10}, "expects images"},
		{"bad activation", Conv2D(4, 3, WithActivation("relu7")), []int{8, 8, 1}, "relu7"},
	} {
		c.layer.SetName("x")
		_, err := c.layer.Build(c.input, tensor.NewRNG(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", c.name, err, c.want)
		}
	}
	// Same padding lets a window exceed the input, as in Keras.
	if out, err := MaxPooling2D(WithPoolSize(3), WithPadding("same")).Build([]int{2, 2, 1}, nil); err != nil || !slices.Equal(out, []int{1, 1, 1}) {
		t.Errorf("same-padded 3×3 pool of 2×2: %v, %v; want [1 1 1]", out, err)
	}
}

// TestConvConfigRoundTrip: Config → JSON → FromConfig → Config is the
// identity for every windowed layer, and Keras 3's own configs are read.
func TestConvConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		Conv2D(32, 3, WithActivation("relu")),
		Conv2D(6, 0, WithKernelSize(5, 3), WithStrides(2, 1), WithPadding("SAME"), WithUseBias(false),
			WithKernelInitializer(initializers.HeNormal()), WithKernelRegularizer(regularizers.L2(1e-4)), WithName("c")),
		MaxPooling2D(),
		MaxPooling2D(WithPoolSize(3, 2), WithStrides(1), WithPadding("same"), WithName("mp")),
		AveragePooling2D(2),
		AveragePooling2D(3, WithStrides(2, 1), WithPadding("same")),
		GlobalAveragePooling2D(WithName("gap")),
	)

	// Configs as Keras 3 writes them (model.get_config() of the keras.io
	// MNIST convnet), and the short forms it accepts.
	for _, c := range []struct {
		class, json string
		input, out  []int
	}{
		{"Conv2D", `{"name": "conv2d", "trainable": true, "dtype": "float32", "filters": 32, "kernel_size": [3, 3], "strides": [1, 1],
			"padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true,
			"kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
			"bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
			"kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}`,
			[]int{28, 28, 1}, []int{26, 26, 32}},
		{"Conv2D", `{"filters": 4, "kernel_size": 5, "strides": 2, "padding": "same"}`, []int{9, 9, 2}, []int{5, 5, 4}},
		{"MaxPooling2D", `{"name": "max_pooling2d", "trainable": true, "dtype": "float32", "pool_size": [2, 2], "padding": "valid",
			"strides": [2, 2], "data_format": "channels_last"}`, []int{26, 26, 32}, []int{13, 13, 32}},
		{"MaxPooling2D", `{"pool_size": 3, "strides": null}`, []int{9, 9, 1}, []int{3, 3, 1}},
		{"AveragePooling2D", `{"pool_size": [2, 3], "strides": 1}`, []int{4, 4, 1}, []int{3, 2, 1}},
		{"GlobalAveragePooling2D", `{"name": "gap", "data_format": "channels_last", "keepdims": false}`, []int{3, 3, 7}, []int{7}},
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(c.json), &m); err != nil {
			t.Fatal(err)
		}
		l, err := FromConfig(c.class, m)
		if err != nil {
			t.Errorf("%s %s: %v", c.class, c.json, err)
			continue
		}
		if out, err := l.Build(c.input, tensor.NewRNG(1)); err != nil || !slices.Equal(out, c.out) {
			t.Errorf("%s %s: Build(%v) = %v, %v; want %v", c.class, c.json, c.input, out, err, c.out)
		}
	}

	for _, c := range []struct{ class, json, want string }{
		{"Conv2D", `{"filters": 4}`, `missing "kernel_size"`},
		{"Conv2D", `{"filters": 4, "kernel_size": 3, "dilation_rate": [2, 2]}`, `"dilation_rate"`},
		{"Conv2D", `{"filters": 4, "kernel_size": 3, "data_format": "channels_first"}`, `"data_format"`},
		{"Conv2D", `{"filters": 4, "kernel_size": 3, "padding": "causal"}`, `"causal"`},
		{"AveragePooling2D", `{}`, `missing "pool_size"`},
		{"MaxPooling2D", `{"pool_size": [2, 2, 2]}`, `"pool_size"`},
		{"GlobalAveragePooling2D", `{"keepdims": true}`, `"keepdims"`},
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(c.json), &m); err != nil {
			t.Fatal(err)
		}
		if _, err := FromConfig(c.class, m); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v, want it to mention %s", c.class, c.json, err, c.want)
		}
	}
}
