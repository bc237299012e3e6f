package schedules

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// roundTrip sends s's config through JSON (numbers as json.Number, as a
// model file is read) and FromConfig, and returns the rebuilt schedule.
func roundTrip(t *testing.T, s Schedule) Schedule {
	t.Helper()
	b, err := json.Marshal(Serialize(s))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		ClassName string         `json:"class_name"`
		Config    map[string]any `json:"config"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&ref); err != nil {
		t.Fatal(err)
	}
	back, err := FromConfig(ref.ClassName, ref.Config)
	if err != nil {
		t.Fatalf("%s: FromConfig(%s): %v", s.Name(), b, err)
	}
	return back
}

// Every registered class survives Config → JSON → FromConfig → Config, and
// the rebuilt schedule gives the same rates.
func TestRoundTrip(t *testing.T) {
	must := func(s Schedule, err error) Schedule {
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []Schedule{
		must(NewExponentialDecay(0.1, 7, 0.5)),
		must(NewExponentialDecay(0.02, 100, 0.96, Staircase(true))),
		must(NewPiecewiseConstantDecay([]int64{10, 20}, []float64{1, 0.5, 0})),
		must(NewCosineDecay(0.1, 50)),
		must(NewCosineDecay(0, 50, Alpha(0.1), WarmupTarget(0.2), WarmupSteps(5))),
		must(NewCosineDecay(1, 50, WarmupTarget(0), WarmupSteps(5))),
	}
	covered := map[string]bool{}
	for _, s := range cases {
		covered[s.Name()] = true
		back := roundTrip(t, s)
		if !reflect.DeepEqual(back.Config(), s.Config()) {
			t.Errorf("%s: config %v came back as %v", s.Name(), s.Config(), back.Config())
		}
		for _, step := range []int64{0, 3, 6, 30, 80} {
			if back.At(step) != s.At(step) {
				t.Errorf("%s: At(%d) = %v after the round trip, %v before", s.Name(), step, back.At(step), s.At(step))
			}
		}
	}
	for _, n := range Names() {
		if registry.IsBuiltin(n) && !covered[n] {
			t.Errorf("registered schedule %s has no round-trip case", n)
		}
	}
}

// Configs as Keras 3 writes them (get_config, then json.dumps) parse and
// give Keras's rates.
func TestKerasConfigs(t *testing.T) {
	cases := []struct {
		class, config string
		step          int64
		want          float64
	}{
		{"ExponentialDecay", `{"initial_learning_rate": 0.1, "decay_steps": 1000, "decay_rate": 0.96, "staircase": true, "name": "ExponentialDecay"}`, 2500, 0.1 * 0.96 * 0.96},
		{"PiecewiseConstantDecay", `{"boundaries": [100000, 110000], "values": [1.0, 0.5, 0.1], "name": "PiecewiseConstant"}`, 100001, 0.5},
		{"CosineDecay", `{"initial_learning_rate": 0.001, "decay_steps": 1000, "alpha": 0.0, "name": "CosineDecay", "warmup_target": null, "warmup_steps": 0}`, 500, 0.0005},
		{"CosineDecay", `{"initial_learning_rate": 0.0, "decay_steps": 1000, "alpha": 0.0, "name": "CosineDecay", "warmup_target": 0.1, "warmup_steps": 100}`, 50, 0.05},
		{"cosine_decay", `{"initial_learning_rate": 1, "decay_steps": 10.0}`, 10, 0},
	}
	for _, c := range cases {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(c.config), &cfg); err != nil {
			t.Fatal(err)
		}
		s, err := FromConfig(c.class, cfg)
		if err != nil {
			t.Errorf("%s %s: %v", c.class, c.config, err)
			continue
		}
		if got := s.At(c.step); abs(got-c.want) > 1e-15 {
			t.Errorf("%s %s: At(%d) = %v, want %v", c.class, c.config, c.step, got, c.want)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestFromConfigErrors(t *testing.T) {
	cases := []struct {
		class, config, want string
	}{
		{"StepDecay", `{}`, `unknown learning-rate schedule "StepDecay"; known: CosineDecay, ExponentialDecay, `},
		{"ExponentialDecay", `{"initial_learning_rate": 0.1, "decay_rate": 0.5}`, `ExponentialDecay config: missing "decay_steps"`},
		{"ExponentialDecay", `{"initial_learning_rate": 0.1, "decay_steps": 1.5, "decay_rate": 0.5}`, `"decay_steps" must be an integer, got 1.5`},
		{"ExponentialDecay", `{"initial_learning_rate": "0.1", "decay_steps": 1, "decay_rate": 0.5}`, `"initial_learning_rate" must be a number, got "0.1"`},
		{"ExponentialDecay", `{"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5, "decay": 1}`, `unknown key(s) decay; accepted: decay_rate, decay_steps, initial_learning_rate, name, staircase`},
		{"ExponentialDecay", `{"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": -0.5}`, `decay_rate must be a finite number > 0`},
		{"PiecewiseConstantDecay", `{"boundaries": 5, "values": [1, 2]}`, `"boundaries" must be a list of integers`},
		{"PiecewiseConstantDecay", `{"boundaries": [5], "values": [1, "x"]}`, `"values" must be a list of numbers`},
		{"CosineDecay", `{"initial_learning_rate": 0.1, "decay_steps": 10, "warmup_steps": null}`, `"warmup_steps" must be an integer, got null`},
		{"CosineDecay", `{"initial_learning_rate": 0.1, "decay_steps": 10, "name": 3}`, `"name" must be a string, got 3`},
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

// halving is a user's schedule: the rate halves every step.
type halving struct{ from float64 }

func (h halving) At(step int64) float64 { return h.from / float64(int64(1)<<min(step, 62)) }
func (h halving) Name() string          { return "Halving" }
func (h halving) Config() map[string]any {
	return map[string]any{"from": h.from}
}

// A user's schedule goes through the same registry: registered, it comes
// back from its config; its serialized form names no Keras module.
var registerOnce sync.Once

func TestRegister(t *testing.T) {
	registerOnce.Do(func() {
		Register("Halving", func(config map[string]any) (Schedule, error) {
			f, _ := config["from"].(float64)
			return halving{f}, nil
		})
	})
	s := Serialize(halving{0.8})
	if s["module"] != nil || s["registered_name"] != "Halving" {
		t.Errorf("Serialize = %v, want module null and registered_name Halving", s)
	}
	back, err := FromConfig("Halving", map[string]any{"from": 0.8})
	if err != nil || back.At(2) != 0.2 {
		t.Fatalf("FromConfig(Halving) = %v, %v; want a schedule at 0.2 after 2 steps", back, err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "Register called twice") {
			t.Errorf("second Register: recovered %v", r)
		}
	}()
	Register("halving", func(map[string]any) (Schedule, error) { return nil, nil })
}
