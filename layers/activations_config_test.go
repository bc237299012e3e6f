package layers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/regularizers"
)

// The config round trip of ReLU, PReLU, Softmax and LayerNormalization, as
// registry_test.go's TestConfigRoundTrip checks the older layers:
// Config() → JSON → FromConfig → Config() gives the same JSON, with either
// of the decoder's number forms, and the same class.
func TestActivationLayersConfigRoundTrip(t *testing.T) {
	cases := []layers.Layer{
		layers.ReLU(),
		layers.ReLU(layers.WithMaxValue(6), layers.WithName("relu6")),
		layers.ReLU(layers.WithNegativeSlope(0.25), layers.WithThreshold(0.5)),
		layers.PReLU(),
		layers.PReLU(layers.WithSharedAxes(1, 2), layers.WithName("prelu"), layers.WithAlphaInitializer(initializers.Constant(0.25)),
			layers.WithAlphaRegularizer(regularizers.L2(1e-4)), layers.WithAlphaConstraint(constraints.NonNeg())),
		layers.PReLU(layers.WithSharedAxes(2)),
		layers.Softmax(),
		layers.Softmax(layers.WithAxis(1), layers.WithName("over_rows")),
		layers.Softmax(layers.WithAxes(-2, -1)),
		layers.Softmax(layers.WithAxes(-1)),
		layers.LayerNormalization(),
		layers.LayerNormalization(layers.WithAxes(1, 2, 3), layers.WithEpsilon(1e-5), layers.WithName("ln"), layers.WithCenter(false),
			layers.WithGammaInitializer(initializers.Constant(0.5)), layers.WithGammaRegularizer(regularizers.L2(0.01)),
			layers.WithGammaConstraint(constraints.NonNeg())),
		layers.LayerNormalization(layers.WithRMSScaling(true), layers.WithAxis(2), layers.WithBetaInitializer(initializers.Ones()),
			layers.WithBetaRegularizer(regularizers.L1(0.5)), layers.WithBetaConstraint(constraints.MaxNorm(3))),
		layers.LayerNormalization(layers.WithScale(false), layers.WithAxes(-1)),
	}
	layers.CheckConfigRoundTrip(t, cases...)
}

// TestActivationLayersKerasConfigs reads configs as Keras 3's get_config
// writes them (with its bookkeeping keys), and refuses bad ones with a
// message that names the key.
func TestActivationLayersKerasConfigs(t *testing.T) {
	dtype := `"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}`
	zeros := `{"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}`
	cases := []struct {
		class, cfg string
		// config is a part of the JSON of the layer's Config (all of it
		// when it starts with "{"); err a part of the error expected instead.
		config, err string
	}{
		{"ReLU", `{"name": "re_lu", ` + dtype + `, "max_value": null, "negative_slope": 0.0, "threshold": 0.0}`,
			`{"max_value":null,"name":"re_lu","negative_slope":0,"threshold":0}`, ""},
		{"ReLU", `{"name": "re_lu_1", "max_value": 6.0}`, `{"max_value":6,"name":"re_lu_1","negative_slope":0,"threshold":0}`, ""},
		{"ReLU", `{"name": "r", "max_value": -6.0}`, "", "max_value must be a finite number ≥ 0, got -6"},
		{"ReLU", `{"name": "r", "max_value": "6"}`, "", `"max_value" must be a number`},
		{"ReLU", `{"name": "r", "alpha": 0.1}`, "", "unknown key(s) alpha"},
		{"PReLU", `{"name": "p_re_lu", ` + dtype + `, "alpha_initializer": ` + zeros + `, "alpha_regularizer": null, "alpha_constraint": null, "shared_axes": [1, 2]}`,
			`{"alpha_constraint":null,"alpha_initializer":{"class_name":"Zeros","config":{},"module":"keras.initializers","registered_name":null},"alpha_regularizer":null,"name":"p_re_lu","shared_axes":[1,2]}`, ""},
		{"PReLU", `{"name": "p", "shared_axes": 3}`, `"shared_axes":[3]`, ""},
		{"PReLU", `{"name": "p", "shared_axes": null}`, `"shared_axes":null`, ""},
		{"PReLU", `{"name": "p", "shared_axes": [1, "2"]}`, "", `"shared_axes" must be null, an integer or a list of integers, got [1,"2"]`},
		{"PReLU", `{"name": "p", "shared_axes": [0]}`, "", "shared axes count from 1"},
		{"Softmax", `{"name": "softmax", ` + dtype + `, "axis": -1}`, `{"axis":-1,"name":"softmax"}`, ""},
		{"Softmax", `{"name": "softmax_1", "axis": [2, 3]}`, `{"axis":[2,3],"name":"softmax_1"}`, ""},
		{"Softmax", `{"name": "s"}`, `{"axis":-1,"name":"s"}`, ""},
		{"Softmax", `{"name": "s", "axis": null}`, "", `"axis" must be an integer`},
		{"Softmax", `{"name": "s", "axis": []}`, "", "WithAxes with no axis"},
		{"Softmax", `{"name": "s", "axis": [1.5]}`, "", `"axis" must be null, an integer or a list of integers, got [1.5]`},
		// As a built Keras layer writes it: axis turned into a list.
		{"LayerNormalization", `{"name": "layer_normalization", ` + dtype + `, "axis": [-1], "epsilon": 0.001, "center": true, "scale": true,
			"rms_scaling": false, "beta_initializer": ` + zeros + `, "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null},
			"beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null}`,
			`{"axis":[-1],"beta_constraint":null,"beta_initializer":{"class_name":"Zeros","config":{},"module":"keras.initializers","registered_name":null},` +
				`"beta_regularizer":null,"center":true,"epsilon":0.001,"gamma_constraint":null,` +
				`"gamma_initializer":{"class_name":"Ones","config":{},"module":"keras.initializers","registered_name":null},` +
				`"gamma_regularizer":null,"name":"layer_normalization","rms_scaling":false,"scale":true}`, ""},
		{"LayerNormalization", `{"name": "ln", "axis": 3, "epsilon": 1e-6}`, `"axis":3,`, ""},
		{"LayerNormalization", `{"name": "ln", "epsilon": 0}`, "", "epsilon must be a finite number > 0, got 0"},
		{"LayerNormalization", `{"name": "ln", "momentum": 0.99}`, "", "unknown key(s) momentum"},
		{"LayerNormalization", `{"name": "ln", "rms_scaling": 1}`, "", `"rms_scaling" must be true or false`},
	}
	for _, c := range cases {
		l, err := fromJSON(t, c.class, c.cfg)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s %s: error %v, want one containing %q", c.class, c.cfg, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", c.class, c.cfg, err)
			continue
		}
		got, _ := json.Marshal(l.Config())
		if whole := strings.HasPrefix(c.config, "{"); whole && string(got) != c.config || !whole && !strings.Contains(string(got), c.config) {
			t.Errorf("%s %s read as %s, want %s", c.class, c.cfg, got, c.config)
		}
	}
}
