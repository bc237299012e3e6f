package initializers

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
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
		random := name != "zeros" && name != "ones" && name != "constant"
		if random && slices.Equal(a.Data(), c.Data()) {
			t.Errorf("%s: seeds 7 and 8 gave the same values", name)
		}
	}
}

func TestNamesAndGet(t *testing.T) {
	want := []string{"constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
		"lecun_normal", "lecun_uniform", "ones", "random_normal", "random_uniform",
		"truncated_normal", "variance_scaling", "zeros"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for in, name := range map[string]string{
		"glorot_uniform": "glorot_uniform", "GlorotUniform": "glorot_uniform", "GLOROT_UNIFORM": "glorot_uniform",
		"he_normal": "he_normal", "HeNormal": "he_normal", "zero": "zeros", "one": "ones",
		"normal": "random_normal", "uniform": "random_uniform", "RandomNormal": "random_normal",
		"TruncatedNormal": "truncated_normal", "VarianceScaling": "variance_scaling", " zeros ": "zeros",
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
	// Keras string defaults.
	for name, cfg := range map[string]map[string]any{
		"random_normal":    {"mean": 0.0, "stddev": 0.05},
		"truncated_normal": {"mean": 0.0, "stddev": 0.05},
		"random_uniform":   {"minval": -0.05, "maxval": 0.05},
		"variance_scaling": {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"},
		"constant":         {"value": 0.0},
		"glorot_uniform":   {},
		"zeros":            {},
	} {
		init, _ := Get(name)
		if got := init.Config(); !reflect.DeepEqual(got, cfg) {
			t.Errorf("Get(%q).Config() = %v, want %v", name, got, cfg)
		}
	}
	_, err := Get("glorot")
	if err == nil || !strings.Contains(err.Error(), `"glorot"`) || !strings.Contains(err.Error(), "glorot_uniform, he_normal") {
		t.Errorf("Get(\"glorot\") error = %v, want one naming the input and listing known names", err)
	}
}

// TestRoundTrip rebuilds every initializer from Name and Config, directly and
// through JSON (as a model file stores it), and checks it fills the same values.
func TestRoundTrip(t *testing.T) {
	var inits []Initializer
	for _, name := range Names() {
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
	if _, err := FromConfig("glorot_uniform", map[string]any{"seed": nil}); err != nil {
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
		{"random_normal", map[string]any{"std": 1.0}, `unknown config key(s) [std]; accepted: [mean stddev]`},
		{"glorot_uniform", map[string]any{"scale": 1.0}, "unknown config key(s) [scale]"},
		{"random_normal", map[string]any{"stddev": "big"}, `"stddev" must be a number, got string big`},
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
