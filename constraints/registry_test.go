package constraints

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// Every registered constraint survives Serialize → JSON → FromConfig →
// Config, and applies the same afterwards.
func TestRoundTrip(t *testing.T) {
	cases := []Constraint{MaxNorm(2), MaxNorm(0, 0, 1, 2), MaxNorm(3.5, -1), MinMaxNorm(0, 1, 1),
		MinMaxNorm(0.5, 0.5, 0, 1), NonNeg(), UnitNorm(), UnitNorm(0, 1)}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.Name()] = true
		js, err := json.Marshal(Serialize(c))
		if err != nil {
			t.Fatal(err)
		}
		var ref struct {
			Module    string         `json:"module"`
			ClassName string         `json:"class_name"`
			Config    map[string]any `json:"config"`
		}
		d := json.NewDecoder(strings.NewReader(string(js)))
		d.UseNumber()
		if err := d.Decode(&ref); err != nil {
			t.Fatal(err)
		}
		back, err := FromConfig(ref.ClassName, ref.Config)
		if err != nil {
			t.Errorf("%s: %v", js, err)
			continue
		}
		if ref.Module != "keras.constraints" || !reflect.DeepEqual(back.Config(), c.Config()) || back.Name() != c.Name() {
			t.Errorf("%s came back as %s %v", js, back.Name(), back.Config())
		}
		a, b := fill(3*3*2*4), fill(3*3*2*4)
		c.Apply(a, []int{3, 3, 2, 4})
		back.Apply(b, []int{3, 3, 2, 4})
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the rebuilt constraint applies differently", js)
		}
	}
	for _, n := range Names() {
		if registry.IsBuiltin(n) && !covered[n] {
			t.Errorf("registered constraint %s has no round-trip case", n)
		}
	}
}

// Keras 3's get_config output, serialized as a layer config holds it.
func TestKerasConfigs(t *testing.T) {
	cases := []struct {
		class, config string
		want          map[string]any
	}{
		{"MaxNorm", `{"max_value": 2, "axis": 0}`, map[string]any{"max_value": 2.0, "axis": 0}},
		{"MaxNorm", `{"max_value": 3.0, "axis": [0, 1, 2]}`, map[string]any{"max_value": 3.0, "axis": []int{0, 1, 2}}},
		{"MinMaxNorm", `{"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}`, map[string]any{"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}},
		{"NonNeg", `{}`, map[string]any{}},
		{"UnitNorm", `{"axis": -1}`, map[string]any{"axis": -1}},
		{"max_norm", `{}`, map[string]any{"max_value": 2.0, "axis": 0}},
		{"unit_norm", `{"axis": [1]}`, map[string]any{"axis": 1}},
	}
	for _, c := range cases {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(c.config), &cfg); err != nil {
			t.Fatal(err)
		}
		k, err := FromConfig(c.class, cfg)
		if err != nil {
			t.Errorf("%s %s: %v", c.class, c.config, err)
			continue
		}
		if !reflect.DeepEqual(k.Config(), c.want) {
			t.Errorf("%s %s: Config = %#v, want %#v", c.class, c.config, k.Config(), c.want)
		}
	}
	if c, err := Get("NonNeg"); err != nil || c.Name() != "NonNeg" {
		t.Errorf("Get(NonNeg) = %v, %v", c, err)
	}
}

func TestFromConfigErrors(t *testing.T) {
	cases := []struct{ class, config, want string }{
		{"Clip", `{}`, `constraints: unknown constraint "Clip"; known: MaxNorm, MinMaxNorm, NonNeg, UnitNorm`},
		{"MaxNorm", `{"max_value": "2"}`, `constraints: MaxNorm config: "max_value" must be a number, got "2"`},
		{"MaxNorm", `{"max_value": -2}`, `max_value must be a finite number >= 0, got -2`},
		{"MaxNorm", `{"axis": 0.5}`, `"axis" must be an integer or a list of integers, got 0.5`},
		{"MaxNorm", `{"axis": []}`, `"axis" must be an integer or a non-empty list`},
		{"MaxNorm", `{"axis": [0, 0]}`, `axis 0 is given twice`},
		{"MinMaxNorm", `{"rate": 2}`, `rate must be in [0, 1], got 2`},
		{"MinMaxNorm", `{"min_value": 3}`, `want finite 0 <= min_value <= max_value, got min_value 3, max_value 1`},
		{"NonNeg", `{"axis": 0}`, `constraints: NonNeg config: unknown key(s) axis`},
		{"UnitNorm", `{"max_value": 1}`, `unknown key(s) max_value; accepted: axis`},
	}
	for _, c := range cases {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(c.config), &cfg); err != nil {
			t.Fatal(err)
		}
		_, err := FromConfig(c.class, cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromConfig(%s, %s): error %v, want one containing %q", c.class, c.config, err, c.want)
		}
	}
}

// clipValue is a user's constraint: every weight clipped to [-v, v].
type clipValue struct{ v float32 }

func (c clipValue) Apply(w []float32, _ []int) {
	for i := range w {
		w[i] = min(max(w[i], -c.v), c.v)
	}
}
func (c clipValue) Name() string           { return "ClipValue" }
func (c clipValue) Config() map[string]any { return map[string]any{"value": float64(c.v)} }

var registerOnce sync.Once

func TestRegister(t *testing.T) {
	registerOnce.Do(func() {
		Register("ClipValue", func(c map[string]any) (Constraint, error) {
			v, _ := c["value"].(float64)
			return clipValue{float32(v)}, nil
		})
	})
	c, err := FromConfig("ClipValue", map[string]any{"value": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	w := []float32{-2, 0.25, 3}
	c.Apply(w, []int{3})
	if !reflect.DeepEqual(w, []float32{-0.5, 0.25, 0.5}) {
		t.Errorf("ClipValue(0.5) gave %v", w)
	}
	if s := Serialize(c); s["module"] != nil || s["registered_name"] != "ClipValue" {
		t.Errorf("Serialize = %v, want no Keras module", s)
	}
}
