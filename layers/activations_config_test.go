package layers_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
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
	}
	for _, l := range cases {
		want, err := json.Marshal(l.Config())
		if err != nil {
			t.Fatal(err)
		}
		for _, useNumber := range []bool{false, true} {
			back, err := layers.FromConfig(l.ClassName(), decode(t, l.Config(), useNumber))
			if err != nil {
				t.Fatalf("%s %s: %v", l.ClassName(), want, err)
			}
			if back.ClassName() != l.ClassName() {
				t.Errorf("%s came back as %s", l.ClassName(), back.ClassName())
			}
			got, _ := json.Marshal(back.Config())
			if string(got) != string(want) {
				t.Errorf("%s round trip (json.Number %v):\n got %s\nwant %s", l.ClassName(), useNumber, got, want)
			}
		}
	}
}

// TestActivationLayersKerasConfigs reads configs as Keras 3's get_config
// writes them (with its bookkeeping keys), and refuses bad ones with a
// message that names the key.
func TestActivationLayersKerasConfigs(t *testing.T) {
	dtype := `"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}`
	cases := []struct {
		class, cfg, want string // want: the JSON of the layer's Config, or the error
	}{
		{"ReLU", `{"name": "re_lu", ` + dtype + `, "max_value": null, "negative_slope": 0.0, "threshold": 0.0}`,
			`{"max_value":null,"name":"re_lu","negative_slope":0,"threshold":0}`},
		{"ReLU", `{"name": "re_lu_1", "max_value": 6.0}`, `{"max_value":6,"name":"re_lu_1","negative_slope":0,"threshold":0}`},
		{"ReLU", `{"name": "r", "max_value": -6.0}`, "max_value must be a finite number ≥ 0, got -6"},
		{"ReLU", `{"name": "r", "max_value": "6"}`, `"max_value" must be a number`},
		{"ReLU", `{"name": "r", "alpha": 0.1}`, "unknown key(s) alpha"},
	}
	for _, c := range cases {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(c.cfg), &cfg); err != nil {
			t.Fatal(err)
		}
		l, err := layers.FromConfig(c.class, cfg)
		if !strings.HasPrefix(c.want, "{") {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %s: error %v, want one containing %q", c.class, c.cfg, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", c.class, c.cfg, err)
			continue
		}
		if got, _ := json.Marshal(l.Config()); string(got) != c.want {
			t.Errorf("%s %s read as %s, want %s", c.class, c.cfg, got, c.want)
		}
	}
}
