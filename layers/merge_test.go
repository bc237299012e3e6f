package layers

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// The per-layer harness (harness_test.go) feeds one input; mergeCase and
// checkMerge do the same checks for a layer of several inputs: shapes,
// no weights, config keys, the forward pass against float64 code, a
// training step that allocates nothing, and every input's gradient against
// central finite differences.

type mergeCase struct {
	name   string
	layer  func() MultiInput
	inputs [][]int // per-sample input shapes
	output []int   // per-sample output shape
	keys   []string
	// ref computes the output (batch axis included) from the inputs, whose
	// full shapes are given, in float64.
	ref func(xs [][]float64, shapes [][]int) []float64
}

// elementwise is the reference of an element-wise merge: f of the inputs'
// values at each element.
func elementwise(f func(v []float64) float64) func([][]float64, [][]int) []float64 {
	return func(xs [][]float64, _ [][]int) []float64 {
		out := make([]float64, len(xs[0]))
		v := make([]float64, len(xs))
		for k := range out {
			for i, x := range xs {
				v[i] = x[k]
			}
			out[k] = f(v)
		}
		return out
	}
}

// concatRef is Concatenate's reference on axis (full shape, negative from
// the end): each output element is found through its multi-index.
func concatRef(axis int) func([][]float64, [][]int) []float64 {
	return func(xs [][]float64, shapes [][]int) []float64 {
		a := axis
		if a < 0 {
			a += len(shapes[0])
		}
		shape := slices.Clone(shapes[0])
		for _, s := range shapes[1:] {
			shape[a] += s[a]
		}
		out := make([]float64, tensor.Numel(shape))
		idx := make([]int, len(shape))
		for k := range out {
			rest := k
			for d := len(shape) - 1; d >= 0; d-- {
				idx[d], rest = rest%shape[d], rest/shape[d]
			}
			i, at := 0, idx[a]
			for at >= shapes[i][a] {
				at -= shapes[i][a]
				i++
			}
			flat := 0 // idx with idx[a] = at, in input i's shape
			for d, s := range shapes[i] {
				j := idx[d]
				if d == a {
					j = at
				}
				flat = flat*s + j
			}
			out[k] = xs[i][flat]
		}
		return out
	}
}

func sumOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func TestMergeHarness(t *testing.T) {
	name := []string{"name"}
	axis := []string{"name", "axis"}
	checkMerges(t, []mergeCase{
		{"Add", func() MultiInput { return Add() }, [][]int{{3, 2}, {3, 2}, {3, 2}}, []int{3, 2}, name, elementwise(sumOf)},
		{"Subtract", func() MultiInput { return Subtract() }, [][]int{{4}, {4}}, []int{4}, name,
			elementwise(func(v []float64) float64 { return v[0] - v[1] })},
		{"Multiply", func() MultiInput { return Multiply() }, [][]int{{2, 3}, {2, 3}, {2, 3}}, []int{2, 3}, name,
			elementwise(func(v []float64) float64 { return v[0] * v[1] * v[2] })},
		{"Average", func() MultiInput { return Average() }, [][]int{{2, 2, 2}, {2, 2, 2}, {2, 2, 2}}, []int{2, 2, 2}, name,
			elementwise(func(v []float64) float64 { return sumOf(v) / 3 })},
		{"Maximum", func() MultiInput { return Maximum() }, [][]int{{5}, {5}, {5}}, []int{5}, name,
			elementwise(func(v []float64) float64 { return slices.Max(v) })},
		{"Minimum", func() MultiInput { return Minimum() }, [][]int{{2, 3}, {2, 3}}, []int{2, 3}, name,
			elementwise(func(v []float64) float64 { return slices.Min(v) })},
		{"Concatenate/default", func() MultiInput { return Concatenate() }, [][]int{{2, 3}, {2, 1}}, []int{2, 4}, axis, concatRef(-1)},
		{"Concatenate/axis1", func() MultiInput { return Concatenate(WithAxis(1)) }, [][]int{{1, 2, 3}, {2, 2, 3}}, []int{3, 2, 3}, axis, concatRef(1)},
		{"Concatenate/axis2", func() MultiInput { return Concatenate(WithAxis(2)) }, [][]int{{2, 1, 2}, {2, 3, 2}}, []int{2, 4, 2}, axis, concatRef(2)},
		{"Concatenate/axis-2", func() MultiInput { return Concatenate(WithAxis(-2)) }, [][]int{{2, 1, 2}, {2, 3, 2}}, []int{2, 4, 2}, axis, concatRef(-2)},
		{"Concatenate/channels", func() MultiInput { return Concatenate(WithAxis(-1)) }, [][]int{{2, 2, 1}, {2, 2, 3}, {2, 2, 2}}, []int{2, 2, 6}, axis, concatRef(-1)},
	})
}

func checkMerges(t *testing.T, cases []mergeCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkMerge(t, c) })
	}
}

func checkMerge(t *testing.T, c mergeCase) {
	l := c.layer()
	l.SetName("under_test")
	out, err := l.BuildMulti(c.inputs, tensor.NewRNG(1))
	if err != nil {
		t.Fatalf("BuildMulti(%v): %v", c.inputs, err)
	}
	if !tensor.SameShape(out, c.output) {
		t.Errorf("BuildMulti(%v) output shape %v, want %v", c.inputs, out, c.output)
	}
	if len(l.Params()) != 0 {
		t.Errorf("%d weights, want none", len(l.Params()))
	}
	cfg := l.Config()
	got := slices.Sorted(func(yield func(string) bool) {
		for k := range cfg {
			if !yield(k) {
				return
			}
		}
	})
	if want := slices.Sorted(slices.Values(c.keys)); !slices.Equal(got, want) || cfg["name"] != "under_test" {
		t.Errorf("Config %v, want keys %v and name under_test", cfg, want)
	}
	if _, err := json.Marshal(cfg); err != nil {
		t.Errorf("Config does not encode to JSON: %v", err)
	}

	// Inputs of distinct values 0.05 apart (across inputs too), so that no
	// finite-difference step changes which input is the maximum.
	rng := tensor.NewRNG(2)
	p := autograd.NewPlan(harnessBatch)
	xs, shapes := make([]*autograd.Var, len(c.inputs)), make([][]int, len(c.inputs))
	total := 0
	for i, s := range c.inputs {
		shapes[i] = append([]int{harnessBatch}, s...)
		total += tensor.Numel(shapes[i])
	}
	vals := make([]float32, total)
	ladder(vals, rng.Perm(total))
	x64 := make([][]float64, len(xs))
	for i, s := range shapes {
		xs[i] = &autograd.Var{Value: tensor.New(s...), Grad: tensor.New(s...)}
		n := copy(xs[i].Value.Data(), vals)
		vals = vals[n:]
		for _, v := range xs[i].Value.Data() {
			x64[i] = append(x64[i], float64(v))
		}
	}
	y := l.CallMulti(p, xs)
	if want := append([]int{harnessBatch}, out...); !tensor.SameShape(y.Shape(), want) {
		t.Fatalf("CallMulti output shape %v, want %v (BuildMulti said %v)", y.Shape(), want, out)
	}
	p.Forward(true)
	for k, want := range c.ref(x64, shapes) {
		if got := float64(y.Value.Data()[k]); math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
			t.Errorf("output %d = %v, want %v", k, got, want)
		}
	}

	target := &autograd.Var{Value: tensor.New(y.Shape()...)}
	target.Value.FillNormal(rng, 0, 1)
	loss := p.MeanSquaredError(y, target)
	step := func() {
		for _, x := range xs {
			x.Grad.Zero()
		}
		p.Forward(true)
		p.Backward()
	}
	step()
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Errorf("a training step allocates %v times", a)
	}
	step()
	const h = 1e-2
	for vi, x := range xs {
		analytic := slices.Clone(x.Grad.Data())
		val := x.Value.Data()
		for i := range val {
			orig := val[i]
			val[i] = orig + h
			p.Forward(true)
			up := loss.Loss()
			val[i] = orig - h
			p.Forward(true)
			down := loss.Loss()
			val[i] = orig
			numeric := (up - down) / (2 * h)
			if diff := math.Abs(numeric - float64(analytic[i])); diff > 2e-3+2e-2*math.Abs(numeric) {
				t.Errorf("gradient of input %d element %d: analytic %.6f, numeric %.6f", vi, i, analytic[i], numeric)
			}
		}
	}
}

func TestMergeErrors(t *testing.T) {
	cases := []struct {
		layer  MultiInput
		inputs [][]int
		want   string
	}{
		{Add(), [][]int{{3}}, `layer "m" (Add): needs at least 2 inputs, got 1`},
		{Concatenate(), nil, `layer "m" (Concatenate): needs at least 2 inputs, got 0`},
		{Subtract(), [][]int{{3}, {3}, {3}}, `layer "m" (Subtract): needs exactly 2 inputs, got 3`},
		{Add(), [][]int{{3}, {4}}, `layer "m" (Add): needs inputs of one shape, got (None, 3) (input 0) and (None, 4) (input 1); goras does not broadcast`},
		{Maximum(), [][]int{{2, 3}, {2, 3}, {3, 2}}, `got (None, 2, 3) (input 0) and (None, 3, 2) (input 2)`},
		{Multiply(), [][]int{{2, 3}, {2, 3, 1}}, `got (None, 2, 3) (input 0) and (None, 2, 3, 1) (input 1)`},
		{Concatenate(), [][]int{{2, 3}, {3, 3}}, `cannot join (None, 2, 3) (input 0) and (None, 3, 3) (input 1) on axis -1: they must have the same rank`},
		{Concatenate(WithAxis(1)), [][]int{{2, 3}, {2, 3, 1}}, `cannot join (None, 2, 3) (input 0) and (None, 2, 3, 1) (input 1) on axis 1`},
		{Concatenate(WithAxis(3)), [][]int{{2, 3}, {2, 3}}, `axis 3 is out of range for inputs of shape (None, 2, 3): use 1 to 2, or -2 to -1 from the end`},
		{Concatenate(WithAxis(-3)), [][]int{{2, 3}, {2, 3}}, `axis -3 is out of range`},
		{Concatenate(WithAxis(0)), [][]int{{2, 3}, {2, 3}}, `Concatenate cannot join along axis 0, the batch axis`},
		{Add(WithAxis(1)), [][]int{{3}, {3}}, `Add does not take the option axis (it takes: name)`},
		{Concatenate(WithUseBias(false)), [][]int{{3}, {3}}, `Concatenate does not take the option use_bias (it takes: name, axis)`},
	}
	for _, c := range cases {
		c.layer.SetName("m")
		_, err := c.layer.BuildMulti(c.inputs, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s.BuildMulti(%v): error %v, want it to contain %q", c.layer.ClassName(), c.inputs, err, c.want)
		}
	}
	for _, l := range []MultiInput{Add(), Subtract(), Concatenate()} {
		l.SetName("m")
		want := map[string]string{"Add": "at least 2", "Subtract": "exactly 2", "Concatenate": "at least 2"}[l.ClassName()]
		if _, err := l.Build([]int{3}, nil); err == nil || !strings.Contains(err.Error(), "needs "+want+" inputs, got 1 of shape (None, 3)") {
			t.Errorf("%s.Build: error %v", l.ClassName(), err)
		}
		func() {
			defer func() {
				if r, _ := recover().(string); !strings.Contains(r, l.ClassName()+` layer "m" called with 1 input`) {
					t.Errorf("%s.Call: panic %q", l.ClassName(), r)
				}
			}()
			p := autograd.NewPlan(1)
			l.Call(p, p.Input(3))
		}()
	}
}

// TestMergeOutputIsACopy: BuildMulti's shape is the layer's own, so a model
// that edits it does not edit its input's.
func TestMergeOutputIsACopy(t *testing.T) {
	in := [][]int{{2, 3}, {2, 3}}
	for _, l := range []MultiInput{Add(), Concatenate(WithAxis(1))} {
		out, err := l.BuildMulti(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		out[0] = 99
		if in[0][0] != 2 {
			t.Fatalf("%s: BuildMulti returned its input's shape", l.ClassName())
		}
	}
}

// TestMergeKerasConfig reads merge configs as Keras 3's get_config writes
// them, bookkeeping keys included.
func TestMergeKerasConfig(t *testing.T) {
	dtype := `"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}`
	for _, c := range []struct{ class, cfg, name string }{
		{"Add", `{"name": "add_1", ` + dtype + `}`, "add_1"},
		{"Concatenate", `{"name": "concatenate", ` + dtype + `, "axis": 2}`, "concatenate"},
	} {
		var cfg map[string]any
		if err := json.Unmarshal([]byte(c.cfg), &cfg); err != nil {
			t.Fatal(err)
		}
		l, err := FromConfig(c.class, cfg)
		if err != nil {
			t.Fatalf("%s: %v", c.class, err)
		}
		if l.Name() != c.name || l.ClassName() != c.class {
			t.Errorf("read %s %q, want %s %q", l.ClassName(), l.Name(), c.class, c.name)
		}
		if cat, ok := l.(*ConcatenateLayer); ok && cat.Axis() != 2 {
			t.Errorf("Concatenate axis %d, want 2", cat.Axis())
		}
	}
}
