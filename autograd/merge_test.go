package autograd

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// leaves makes n differentiable inputs of one shape.
func leaves(p *Plan, rng *rand.Rand, n int, shape ...int) []*Var {
	xs := make([]*Var, n)
	for i := range xs {
		xs[i] = leaf(p, rng, false, shape...)
	}
	return xs
}

// apart rewrites xs so that, at every element, the inputs are at least 0.3
// apart in a random order: no finite-difference step (±fdStep) can change
// which input is the maximum or minimum.
func apart(rng *rand.Rand, xs []*Var) []*Var {
	for k := range xs[0].Value.Data() {
		base := xs[0].Value.Data()[k]
		for i, r := range rng.Perm(len(xs)) {
			xs[i].Value.Data()[k] = base + 0.3*float32(r)
		}
	}
	return xs
}

// TestMergeValues checks each element-wise merge against float64 code,
// and that a backward pass adds (+=) to gradients already there.
func TestMergeValues(t *testing.T) {
	type ref struct {
		name string
		op   func(p *Plan, xs []*Var) *Var
		f    func(v []float64) float64
		// df is ∂y/∂xᵢ at v.
		df func(v []float64, i int) float64
		n  int
	}
	prodExcept := func(v []float64, i int) float64 {
		r := 1.0
		for j, x := range v {
			if j != i {
				r *= x
			}
		}
		return r
	}
	cases := []ref{
		{"Add", func(p *Plan, xs []*Var) *Var { return p.Add(xs...) },
			func(v []float64) float64 { return v[0] + v[1] + v[2] }, func([]float64, int) float64 { return 1 }, 3},
		{"Average", func(p *Plan, xs []*Var) *Var { return p.Average(xs...) },
			func(v []float64) float64 { return (v[0] + v[1] + v[2]) / 3 }, func([]float64, int) float64 { return 1.0 / 3 }, 3},
		{"Subtract", func(p *Plan, xs []*Var) *Var { return p.Subtract(xs...) },
			func(v []float64) float64 { return v[0] - v[1] }, func(_ []float64, i int) float64 { return float64(1 - 2*i) }, 2},
		{"Multiply", func(p *Plan, xs []*Var) *Var { return p.Multiply(xs...) },
			func(v []float64) float64 { return v[0] * v[1] * v[2] * v[3] }, prodExcept, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(3)
			p := NewPlan(2)
			xs := leaves(p, rng, c.n, 2, 3, 2)
			y := c.op(p, xs)
			if !tensor.SameShape(y.Shape(), []int{2, 3, 2}) {
				t.Fatalf("shape %v", y.Shape())
			}
			fillTest(y.Grad, rng, false)
			dy := y.Grad.Clone().Data()
			p.Forward(true)
			// Backward by hand, without Plan.Backward's zeroing: every
			// input's gradient starts at 1, which must stay added.
			for _, x := range xs {
				for i := range x.Grad.Data() {
					x.Grad.Data()[i] = 1
				}
			}
			y.src.Backward()
			v := make([]float64, c.n)
			for k, got := range y.Value.Data() {
				for i, x := range xs {
					v[i] = float64(x.Value.Data()[k])
				}
				if want := c.f(v); math.Abs(float64(got)-want) > 1e-6*(1+math.Abs(want)) {
					t.Errorf("y[%d] = %v, want %v", k, got, want)
				}
				for i, x := range xs {
					want := 1 + float64(dy[k])*c.df(v, i)
					if g := float64(x.Grad.Data()[k]); math.Abs(g-want) > 1e-5*(1+math.Abs(want)) {
						t.Errorf("dx%d[%d] = %v, want %v", i, k, g, want)
					}
				}
			}
		})
	}
}

// TestMaximumMinimumTies: on a tie the gradient goes to the first input
// holding the extreme, and only to it; a NaN anywhere shows in the output.
func TestMaximumMinimumTies(t *testing.T) {
	p := NewPlan(1)
	nan := float32(math.NaN())
	a := &Var{Value: tensor.Full(0, 1, 5), Grad: tensor.New(1, 5)}
	b := &Var{Value: tensor.Full(0, 1, 5), Grad: tensor.New(1, 5)}
	c := &Var{Value: tensor.Full(0, 1, 5), Grad: tensor.New(1, 5)}
	copy(a.Value.Data(), []float32{1, 2, 5, 0, nan})
	copy(b.Value.Data(), []float32{3, 2, 5, nan, 1})
	copy(c.Value.Data(), []float32{3, 7, -1, 4, 2})
	for _, tc := range []struct {
		name         string
		y            *Var
		want         []float32
		wantA, wantB []float32
		wantC        []float32
	}{
		{"Maximum", p.Maximum(a, b, c), []float32{3, 7, 5, nan, nan},
			[]float32{0, 0, 1, 0, 1}, []float32{1, 0, 0, 1, 0}, []float32{0, 1, 0, 0, 0}},
		{"Minimum", p.Minimum(a, b, c), []float32{1, 2, -1, nan, nan},
			[]float32{1, 1, 0, 0, 1}, []float32{0, 0, 0, 1, 0}, []float32{0, 0, 1, 0, 0}},
	} {
		for _, v := range []*Var{a, b, c} {
			v.Grad.Zero()
		}
		p.Forward(true)
		for k := range tc.y.Grad.Data() {
			tc.y.Grad.Data()[k] = 1
		}
		tc.y.src.Backward()
		for k, got := range tc.y.Value.Data() {
			if w := tc.want[k]; got != w && !(w != w && got != got) {
				t.Errorf("%s[%d] = %v, want %v", tc.name, k, got, w)
			}
		}
		for i, pair := range [][2][]float32{{a.Grad.Data(), tc.wantA}, {b.Grad.Data(), tc.wantB}, {c.Grad.Data(), tc.wantC}} {
			for k := range pair[0] {
				if pair[0][k] != pair[1][k] {
					t.Errorf("%s: gradient of input %d = %v, want %v", tc.name, i, pair[0], pair[1])
					break
				}
			}
		}
	}
}

// TestConcatenateValues compares Concatenate with an element-by-element
// reference that reads every output through its multi-index.
func TestConcatenateValues(t *testing.T) {
	for _, c := range []struct {
		axis   int
		shapes [][]int
	}{
		{1, [][]int{{2, 1, 3, 2}, {2, 2, 3, 2}, {2, 1, 3, 2}}},
		{2, [][]int{{2, 2, 1, 2}, {2, 2, 3, 2}}},
		{-1, [][]int{{2, 2, 3, 1}, {2, 2, 3, 3}}},
		{-3, [][]int{{2, 3, 2, 2}, {2, 1, 2, 2}}},
		{-1, [][]int{{3, 2}, {3, 2}}},
	} {
		rng := tensor.NewRNG(4)
		p := NewPlan(1)
		xs := make([]*Var, len(c.shapes))
		for i, s := range c.shapes {
			xs[i] = leaf(p, rng, false, s...)
		}
		y := p.Concatenate(c.axis, xs...)
		p.Forward(false)
		a := c.axis
		if a < 0 {
			a += len(c.shapes[0])
		}
		idx := make([]int, y.Value.Rank())
		for k := 0; k < y.Value.Len(); k++ {
			rest := k
			for d := len(idx) - 1; d >= 0; d-- {
				idx[d], rest = rest%y.Value.Dim(d), rest/y.Value.Dim(d)
			}
			src := append([]int(nil), idx...)
			i := 0
			for src[a] >= c.shapes[i][a] {
				src[a] -= c.shapes[i][a]
				i++
			}
			if got, want := y.Value.At(idx...), xs[i].Value.At(src...); got != want {
				t.Errorf("axis %d: y%v = %v, want input %d at %v = %v", c.axis, idx, got, i, src, want)
			}
		}
	}
}

func TestMergePanics(t *testing.T) {
	p := NewPlan(2)
	x, y3, z := p.Input(3), p.Input(3), p.Input(4)
	img := p.Input(2, 2, 3)
	for _, c := range []struct {
		name string
		f    func()
		want string
	}{
		{"one input", func() { p.Add(x) }, "autograd: Add needs at least 2 inputs, got 1"},
		{"three to Subtract", func() { p.Subtract(x, y3, x) }, "autograd: Subtract needs exactly 2 inputs, got 3"},
		{"shapes", func() { p.Maximum(x, y3, z) }, "autograd: Maximum of inputs of different shapes: input 0 is [2 3], input 2 is [2 4]"},
		{"concat batch", func() { p.Concatenate(0, x, z) }, "axis 0 is the batch"},
		{"concat range", func() { p.Concatenate(-3, x, z) }, "the axis must be in [1, 1] or [-1, -1]"},
		{"concat other axis", func() { p.Concatenate(-1, img, x) }, "they must have the same rank and sizes on every other axis"},
		{"concat one input", func() { p.Concatenate(1, x) }, "Concatenate needs at least 2 inputs, got 1"},
	} {
		func() {
			defer func() {
				r, _ := recover().(string)
				if !strings.Contains(r, c.want) {
					t.Errorf("%s: panic %q, want it to contain %q", c.name, r, c.want)
				}
			}()
			c.f()
		}()
	}
}

// TestMergeNoAllocation: once the plan is built, a training step through
// every merge op allocates nothing; an inference plan runs them without
// gradient buffers.
func TestMergeNoAllocation(t *testing.T) {
	for _, infer := range []bool{false, true} {
		rng := tensor.NewRNG(5)
		p := NewPlan(4)
		if infer {
			p = NewInferencePlan(4)
		}
		xs := leaves(p, rng, 3, 4, 6)
		if infer {
			for _, x := range xs {
				x.Grad = nil
			}
		}
		sub := p.Subtract(p.Add(xs...), p.Average(xs...))
		ext := p.Multiply(p.Maximum(xs...), p.Minimum(xs[0], xs[1]))
		loss := p.probe(p.Concatenate(-1, sub, ext, xs[2]), rng)
		if got := loss.(*probe).y.Shape(); !tensor.SameShape(got, []int{4, 18}) {
			t.Fatalf("shape %v", got)
		}
		step := func() { p.Forward(true); p.Backward() }
		step()
		if a := testing.AllocsPerRun(10, step); a != 0 {
			t.Errorf("inference %v: a step allocates %v times", infer, a)
		}
		if math.IsNaN(loss.Loss()) {
			t.Errorf("inference %v: loss NaN", infer)
		}
	}
}
