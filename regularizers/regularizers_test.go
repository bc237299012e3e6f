package regularizers

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var w4 = []float32{1, -2, 0, 0.5} // Σ|w| = 3.5, Σw² = 5.25

func TestPenaltyByHand(t *testing.T) {
	for _, c := range []struct {
		r    Regularizer
		want float64
	}{
		{L1(0.1), 0.35},
		{L2(0.01), 0.0525},
		{L1L2(0.1, 0.01), 0.4025},
		{L1L2(0, 0), 0},
		{L2(1), 5.25},
	} {
		if got := c.r.Penalty(w4); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s %v: Penalty(%v) = %v, want %v", c.r.Name(), c.r.Config(), w4, got, c.want)
		}
	}
	if got := L2(0.5).Penalty(nil); got != 0 {
		t.Errorf("Penalty(nil) = %v, want 0", got)
	}
}

func TestGradientByHand(t *testing.T) {
	grad := []float32{10, 10, 10, 10}
	L1L2(0.1, 0.01).AddGradient(grad, w4)
	// 10 + 0.1·sign(w) + 0.02·w; sign(0) = 0.
	want := []float32{10 + 0.1 + 0.02, 10 - 0.1 - 0.04, 10, 10 + 0.1 + 0.01}
	for i := range want {
		if math.Abs(float64(grad[i]-want[i])) > 1e-6 {
			t.Errorf("grad[%d] = %v, want %v", i, grad[i], want[i])
		}
	}
}

// penalty64 is the float64 reference: l1·Σ|w| + l2·Σw².
func penalty64(l1, l2 float64, w []float64) float64 {
	var s float64
	for _, v := range w {
		s += l1*math.Abs(v) + l2*v*v
	}
	return s
}

// TestGradientFiniteDifferences checks AddGradient against central finite
// differences of the float64 reference penalty, and Penalty against the
// reference itself.
func TestGradientFiniteDifferences(t *testing.T) {
	w := []float32{0.3, -1.7, 2.25, -0.01, 0.8, -0.45, 1e-3, 3}
	for _, c := range []struct {
		r      Regularizer
		l1, l2 float64
	}{
		{L1(0.01), 0.01, 0}, {L1(0.7), 0.7, 0},
		{L2(0.01), 0, 0.01}, {L2(0.3), 0, 0.3},
		{L1L2(0.01, 0.01), 0.01, 0.01}, {L1L2(0.2, 0.05), 0.2, 0.05},
	} {
		w64 := make([]float64, len(w))
		for i, v := range w {
			w64[i] = float64(v)
		}
		if got, want := c.r.Penalty(w), penalty64(c.l1, c.l2, w64); math.Abs(got-want) > 1e-12*max(1, want) {
			t.Errorf("%s %v: Penalty = %v, reference %v", c.r.Name(), c.r.Config(), got, want)
		}
		grad := make([]float32, len(w))
		c.r.AddGradient(grad, w)
		const h = 1e-6
		for i := range w64 {
			old := w64[i]
			w64[i] = old + h
			up := penalty64(c.l1, c.l2, w64)
			w64[i] = old - h
			down := penalty64(c.l1, c.l2, w64)
			w64[i] = old
			fd := (up - down) / (2 * h)
			if math.Abs(float64(grad[i])-fd) > 1e-5*max(1, math.Abs(fd)) {
				t.Errorf("%s %v: dPenalty/dw[%d] = %v, finite differences %v", c.r.Name(), c.r.Config(), i, grad[i], fd)
			}
		}
	}
}

func TestAddGradientLengthMismatchPanics(t *testing.T) {
	defer func() {
		if r, ok := recover().(string); !ok || !strings.Contains(r, "regularizers: L2 AddGradient: len(grad) = 3, len(w) = 4") {
			t.Errorf("recovered %q, want a length mismatch panic", r)
		}
	}()
	L2(0.01).AddGradient(make([]float32, 3), w4)
}

func TestNoAllocation(t *testing.T) {
	w := make([]float32, 1000)
	for i := range w {
		w[i] = float32(i%7) - 3
	}
	grad := make([]float32, len(w))
	for _, r := range []Regularizer{L1(0.01), L2(0.01), L1L2(0.01, 0.02)} {
		var sink float64
		if n := testing.AllocsPerRun(100, func() {
			sink += r.Penalty(w)
			r.AddGradient(grad, w)
		}); n != 0 {
			t.Errorf("%s: %v allocations per Penalty+AddGradient, want 0", r.Name(), n)
		}
		_ = sink
	}
}

func TestGet(t *testing.T) {
	for in, want := range map[string]struct {
		name string
		cfg  map[string]any
	}{
		"l1":    {"L1", map[string]any{"l1": 0.01}},
		"L1":    {"L1", map[string]any{"l1": 0.01}},
		"l2":    {"L2", map[string]any{"l2": 0.01}},
		"L2":    {"L2", map[string]any{"l2": 0.01}},
		"l1_l2": {"L1L2", map[string]any{"l1": 0.01, "l2": 0.01}},
		"L1L2":  {"L1L2", map[string]any{"l1": 0.01, "l2": 0.01}},
	} {
		r, err := Get(in)
		if err != nil {
			t.Errorf("Get(%q): %v", in, err)
			continue
		}
		if r.Name() != want.name || !reflect.DeepEqual(r.Config(), want.cfg) {
			t.Errorf("Get(%q) = %s %v, want %s %v", in, r.Name(), r.Config(), want.name, want.cfg)
		}
	}
	if _, err := Get("l3"); err == nil || !strings.HasPrefix(err.Error(), `regularizers: unknown regularizer "l3"; known: `) || !strings.Contains(err.Error(), "L1, L1L2, L2") {
		t.Errorf("Get(\"l3\") error = %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, r := range []Regularizer{L1(0.01), L1(0.5), L2(0.01), L2(1e-4), L1L2(0.01, 0.01), L1L2(0, 0.3), L1L2(0.2, 0)} {
		js, err := json.Marshal(r.Config())
		if err != nil {
			t.Fatal(err)
		}
		var plain, numbers map[string]any
		if err := json.Unmarshal(js, &plain); err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber()
		if err := dec.Decode(&numbers); err != nil {
			t.Fatal(err)
		}
		for _, cfg := range []map[string]any{r.Config(), plain, numbers} {
			back, err := FromConfig(r.Name(), cfg)
			if err != nil {
				t.Errorf("FromConfig(%q, %v): %v", r.Name(), cfg, err)
				continue
			}
			if back.Name() != r.Name() || !reflect.DeepEqual(back.Config(), r.Config()) {
				t.Errorf("round trip of %s %v gave %s %v", r.Name(), r.Config(), back.Name(), back.Config())
			}
		}
	}
	// Missing keys take the class defaults; Keras 3's serialized form parses.
	for _, c := range []struct {
		name string
		cfg  map[string]any
		want map[string]any
	}{
		{"l1", nil, map[string]any{"l1": 0.01}},
		{"l2", map[string]any{}, map[string]any{"l2": 0.01}},
		{"l1_l2", map[string]any{"l1": 1}, map[string]any{"l1": 1.0, "l2": 0.0}},
		{"L1L2", map[string]any{"l2": int64(2)}, map[string]any{"l1": 0.0, "l2": 2.0}},
		{"L2", map[string]any{"l2": json.Number("0.009999999776482582")}, map[string]any{"l2": 0.009999999776482582}},
		{"L1", map[string]any{"l1": 0.0}, map[string]any{"l1": 0.0}},
	} {
		r, err := FromConfig(c.name, c.cfg)
		if err != nil || !reflect.DeepEqual(r.Config(), c.want) {
			t.Errorf("FromConfig(%q, %v) = %v, %v; want config %v", c.name, c.cfg, r, err, c.want)
		}
	}
}

func TestFromConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  map[string]any
		msg  string
	}{
		{"l0", nil, `unknown regularizer "l0"`},
		{"l1", map[string]any{"l2": 0.1}, "regularizers: L1 config: unknown key(s) l2; accepted: l1"},
		{"l1_l2", map[string]any{"l3": 0.1}, "unknown key(s) l3; accepted: l1, l2"},
		{"l2", map[string]any{"l2": "0.1"}, `regularizers: L2 config: "l2" must be a number, got "0.1"`},
		{"L2", map[string]any{"l2": nil}, `regularizers: L2 config: "l2" must be a number, got null`},
		{"l2", map[string]any{"l2": -0.1}, "regularizers: L2: l2 must be a finite number ≥ 0, got -0.1"},
		{"l1_l2", map[string]any{"l1": math.Inf(1)}, "l1 must be a finite number ≥ 0, got +Inf"},
	} {
		r, err := FromConfig(c.name, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.msg) || r != nil {
			t.Errorf("FromConfig(%q, %v) = %v, %v; want nil and an error containing %q", c.name, c.cfg, r, err, c.msg)
		}
	}
}

func TestConstructorPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"L1":   func() { L1(-1) },
		"L2":   func() { L2(math.NaN()) },
		"L1L2": func() { L1L2(0.1, -0.1) },
	} {
		func() {
			defer func() {
				if r, ok := recover().(string); !ok || !strings.HasPrefix(r, "regularizers: ") {
					t.Errorf("%s: recovered %v, want a \"regularizers: \" panic", name, r)
				}
			}()
			f()
		}()
	}
}

// Every class survives Serialize → JSON → FromConfig, and Serialize writes
// Keras 3's form.
func TestSerialize(t *testing.T) {
	covered := map[string]bool{}
	for _, r := range []Regularizer{L1(0.3), L2(0), L1L2(0.1, 0.2)} {
		covered[r.Name()] = true
		js, _ := json.Marshal(Serialize(r))
		var ref struct {
			Module         string         `json:"module"`
			ClassName      string         `json:"class_name"`
			Config         map[string]any `json:"config"`
			RegisteredName any            `json:"registered_name"`
		}
		if err := json.Unmarshal(js, &ref); err != nil {
			t.Fatal(err)
		}
		if ref.Module != "keras.regularizers" || ref.ClassName != r.Name() || ref.RegisteredName != nil {
			t.Errorf("Serialize(%s) = %s", r.Name(), js)
		}
		back, err := FromConfig(ref.ClassName, ref.Config)
		if err != nil || !reflect.DeepEqual(back.Config(), r.Config()) || back.Name() != r.Name() {
			t.Errorf("%s: came back as %v, %v", js, back, err)
		}
	}
	for _, n := range Names() {
		if registry.IsBuiltin(n) && !covered[n] {
			t.Errorf("registered regularizer %s has no round-trip case", n)
		}
	}
}

// orthogonal is a user's regularizer, registered by name.
type orthogonal struct{ factor float64 }

func (o orthogonal) Penalty(w []float32) float64   { return o.factor * float64(len(w)) }
func (o orthogonal) AddGradient(grad, w []float32) {}
func (o orthogonal) Name() string                  { return "CountPenalty" }
func (o orthogonal) Config() map[string]any        { return map[string]any{"factor": o.factor} }

func TestRegister(t *testing.T) {
	registerOnce.Do(func() {
		Register("CountPenalty", func(c map[string]any) (Regularizer, error) {
			f, _ := c["factor"].(float64)
			return orthogonal{f}, nil
		})
	})
	r, err := FromConfig("CountPenalty", map[string]any{"factor": 0.5})
	if err != nil || r.Penalty(w4) != 2 {
		t.Fatalf("FromConfig(CountPenalty) = %v, %v", r, err)
	}
	if s := Serialize(r); s["module"] != nil || s["registered_name"] != "CountPenalty" {
		t.Errorf("Serialize = %v, want no Keras module", s)
	}
}

var registerOnce sync.Once
