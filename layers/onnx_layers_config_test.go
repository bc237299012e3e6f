package layers_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

// TestONNXLayersConfigRoundTrip: Config → JSON → FromConfig → Config gives
// the same config for each layer added for ONNX import, as
// TestConfigRoundTrip does for the others.
func TestONNXLayersConfigRoundTrip(t *testing.T) {
	c := tensor.New(2, 1)
	cases := []layers.Layer{
		layers.Permute([]int{2, 1}),
		layers.Permute([]int{3, 1, 2}, layers.WithName("to_nchw")),
		layers.ZeroPadding2D(1, 2, 0, 3),
		layers.Cropping2D(0, 1, 2, 0, layers.WithName("crop")),
		layers.GlobalMaxPooling2D(),
		layers.DepthwiseConv2D(3, layers.WithDepthMultiplier(2), layers.WithDilationRate(2, 1), layers.WithPadding("same"),
			layers.WithStrides(1, 2), layers.WithActivation("relu"), layers.WithKernelRegularizer(regularizers.L2(0.01))),
		layers.DepthwiseConv2D(5, layers.WithUseBias(false)),
		layers.Conv2DTranspose(8, 3, layers.WithStrides(2), layers.WithOutputPadding(1, 0)),
		layers.Conv2DTranspose(4, 2, layers.WithPadding("same"), layers.WithStrides(2), layers.WithUseBias(false)),
		layers.LeakyReLU(0.01),
		layers.ELU(0.5, layers.WithName("elu_half")),
		layers.Clip(0, 6),
		layers.Clip(math.Inf(-1), 1.5),
		layers.HardSigmoid(0.2, 0.5),
		layers.Erf(),
		layers.ConstantArithmetic("divide", c, true),
		layers.PaddedPooling2D("max", [2]int{3, 3}, [2]int{2, 2}, [2][2]int{{1, 1}, {1, 1}}),
		layers.PaddedPooling2D("average", [2]int{2, 3}, [2]int{1, 2}, [2][2]int{{0, 1}, {2, 0}}),
	}
	layers.CheckConfigRoundTrip(t, cases...)
}

// TestONNXLayersKerasConfig reads configs as Keras writes them: sizes given
// as one integer, Keras 2's LeakyReLU alpha.
func TestONNXLayersKerasConfig(t *testing.T) {
	cases := []struct {
		class, config string
		want          string // a fragment of the config read back
	}{
		{"ZeroPadding2D", `{"name": "zp", "padding": 2, "data_format": "channels_last", "trainable": true}`, `"padding":[[2,2],[2,2]]`},
		{"ZeroPadding2D", `{"name": "zp", "padding": [1, 3]}`, `"padding":[[1,1],[3,3]]`},
		{"Cropping2D", `{"name": "c", "cropping": [[0, 1], [2, 3]]}`, `"cropping":[[0,1],[2,3]]`},
		{"LeakyReLU", `{"name": "l", "alpha": 0.1}`, `"negative_slope":0.1`},
		{"LeakyReLU", `{"name": "l"}`, `"negative_slope":0.3`},
		{"DepthwiseConv2D", `{"name": "d", "kernel_size": 3, "depth_multiplier": 2, "activity_regularizer": null}`, `"depth_multiplier":2`},
		{"Conv2DTranspose", `{"name": "t", "filters": 4, "kernel_size": [3, 3], "output_padding": null}`, `"output_padding":null`},
		{"Permute", `{"name": "p", "dims": [2, 1]}`, `"dims":[2,1]`},
	}
	for _, c := range cases {
		l, err := fromJSON(t, c.class, c.config)
		if err != nil {
			t.Errorf("%s %s: %v", c.class, c.config, err)
			continue
		}
		if got, _ := json.Marshal(l.Config()); !strings.Contains(string(got), c.want) {
			t.Errorf("%s %s read back as %s, want %s in it", c.class, c.config, got, c.want)
		}
	}
}

// TestONNXLayersRefuse: configs and shapes the layers cannot take are
// errors that say what is wrong, when built or read.
func TestONNXLayersRefuse(t *testing.T) {
	bad := []struct {
		class, config, want string
	}{
		{"Permute", `{"dims": [1, 1]}`, "once each"},
		{"ZeroPadding2D", `{"padding": [[1, -1], [0, 0]]}`, "≥ 0"},
		{"DepthwiseConv2D", `{"kernel_size": 3, "data_format": "channels_first"}`, "channels_last"},
		{"Conv2DTranspose", `{"filters": 2, "kernel_size": 3, "padding": "same", "output_padding": [1, 1], "strides": 2}`, "valid"},
		{"Clip", `{"min_value": 2, "max_value": 1}`, "min_value ≤ max_value"},
		{"ConstantArithmetic", `{"operation": "power", "constant_shape": [1]}`, "add, subtract, multiply or divide"},
		{"PaddedPooling2D", `{"mode": "max", "pool_size": 2, "strides": 2, "padding": [[2, 0], [0, 0]]}`, "smaller than the pool size"},
	}
	for _, c := range bad {
		_, err := fromJSON(t, c.class, c.config)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v, want one saying %q", c.class, c.config, err, c.want)
		}
	}
	shapes := []struct {
		l     layers.Layer
		input []int
		want  string
	}{
		{layers.Permute([]int{2, 1}), []int{2, 3, 4}, "permute 2 axes"},
		{layers.Cropping2D(2, 2, 0, 0), []int{4, 4, 1}, "leaves nothing"},
		{layers.ConstantArithmetic("add", tensor.New(3), false), []int{2, 4}, "does not broadcast"},
		{layers.DepthwiseConv2D(3, layers.WithDilationRate(3)), []int{6, 6, 1}, "larger than"},
	}
	for _, c := range shapes {
		c.l.SetName("x")
		if _, err := c.l.Build(c.input, tensorRNG(1)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on %v: error %v, want one saying %q", c.l.ClassName(), c.input, err, c.want)
		}
	}
}
