package configread

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestReader(t *testing.T) {
	r := New("pkg: X config", map[string]any{
		"f": json.Number("0.25"), "n": 3.0, "b": true, "s": "x", "null": nil,
		"axes": []any{0.0, json.Number("1")}, "axis": 2, "go": []int64{4, 5}, "vals": []float64{0.5},
	})
	if f, ok := r.Float("f"); f != 0.25 || !ok {
		t.Errorf("Float = %v, %v", f, ok)
	}
	if n, ok := r.Int("n"); n != 3 || !ok {
		t.Errorf("Int = %v, %v", n, ok)
	}
	if b, ok := r.Bool("b"); !b || !ok {
		t.Errorf("Bool = %v, %v", b, ok)
	}
	if s, ok := r.String("s"); s != "x" || !ok {
		t.Errorf("String = %v, %v", s, ok)
	}
	if _, ok := r.NullableFloat("null"); ok {
		t.Error("NullableFloat(null) reported a value")
	}
	if _, ok := r.Float("absent"); ok {
		t.Error("Float(absent) reported a value")
	}
	for key, want := range map[string][]int64{"axes": {0, 1}, "axis": {2}, "go": {4, 5}} {
		got, scalar, ok := r.Ints(key)
		if !ok || !reflect.DeepEqual(got, want) || scalar != (key == "axis") {
			t.Errorf("Ints(%s) = %v, scalar %v, %v; want %v", key, got, scalar, ok, want)
		}
	}
	if v, ok := r.Floats("vals"); !ok || !reflect.DeepEqual(v, []float64{0.5}) {
		t.Errorf("Floats = %v, %v", v, ok)
	}
	if err := r.Err(); err != nil {
		t.Errorf("Err = %v after reading every key", err)
	}
}

func TestReaderErrors(t *testing.T) {
	cases := []struct {
		read func(r *Reader)
		want string
	}{
		{func(r *Reader) { r.Float("s") }, `pkg: X config: "s" must be a number, got "x"`},
		{func(r *Reader) { r.Float("null") }, `"null" must be a number, got null`},
		{func(r *Reader) { r.Int("f") }, `"f" must be an integer, got 0.5`},
		{func(r *Reader) { r.Bool("f") }, `"f" must be true or false, got 0.5`},
		{func(r *Reader) { r.Ints("s") }, `"s" must be an integer or a list of integers, got "x"`},
		{func(r *Reader) { r.Floats("list") }, `"list" must be a list of numbers, got [1,"a"]`},
		{func(r *Reader) { r.Require("missing") }, `missing "missing"`},
		{func(r *Reader) { r.Accept("f", 1.0) }, `"f" = 0.5 is not supported by goras (only 1)`},
		{func(r *Reader) { r.Null("f") }, `"f" = 0.5 is not supported by goras (only null)`},
		{func(r *Reader) { r.Float("f"); r.String("s") }, `unknown key(s) list, null; accepted: f, s`},
	}
	for _, c := range cases {
		r := New("pkg: X config", map[string]any{"f": 0.5, "s": "x", "null": nil, "list": []any{1.0, "a"}})
		c.read(r)
		if err := r.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

func TestRef(t *testing.T) {
	for _, c := range []struct {
		v     any
		class string
		cfg   map[string]any
		ok    bool
	}{
		{"he_normal", "he_normal", nil, true},
		{map[string]any{"class_name": "L2", "config": map[string]any{"l2": 0.1}, "module": "keras.regularizers", "registered_name": nil}, "L2", map[string]any{"l2": 0.1}, true},
		{map[string]any{"class_name": "Zeros"}, "Zeros", nil, true},
		{map[string]any{"class_name": "Zeros", "extra": 1}, "", nil, false},
		{map[string]any{"config": map[string]any{}}, "", nil, false},
		{map[string]any{"class_name": "Zeros", "config": 3}, "", nil, false},
		{3.0, "", nil, false},
	} {
		class, cfg, ok := Ref(c.v)
		if class != c.class || !reflect.DeepEqual(cfg, c.cfg) || ok != c.ok {
			t.Errorf("Ref(%v) = %q, %v, %v; want %q, %v, %v", c.v, class, cfg, ok, c.class, c.cfg, c.ok)
		}
	}
}

func TestRegistry(t *testing.T) {
	g := NewRegistry[string]("pkg", "thing")
	g.Builtin("GlorotUniform", func(map[string]any) (string, error) { return "g", nil }, "glorot_uniform")
	g.Register("Mine", func(map[string]any) (string, error) { return "m", nil })
	for _, name := range []string{"GlorotUniform", "glorot_uniform", "GLOROTUNIFORM", " mine "} {
		if _, err := g.Build(name, nil); err != nil {
			t.Errorf("Build(%q): %v", name, err)
		}
	}
	if got := g.ClassNames(); !reflect.DeepEqual(got, []string{"GlorotUniform", "Mine"}) {
		t.Errorf("ClassNames = %v", got)
	}
	if !g.IsBuiltin("glorot_uniform") || g.IsBuiltin("Mine") || g.IsBuiltin("nope") {
		t.Error("IsBuiltin wrong")
	}
	_, err := g.Build("Nope", nil)
	if err == nil || !strings.Contains(err.Error(), `pkg: unknown thing "Nope"; known: GlorotUniform, Mine (a class of your own must be registered with pkg.Register`) {
		t.Errorf("Build(Nope) error %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `pkg: Register called twice for "mine"`) {
			t.Errorf("recovered %v", r)
		}
	}()
	g.Register("mine", func(map[string]any) (string, error) { return "", nil })
}

// The zero Table is ready; of many goroutines adding one key, one wins
// and the key keeps its value.
func TestTable(t *testing.T) {
	var tab Table[int]
	if v, ok := tab.Get("a"); ok || v != 0 || tab.Keys() == nil || len(tab.Keys()) != 0 {
		t.Errorf("empty table: Get = %v, %v; Keys = %#v", v, ok, tab.Keys())
	}
	var wg sync.WaitGroup
	added := make([]bool, 8)
	for i := range added {
		wg.Go(func() { added[i] = tab.Add("b", i) })
	}
	wg.Wait()
	tab.Add("a", 100)
	v, _ := tab.Get("b")
	winners := 0
	for _, a := range added {
		if a {
			winners++
		}
	}
	if winners != 1 || !added[v] || !reflect.DeepEqual(tab.Keys(), []string{"a", "b"}) || len(tab.Values()) != 2 {
		t.Errorf("adds that won: %v, b = %d, Keys = %v, Values = %v", added, v, tab.Keys(), tab.Values())
	}
}
