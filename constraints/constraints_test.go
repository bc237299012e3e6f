package constraints

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// refNorms is the float64 reference of Keras's norm constraints, written
// from keras/src/constraints/constraints.py independently of scaleNorms:
// every element is decoded to its multi-index, slices are grouped by their
// index on the kept axes, and w *= desired(n)/(ε + n).
func refNorms(w []float64, shape []int, axes []int, desired func(n float64) float64) []float64 {
	reduced := map[int]bool{}
	for _, a := range axes {
		if a < 0 {
			a += len(shape)
		}
		reduced[a] = true
	}
	key := func(flat int) string {
		idx := make([]int, len(shape))
		for i := len(shape) - 1; i >= 0; i-- {
			idx[i] = flat % shape[i]
			flat /= shape[i]
		}
		var k []string
		for i, x := range idx {
			if !reduced[i] {
				k = append(k, fmt.Sprint(i, ":", x))
			}
		}
		return strings.Join(k, ",")
	}
	ss := map[string]float64{}
	for i, x := range w {
		ss[key(i)] += x * x
	}
	out := make([]float64, len(w))
	for i, x := range w {
		n := math.Sqrt(ss[key(i)])
		out[i] = x * desired(n) / (1e-7 + n)
	}
	return out
}

func fill(n int) []float32 {
	w := make([]float32, n)
	for i := range w {
		// A spread of signs and sizes: norms land below, inside and above
		// the bounds tested.
		w[i] = float32(math.Sin(float64(i)*1.7+0.3) * (0.2 + float64(i%5)*0.6))
	}
	return w
}

// Every norm constraint, on Dense, Conv2D and bias shapes and every kind
// of axis argument, gives the float64 reference's values.
func TestNormsAgainstReference(t *testing.T) {
	clip := func(lo, hi float64) func(float64) float64 {
		return func(n float64) float64 { return min(max(n, lo), hi) }
	}
	cases := []struct {
		c       Constraint
		axes    []int
		desired func(float64) float64
	}{
		{MaxNorm(2), []int{0}, clip(0, 2)},
		{MaxNorm(1, 1), []int{1}, clip(0, 1)},
		{MaxNorm(0.5, -1), []int{-1}, clip(0, 0.5)},
		{MaxNorm(3, 0, 1), []int{0, 1}, clip(0, 3)},
		{MaxNorm(0), []int{0}, clip(0, 0)},
		{UnitNorm(), []int{0}, func(float64) float64 { return 1 }},
		{UnitNorm(1), []int{1}, func(float64) float64 { return 1 }},
		{MinMaxNorm(0, 1, 1), []int{0}, clip(0, 1)},
		{MinMaxNorm(1, 1.5, 0.5), []int{0}, func(n float64) float64 { return 0.5*min(max(n, 1), 1.5) + 0.5*n }},
		{MinMaxNorm(0.5, 2, 0), []int{1}, func(n float64) float64 { return n }},
	}
	shapes := [][]int{{6, 4}, {3, 3, 2, 5}, {7}}
	for _, c := range cases {
		for _, shape := range shapes {
			axes := c.axes
			if len(shape) == 1 {
				axes = []int{0}
			}
			k, err := reconfigure(c.c, axes, shape)
			if err != nil {
				continue // axis 1 on a bias, e.g.
			}
			if len(shape) == 4 && len(axes) == 2 {
				axes = []int{0, 1, 2}
				k, _ = reconfigure(c.c, axes, shape)
			}
			n := 1
			for _, d := range shape {
				n *= d
			}
			w := fill(n)
			w64 := make([]float64, n)
			for i, x := range w {
				w64[i] = float64(x)
			}
			want := refNorms(w64, shape, axes, c.desired)
			k.Apply(w, shape)
			for i := range w {
				if math.Abs(float64(w[i])-want[i]) > 2e-7*max(1, math.Abs(want[i])) {
					t.Errorf("%s %v on %v: w[%d] = %.9g, reference %.9g", k.Name(), k.Config(), shape, i, w[i], want[i])
					break
				}
			}
		}
	}
}

// reconfigure rebuilds c with other axes through its config (so that the
// config path is exercised too) and checks them against shape.
func reconfigure(c Constraint, axes []int, shape []int) (Constraint, error) {
	cfg := c.Config()
	list := make([]any, len(axes))
	for i, a := range axes {
		list[i] = a
	}
	cfg["axis"] = list
	k, err := FromConfig(c.Name(), cfg)
	if err != nil {
		return nil, err
	}
	return k, Check(k, shape)
}

// Hand-computed cases from Keras's formulas.
func TestByHand(t *testing.T) {
	cases := []struct {
		c     Constraint
		shape []int
		w     []float32
		want  []float64
	}{
		// Columns [3, 4] (norm 5) and [0.3, 0.4] (norm 0.5) of a (2, 2) kernel:
		// the first scaled to norm 2, the second by 0.5/(0.5+1e-7).
		{MaxNorm(2), []int{2, 2}, []float32{3, 0.3, 4, 0.4},
			[]float64{3 * 2 / 5.0000001, 0.3 * 0.5 / 0.5000001, 4 * 2 / 5.0000001, 0.4 * 0.5 / 0.5000001}},
		// Rows instead (axis 1): [3, 0.3] and [4, 0.4].
		{UnitNorm(1), []int{2, 2}, []float32{3, 0.3, 4, 0.4},
			[]float64{3 / (1e-7 + math.Sqrt(9.09)), 0.3 / (1e-7 + math.Sqrt(9.09)), 4 / (1e-7 + math.Sqrt(16.16)), 0.4 / (1e-7 + math.Sqrt(16.16))}},
		// MinMaxNorm(1, 2, 0.5) on [0.3, 0.4]: desired 0.5·1 + 0.5·0.5 = 0.75.
		{MinMaxNorm(1, 2, 0.5), []int{2}, []float32{0.3, 0.4}, []float64{0.3 * 0.75 / 0.5000001, 0.4 * 0.75 / 0.5000001}},
		{NonNeg(), []int{4}, []float32{-1, 0, 2, -0.5}, []float64{0, 0, 2, 0}},
	}
	for _, c := range cases {
		c.c.Apply(c.w, c.shape)
		for i, want := range c.want {
			if math.Abs(float64(c.w[i])-want) > 1e-7 {
				t.Errorf("%s %v: w[%d] = %.9g, want %.9g", c.c.Name(), c.c.Config(), i, c.w[i], want)
			}
		}
	}
	// NonNeg keeps Keras's w·0: negatives become -0, NaN stays NaN.
	w := []float32{-3, float32(math.NaN())}
	NonNeg().Apply(w, []int{2})
	if !math.Signbit(float64(w[0])) || w[0] != 0 || !math.IsNaN(float64(w[1])) {
		t.Errorf("NonNeg on [-3, NaN] = %v, want [-0, NaN]", w)
	}
}

func TestApplyDoesNotAllocate(t *testing.T) {
	shape := []int{3, 3, 8, 16}
	w := fill(3 * 3 * 8 * 16)
	for _, c := range []Constraint{MaxNorm(2, 0, 1, 2), MinMaxNorm(0, 1, 0.5), UnitNorm(-1), NonNeg()} {
		if n := testing.AllocsPerRun(20, func() { c.Apply(w, shape) }); n != 0 {
			t.Errorf("%s: %v allocations per Apply, want 0", c.Name(), n)
		}
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		c     Constraint
		shape []int
		want  string
	}{
		{MaxNorm(2, 2), []int{4, 3}, "constraints: MaxNorm: axis 2 does not exist in a weight of shape [4 3] (rank 2; axes run from -2 to 1)"},
		{UnitNorm(-3), []int{5}, "axis -3 does not exist"},
		{MinMaxNorm(0, 1, 1, 0, -2), []int{4, 3}, "name axis 0 twice"},
		{MaxNorm(2), []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, "rank <= 8"},
	}
	for _, c := range cases {
		if err := Check(c.c, c.shape); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%s %v, %v) = %v, want an error containing %q", c.c.Name(), c.c.Config(), c.shape, err, c.want)
		}
	}
	if err := Check(NonNeg(), []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}); err != nil {
		t.Errorf("NonNeg takes any shape, got %v", err)
	}
	defer func() {
		if r, _ := recover().(string); !strings.Contains(r, "axis 2 does not exist") {
			t.Errorf("Apply on a bad shape: recovered %q", r)
		}
	}()
	MaxNorm(2, 2).Apply(make([]float32, 12), []int{4, 3})
}

func TestConstructorPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"MaxNorm negative":   func() { MaxNorm(-1) },
		"MaxNorm NaN":        func() { MaxNorm(math.NaN()) },
		"MaxNorm axis twice": func() { MaxNorm(2, 0, 0) },
		"MinMaxNorm min>max": func() { MinMaxNorm(2, 1, 1) },
		"MinMaxNorm rate":    func() { MinMaxNorm(0, 1, 1.5) },
		"UnitNorm axes":      func() { UnitNorm(1, 1) },
	} {
		func() {
			defer func() {
				if r, ok := recover().(string); !ok || !strings.HasPrefix(r, "constraints: ") {
					t.Errorf("%s: recovered %v, want a \"constraints: \" panic", name, r)
				}
			}()
			f()
		}()
	}
}
