package layers_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

// fromJSON reads a layer config given as JSON text, as Keras writes it,
// through FromConfig.
func fromJSON(t *testing.T, class, config string) (layers.Layer, error) {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(config), &cfg); err != nil {
		t.Fatal(err)
	}
	return layers.FromConfig(class, cfg)
}

func TestConfigRoundTrip(t *testing.T) {
	must := func(i initializers.Initializer, err error) initializers.Initializer {
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	named := func(l layers.Layer, name string) layers.Layer { l.SetName(name); return l }
	cases := []layers.Layer{
		layers.Input(28, 28),
		named(layers.Input(28, 28, 1), "pixels"),
		layers.Flatten(),
		layers.Flatten(layers.WithName("flat")),
		layers.Dense(50, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithName("out"), layers.WithActivation("softmax"), layers.WithUseBias(false),
			layers.WithKernelInitializer(must(initializers.FromConfig("variance_scaling", map[string]any{"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}))),
			layers.WithKernelRegularizer(regularizers.L1L2(0.001, 0.25))),
		layers.Dense(3, layers.WithBiasInitializer(must(initializers.FromConfig("constant", map[string]any{"value": 0.5}))),
			layers.WithBiasRegularizer(regularizers.L2(1e-4)), layers.WithKernelRegularizer(regularizers.L1(0.3))),
		layers.Dense(4, layers.WithKernelConstraint(constraints.MaxNorm(2)), layers.WithBiasConstraint(constraints.NonNeg())),
		layers.Conv2D(8, 3, layers.WithKernelConstraint(constraints.MinMaxNorm(0.5, 1, 0.5, 0, 1, 2)), layers.WithBiasConstraint(constraints.UnitNorm())),
		layers.Activation("sigmoid"),
		layers.Activation("tanh", layers.WithName("squash")),
		layers.Add(),
		layers.Subtract(layers.WithName("diff")),
		layers.Multiply(),
		layers.Average(),
		layers.Maximum(),
		layers.Minimum(layers.WithName("low")),
		layers.Concatenate(),
		layers.Concatenate(layers.WithAxis(1), layers.WithName("cat")),
		layers.Concatenate(layers.WithAxis(-2)),
	}
	layers.CheckConfigRoundTrip(t, cases...)
}

// TestRebuiltDenseBehaves checks that the options read back are the ones in
// force, not just echoed: the same seed gives the same weights, and the
// regularizer is attached.
func TestRebuiltDenseBehaves(t *testing.T) {
	orig := layers.Dense(4, layers.WithKernelInitializer(initializers.HeNormal()), layers.WithKernelRegularizer(regularizers.L2(0.5)), layers.WithUseBias(false))
	back, err := layers.FromConfig("Dense", layers.DecodeConfig(t, orig.Config(), false))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []layers.Layer{orig, back} {
		if _, err := l.Build([]int{3}, tensorRNG(7)); err != nil {
			t.Fatal(err)
		}
	}
	po, pb := orig.Params(), back.Params()
	if len(pb) != 1 || len(po) != 1 {
		t.Fatalf("use_bias false: %d and %d params, want 1", len(po), len(pb))
	}
	for i, v := range po[0].Value.Data() {
		if pb[0].Value.Data()[i] != v {
			t.Fatalf("kernel[%d] = %v, want %v (same seed)", i, pb[0].Value.Data()[i], v)
		}
	}
	if pb[0].Regularizer == nil || pb[0].Regularizer.Penalty([]float32{2}) != 0.5*4 {
		t.Errorf("kernel regularizer not L2(0.5): %v", pb[0].Regularizer)
	}
}

// TestKerasConfig reads a Dense config as Keras 3's get_config writes it.
func TestKerasConfig(t *testing.T) {
	keras := `{"name": "dense_1", "trainable": true,
		"dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
		"units": 10, "activation": "softmax", "use_bias": true,
		"kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
		"bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
		"kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null},
		"bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}`
	l, err := fromJSON(t, "Dense", keras)
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config()
	if l.Name() != "dense_1" || c["units"] != 10 || c["activation"] != "softmax" {
		t.Errorf("config read as %v", c)
	}
	if r, _ := json.Marshal(c["kernel_regularizer"]); string(r) != `{"class_name":"L2","config":{"l2":0.01},"module":"keras.regularizers","registered_name":null}` {
		t.Errorf("kernel_regularizer = %s", r)
	}
}

func TestFromConfigErrors(t *testing.T) {
	cases := []struct {
		class string
		cfg   string
		want  string
	}{
		{"Conv3D", `{}`, `layers: unknown layer class "Conv3D"; known: Activation,`},
		{"Dense", `{"name": "d"}`, `layers: Dense config: missing "units"`},
		{"Dense", `{"units": 2.5}`, `"units" must be an integer, got 2.5`},
		{"Dense", `{"units": "ten"}`, `"units" must be an integer, got "ten"`},
		{"Dense", `{"units": 0}`, `Dense needs a positive number of units, got 0`},
		{"Dense", `{"units": 3, "activation": "swishy"}`, `swishy`},
		{"Dense", `{"units": 3, "use_bias": 1}`, `"use_bias" must be true or false, got 1`},
		{"Dense", `{"units": 3, "unit": 4}`, `unknown key(s) unit; accepted:`},
		{"Dense", `{"units": 3, "trainable": false}`, `"trainable" = false is not supported by goras (only true)`},
		{"Dense", `{"units": 3, "dtype": "float16"}`, `"dtype" = "float16" is not supported by goras (float32 or mixed_bfloat16)`},
		{"Dense", `{"units": 3, "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": -1}}}`, `"kernel_constraint": constraints: MaxNorm: max_value must be a finite number >= 0, got -1`},
		{"Dense", `{"units": 3, "bias_constraint": {"class_name": "Clip"}}`, `"bias_constraint": constraints: unknown constraint "Clip"`},
		{"Conv2D", `{"filters": 3, "kernel_size": 3, "kernel_constraint": 2}`, `"kernel_constraint" must be null, a constraint name or {"class_name": ..., "config": {...}}, got 2`},
		{"Dense", `{"units": 3, "kernel_initializer": {"class_name": "glorot_uniform", "config": {"scale": 2}}}`, `"kernel_initializer": initializers:`},
		{"Dense", `{"units": 3, "kernel_initializer": 5}`, `"kernel_initializer" must be an initializer name or`},
		{"Dense", `{"units": 3, "kernel_regularizer": {"class_name": "l3"}}`, `"kernel_regularizer": regularizers: unknown regularizer "l3"`},
		{"Dense", `{"units": 3, "kernel_regularizer": {"class_name": "l2", "config": {"l2": -1}}}`, `"kernel_regularizer": regularizers:`},
		{"InputLayer", `{"name": "in"}`, `InputLayer config: missing "batch_shape"`},
		{"InputLayer", `{"batch_shape": [null]}`, `"batch_shape" must be [null, d1, d2, ...]`},
		{"InputLayer", `{"batch_shape": [null, 28, "x"]}`, `with integer sizes`},
		{"InputLayer", `{"batch_shape": [null, 28, 0]}`, `has a dimension ≤ 0`},
		{"InputLayer", `{"batch_shape": [null, 4], "sparse": true}`, `"sparse" = true is not supported`},
		{"Flatten", `{"data_format": "channels_first"}`, `"data_format" = "channels_first" is not supported by goras (only "channels_last")`},
		{"Activation", `{"name": "a"}`, `Activation config: missing "activation"`},
		{"Activation", `{"activation": "nope"}`, `nope`},
		{"Add", `{"name": "a", "axis": -1}`, `layers: Add config: unknown key(s) axis`},
		{"Dense", `{"units": 3, "dtype": {"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}}`, `"dtype" = {"class_name":"DTypePolicy","config":{"name":"mixed_float16"}} is not supported by goras (float32 or mixed_bfloat16)`},
		{"Dense", `{"units": 3, "dtype": {"class_name": "DTypePolicy"}}`, `is not supported by goras (float32 or mixed_bfloat16)`},
		{"Maximum", `{"dtype": "float64"}`, `"dtype" = "float64" is not supported by goras (float32 or mixed_bfloat16)`},
		{"Concatenate", `{"axis": 0}`, `Concatenate cannot join along axis 0, the batch axis`},
		{"Concatenate", `{"axis": "last"}`, `"axis" must be an integer, got "last"`},
	}
	for _, c := range cases {
		l, err := fromJSON(t, c.class, c.cfg)
		if err == nil {
			t.Errorf("%s %s accepted: %v", c.class, c.cfg, l.Config())
			continue
		}
		if !strings.HasPrefix(err.Error(), "layers: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s:\n error %q\n want it to contain %q", c.class, c.cfg, err, c.want)
		}
	}
}

func TestKeras2InputShape(t *testing.T) {
	l, err := layers.FromConfig("InputLayer", map[string]any{"batch_input_shape": []any{nil, 28.0, 28.0}, "name": "input_1"})
	if err != nil {
		t.Fatal(err)
	}
	if s := l.(*layers.InputLayer).Shape(); len(s) != 2 || s[0] != 28 || s[1] != 28 || l.Name() != "input_1" {
		t.Errorf("got %v %q", s, l.Name())
	}
}

func TestRegisterRejectsDuplicates(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "layers: Register called twice for Dense") {
			t.Errorf("panic %v", r)
		}
	}()
	layers.Register("Dense", func(map[string]any) (layers.Layer, error) { return nil, nil })
}

func tensorRNG(seed uint64) *rand.Rand { return tensor.NewRNG(seed) }
