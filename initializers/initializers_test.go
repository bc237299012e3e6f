package initializers

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

func TestComputeFans(t *testing.T) {
	for _, c := range []struct {
		shape       []int
		fanIn, fout float64
	}{
		{[]int{}, 1, 1},
		{[]int{7}, 7, 7},
		{[]int{784, 128}, 784, 128},
		{[]int{5, 5, 1, 6}, 25, 150},
		{[]int{3, 3, 64, 32}, 576, 288},
		{[]int{2, 3, 4, 5, 6}, 120, 144}, // 3-D conv: receptive 2·3·4
		{[]int{3, 4, 5}, 12, 15},         // 1-D conv: receptive 3
	} {
		fi, fo := ComputeFans(c.shape)
		if fi != c.fanIn || fo != c.fout {
			t.Errorf("ComputeFans(%v) = (%v, %v), want (%v, %v)", c.shape, fi, fo, c.fanIn, c.fout)
		}
	}
}

// stats returns the mean, standard deviation and largest |x-center| of d, in float64.
func stats(d []float32, center float64) (mean, std, maxDev float64) {
	for _, v := range d {
		mean += float64(v)
		maxDev = max(maxDev, math.Abs(float64(v)-center))
	}
	mean /= float64(len(d))
	for _, v := range d {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(d))), maxDev
}

// TestStatistics fills large tensors and checks each initializer's mean,
// standard deviation (within 2% of the target) and, for bounded
// distributions, the bound (never exceeded, nearly reached).
func TestStatistics(t *testing.T) {
	type want struct {
		mean, std float64
		bound     float64 // largest allowed |w-mean|; 0 = unbounded
	}
	vs := func(scale float64, mode, dist string) func(fi, fo float64) want {
		return func(fi, fo float64) want {
			n := map[string]float64{"fan_in": fi, "fan_out": fo, "fan_avg": (fi + fo) / 2}[mode]
			s := math.Sqrt(scale / n)
			switch dist {
			case "uniform":
				return want{0, s, math.Sqrt(3) * s}
			case "truncated_normal":
				return want{0, s, 2 * s / truncatedStddev}
			}
			return want{0, s, 0}
		}
	}
	for _, c := range []struct {
		init Initializer
		want func(fi, fo float64) want
	}{
		{GlorotUniform(), vs(1, "fan_avg", "uniform")},
		{GlorotNormal(), vs(1, "fan_avg", "truncated_normal")},
		{HeUniform(), vs(2, "fan_in", "uniform")},
		{HeNormal(), vs(2, "fan_in", "truncated_normal")},
		{LecunUniform(), vs(1, "fan_in", "uniform")},
		{LecunNormal(), vs(1, "fan_in", "truncated_normal")},
		{VarianceScaling(1, "fan_in", "truncated_normal"), vs(1, "fan_in", "truncated_normal")},
		{VarianceScaling(0.5, "fan_out", "untruncated_normal"), vs(0.5, "fan_out", "untruncated_normal")},
		{VarianceScaling(3, "fan_avg", "uniform"), vs(3, "fan_avg", "uniform")},
		{VarianceScaling(2, "fan_out", "normal"), vs(2, "fan_out", "truncated_normal")},
		{RandomNormal(0, 0.05), func(_, _ float64) want { return want{0, 0.05, 0} }},
		{RandomNormal(1.5, 0.2), func(_, _ float64) want { return want{1.5, 0.2, 0} }},
		{TruncatedNormal(0, 0.05), func(_, _ float64) want { return want{0, 0.05 * truncatedStddev, 0.1} }},
		{TruncatedNormal(-1, 0.3), func(_, _ float64) want { return want{-1, 0.3 * truncatedStddev, 0.6} }},
		{RandomUniform(-0.05, 0.05), func(_, _ float64) want { return want{0, 0.1 / math.Sqrt(12), 0.05} }},
		{RandomUniform(1, 3), func(_, _ float64) want { return want{2, 2 / math.Sqrt(12), 1} }},
	} {
		for _, shape := range [][]int{{400, 300}, {3, 3, 64, 64}} {
			name := c.init.Name() + "/" + tensor.ShapeString(shape, false)
			w := c.want(ComputeFans(shape))
			x := tensor.New(shape...)
			c.init.Initialize(x, tensor.NewRNG(1))
			mean, std, maxDev := stats(x.Data(), w.mean)
			if math.Abs(std-w.std) > 0.02*w.std {
				t.Errorf("%s %v: stddev %.6g, want %.6g ± 2%%", name, c.init.Config(), std, w.std)
			}
			if se := w.std / math.Sqrt(float64(x.Len())); math.Abs(mean-w.mean) > 5*se {
				t.Errorf("%s %v: mean %.6g, want %.6g ± %.3g", name, c.init.Config(), mean, w.mean, 5*se)
			}
			if w.bound > 0 {
				// Values are float32: allow the rounding of the bound itself.
				lim := w.bound * (1 + 1e-6)
				if maxDev > lim || maxDev < 0.995*w.bound {
					t.Errorf("%s %v: max |w-mean| = %.8g, want ≤ %.8g and close to it", name, c.init.Config(), maxDev, w.bound)
				}
			}
		}
	}
}

func TestConstants(t *testing.T) {
	for _, c := range []struct {
		init Initializer
		v    float32
	}{{Zeros(), 0}, {Ones(), 1}, {Constant(-2.5), -2.5}} {
		x := tensor.Full(7, 3, 4)
		c.init.Initialize(x, nil)
		for i, v := range x.Data() {
			if v != c.v {
				t.Fatalf("%s: element %d = %v, want %v", c.init.Name(), i, v, c.v)
			}
		}
	}
}

func TestDeterminism(t *testing.T) {
	for _, name := range Names() {
		if !registry.IsBuiltin(name) {
			continue
		}
		init, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := tensor.New(20, 30), tensor.New(20, 30), tensor.New(20, 30)
		init.Initialize(a, tensor.NewRNG(7))
		init.Initialize(b, tensor.NewRNG(7))
		init.Initialize(c, tensor.NewRNG(8))
		if !slices.Equal(a.Data(), b.Data()) {
			t.Errorf("%s: same seed gave different values", name)
		}
		random := name != "Zeros" && name != "Ones" && name != "Constant"
		if random && slices.Equal(a.Data(), c.Data()) {
			t.Errorf("%s: seeds 7 and 8 gave the same values", name)
		}
	}
}

func TestNamesAndGet(t *testing.T) {
	want := []string{"Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
		"LecunNormal", "LecunUniform", "Ones", "RandomNormal", "RandomUniform",
		"TruncatedNormal", "VarianceScaling", "Zeros"}
	var builtin []string
	for _, n := range Names() {
		if registry.IsBuiltin(n) {
			builtin = append(builtin, n)
		}
	}
	if !slices.Equal(builtin, want) {
		t.Fatalf("Names() = %v, want %v", builtin, want)
	}
	for in, name := range map[string]string{
		"glorot_uniform": "GlorotUniform", "GlorotUniform": "GlorotUniform", "GLOROT_UNIFORM": "GlorotUniform",
		"he_normal": "HeNormal", "HeNormal": "HeNormal", "zero": "Zeros", "one": "Ones",
		"normal": "RandomNormal", "uniform": "RandomUniform", "random_normal": "RandomNormal",
		"truncated_normal": "TruncatedNormal", "variance_scaling": "VarianceScaling", " zeros ": "Zeros",
	} {
		init, err := Get(in)
		if err != nil {
			t.Errorf("Get(%q): %v", in, err)
			continue
		}
		if init.Name() != name {
			t.Errorf("Get(%q).Name() = %q, want %q", in, init.Name(), name)
		}
	}
	// Keras 3 defaults, and its get_config keys.
	for name, cfg := range map[string]map[string]any{
		"random_normal":    {"mean": 0.0, "stddev": 0.05, "seed": nil},
		"truncated_normal": {"mean": 0.0, "stddev": 0.05, "seed": nil},
		"random_uniform":   {"minval": -0.05, "maxval": 0.05, "seed": nil},
		"variance_scaling": {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": nil},
		"constant":         {"value": 0.0},
		"glorot_uniform":   {"seed": nil},
		"zeros":            {},
	} {
		init, _ := Get(name)
		if got := init.Config(); !reflect.DeepEqual(got, cfg) {
			t.Errorf("Get(%q).Config() = %v, want %v", name, got, cfg)
		}
	}
	_, err := Get("glorot")
	if err == nil || !strings.Contains(err.Error(), `"glorot"`) || !strings.Contains(err.Error(), "GlorotUniform, HeNormal") {
		t.Errorf("Get(\"glorot\") error = %v, want one naming the input and listing known names", err)
	}
}

// TestRoundTrip rebuilds every initializer from Name and Config, directly and
// through JSON (as a model file stores it), and checks it fills the same values.
func TestRoundTrip(t *testing.T) {
	var inits []Initializer
	for _, name := range Names() {
		if !registry.IsBuiltin(name) {
			continue
		}
		init, _ := Get(name)
		inits = append(inits, init)
	}
	inits = append(inits, Constant(3.25), RandomNormal(1, 2), TruncatedNormal(-1, 0.5),
		RandomUniform(-2, 1), VarianceScaling(0.5, "fan_out", "uniform"),
		VarianceScaling(2, "fan_avg", "untruncated_normal"))
	for _, init := range inits {
		var fromJSON, fromNumbers map[string]any
		js, err := json.Marshal(init.Config())
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &fromJSON); err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber()
		if err := dec.Decode(&fromNumbers); err != nil {
			t.Fatal(err)
		}
		for _, cfg := range []map[string]any{init.Config(), fromJSON, fromNumbers} {
			back, err := FromConfig(init.Name(), cfg)
			if err != nil {
				t.Errorf("FromConfig(%q, %v): %v", init.Name(), cfg, err)
				continue
			}
			if back.Name() != init.Name() || !reflect.DeepEqual(back.Config(), init.Config()) {
				t.Errorf("round trip of %s %v gave %s %v", init.Name(), init.Config(), back.Name(), back.Config())
			}
			a, b := tensor.New(3, 3, 4, 5), tensor.New(3, 3, 4, 5)
			init.Initialize(a, tensor.NewRNG(3))
			back.Initialize(b, tensor.NewRNG(3))
			if !slices.Equal(a.Data(), b.Data()) {
				t.Errorf("round trip of %s %v fills different values", init.Name(), init.Config())
			}
		}
	}
	// Keras configs carry a seed; it is accepted and ignored.
	if _, err := FromConfig("glorot_uniform", map[string]any{"seed": json.Number("7")}); err != nil {
		t.Errorf("FromConfig with a seed key: %v", err)
	}
	if _, err := FromConfig("random_normal", map[string]any{"mean": 0, "stddev": int64(1), "seed": 42}); err != nil {
		t.Errorf("FromConfig with integer values: %v", err)
	}
}

func TestFromConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  map[string]any
		msg  string
	}{
		{"nope", nil, "unknown initializer"},
		{"random_normal", map[string]any{"std": 1.0}, `RandomNormal config: unknown key(s) std; accepted: mean, seed, stddev`},
		{"glorot_uniform", map[string]any{"scale": 1.0}, "GlorotUniform config: unknown key(s) scale; accepted: seed"},
		{"zeros", map[string]any{"seed": nil}, "Zeros config: unknown key(s) seed"},
		{"random_normal", map[string]any{"stddev": "big"}, `"stddev" must be a number, got "big"`},
		{"HeNormal", map[string]any{"seed": 1.5}, `"seed" must be null or an integer, got 1.5`},
		{"random_normal", map[string]any{"stddev": -1.0}, "stddev ≥ 0"},
		{"random_uniform", map[string]any{"minval": 1, "maxval": 0}, "minval ≤ maxval"},
		{"constant", map[string]any{"value": math.NaN()}, "must be finite"},
		{"variance_scaling", map[string]any{"scale": 0.0}, "scale must be a positive number"},
		{"variance_scaling", map[string]any{"mode": "fan_sum"}, `mode must be "fan_in", "fan_out" or "fan_avg", got "fan_sum"`},
		{"variance_scaling", map[string]any{"distribution": "cauchy"}, `got "cauchy"`},
		{"variance_scaling", map[string]any{"mode": 1}, `"mode" must be a string`},
	} {
		init, err := FromConfig(c.name, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "initializers: ") || init != nil {
			t.Errorf("FromConfig(%q, %v) = %v, %v; want nil and an error containing %q", c.name, c.cfg, init, err, c.msg)
		}
	}
}

func TestConstructorPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"VarianceScaling scale":        func() { VarianceScaling(-1, "fan_in", "uniform") },
		"VarianceScaling mode":         func() { VarianceScaling(1, "in", "uniform") },
		"VarianceScaling distribution": func() { VarianceScaling(1, "fan_in", "gauss") },
		"RandomNormal":                 func() { RandomNormal(0, -1) },
		"TruncatedNormal":              func() { TruncatedNormal(math.Inf(1), 1) },
		"RandomUniform":                func() { RandomUniform(1, -1) },
		"Constant":                     func() { Constant(math.NaN()) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "initializers: ") {
					t.Errorf("%s: recovered %v, want a panic with an \"initializers: \" message", name, r)
				}
			}()
			f()
		}()
	}
}

func TestConfigIsACopy(t *testing.T) {
	init := RandomNormal(0, 1)
	init.Config()["stddev"] = 9.0
	if got := init.Config()["stddev"]; got != 1.0 {
		t.Errorf("changing a returned Config changed the initializer: stddev %v", got)
	}
}

// Keras 3's serialized initializers (a layer's kernel_initializer, as
// model.to_json() writes it) parse, and Serialize writes the same form.
func TestKerasSerialized(t *testing.T) {
	for _, c := range []struct {
		js   string
		name string
		cfg  map[string]any
	}{
		{`{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}`, "GlorotUniform", map[string]any{"seed": nil}},
		{`{"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}`, "Zeros", map[string]any{}},
		{`{"module": "keras.initializers", "class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal", "seed": 3}, "registered_name": null}`,
			"VarianceScaling", map[string]any{"scale": 2.0, "mode": "fan_out", "distribution": "untruncated_normal", "seed": nil}},
		{`{"module": "keras.initializers", "class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.009999999776482582, "seed": null}, "registered_name": null}`,
			"RandomNormal", map[string]any{"mean": 0.0, "stddev": 0.009999999776482582, "seed": nil}},
		{`{"module": "keras.initializers", "class_name": "Constant", "config": {"value": 0.0}, "registered_name": null}`, "Constant", map[string]any{"value": 0.0}},
	} {
		var ref struct {
			ClassName string         `json:"class_name"`
			Config    map[string]any `json:"config"`
		}
		dec := json.NewDecoder(strings.NewReader(c.js))
		dec.UseNumber()
		if err := dec.Decode(&ref); err != nil {
			t.Fatal(err)
		}
		init, err := FromConfig(ref.ClassName, ref.Config)
		if err != nil {
			t.Errorf("%s: %v", c.js, err)
			continue
		}
		want := map[string]any{"module": "keras.initializers", "class_name": c.name, "config": c.cfg, "registered_name": nil}
		if got := Serialize(init); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Serialize = %v, want %v", c.js, got, want)
		}
	}
}

// arange is a user's initializer: 0, 1, 2, ... times step.
type arange struct{ step float64 }

func (a arange) Initialize(t *tensor.Tensor, _ *rand.Rand) {
	for i := range t.Data() {
		t.Data()[i] = float32(float64(i) * a.step)
	}
}
func (a arange) Name() string           { return "Arange" }
func (a arange) Config() map[string]any { return map[string]any{"step": a.step} }

var registerOnce sync.Once

// A user's initializer goes through the same registry as Keras's.
func TestRegister(t *testing.T) {
	registerOnce.Do(func() {
		Register("Arange", func(c map[string]any) (Initializer, error) {
			s, _ := c["step"].(float64)
			return arange{s}, nil
		})
	})
	init, err := FromConfig("Arange", arange{0.5}.Config())
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(3)
	init.Initialize(x, nil)
	if !slices.Equal(x.Data(), []float32{0, 0.5, 1}) {
		t.Errorf("Arange(0.5) filled %v", x.Data())
	}
	if s := Serialize(init); s["module"] != nil || s["registered_name"] != "Arange" {
		t.Errorf("Serialize = %v, want no Keras module", s)
	}
}
