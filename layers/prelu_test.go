package layers

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

var preluKeys = []string{"name", "alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"}

// The harness's inputs include 0, PReLU's kink, which a finite difference
// straddles unless α is 1 there: the harness runs with α starting at 1 (its
// gradient is still checked, and a step on it lowers the loss), and
// TestPReLUValues holds other α to Keras's formula.
func TestPReLUHarness(t *testing.T) {
	ones := WithAlphaInitializer(initializers.Ones())
	checkLayers(t, []layerCase{
		{name: "PReLU", layer: func() Layer { return PReLU(ones) }, input: []int{3, 2}, output: []int{3, 2}, params: 6, keys: preluKeys},
		{name: "PReLU/per-channel", layer: func() Layer { return PReLU(ones, WithSharedAxes(1, 2)) }, input: []int{2, 3, 2}, output: []int{2, 3, 2},
			params: 2, keys: preluKeys},
		{name: "PReLU/middle-axis", layer: func() Layer { return PReLU(ones, WithSharedAxes(2)) }, input: []int{2, 3, 2}, output: []int{2, 3, 2},
			params: 4, keys: preluKeys},
		{name: "PReLU/regularized", layer: func() Layer {
			return PReLU(ones, WithSharedAxes(1), WithAlphaRegularizer(regularizers.L2(0.1)), WithAlphaConstraint(constraints.NonNeg()))
		}, input: []int{3, 4}, output: []int{3, 4}, params: 4, keys: preluKeys},
	})
}

// TestPReLUValues holds PReLU's output and its gradients (input and α) to
// Keras's formula, relu(x) - α·relu(-x), computed in float64 with α
// broadcast by hand: the α of a value is the one at its index with the
// shared axes set to 0.
func TestPReLUValues(t *testing.T) {
	cases := []struct {
		sample, shared []int
	}{
		{[]int{2, 3}, nil},
		{[]int{2, 3, 2}, []int{1, 2}},
		{[]int{2, 3, 2}, []int{2}},
		{[]int{3, 2, 2}, []int{1, 3}},
		{[]int{4}, []int{1}},
	}
	for _, c := range cases {
		rng := tensor.NewRNG(9)
		l := PReLU(WithSharedAxes(c.shared...), WithAlphaInitializer(initializers.RandomNormal(0.2, 0.5)))
		const batch = 3
		size := tensor.Numel(c.sample)
		x, dy := make([]float32, batch*size), make([]float32, batch*size)
		for i := range x {
			x[i], dy[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		x[0] = 0 // where relu(x) and relu(-x) are both 0
		run := runActLayer(t, l, c.sample, x, dy)
		alpha, ashape := l.Params()[0].Value.Data(), l.Params()[0].Value.Shape()
		dalpha := make([]float64, len(alpha))
		for i, v := range x {
			k := preluAlphaAt(i%size, c.sample, ashape)
			xv, a := float64(v), float64(alpha[k])
			want := max(xv, 0) - a*max(-xv, 0)
			if got := float64(run.y[i]); math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
				t.Errorf("shared %v: f(%v) with α %v = %v, want %v", c.shared, v, a, got, want)
			}
			wantDx := float64(dy[i])
			if xv < 0 {
				wantDx *= a
				dalpha[k] += float64(dy[i]) * xv
			} else if xv == 0 {
				wantDx *= a // goras's choice at the kink: the slope of x ≤ 0
			}
			if got := float64(run.dx[i]); math.Abs(got-wantDx) > 1e-6*(1+math.Abs(wantDx)) {
				t.Errorf("shared %v: dx at %v = %v, want %v", c.shared, v, got, wantDx)
			}
		}
		for k, want := range dalpha {
			if got := float64(run.grads[0][k]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
				t.Errorf("shared %v: dα[%d] = %v, want %v", c.shared, k, got, want)
			}
		}
	}
}

// preluAlphaAt is the flat index in α (shape ashape) of the value at flat
// position pos of a sample of shape sample.
func preluAlphaAt(pos int, sample, ashape []int) int {
	idx := make([]int, len(sample))
	for a := len(sample) - 1; a >= 0; a-- {
		idx[a], pos = pos%sample[a], pos/sample[a]
	}
	k := 0
	for a, d := range ashape {
		if d == 1 {
			idx[a] = 0
		}
		k = k*d + idx[a]
	}
	return k
}

func TestPReLUShapes(t *testing.T) {
	l := PReLU(WithSharedAxes(1, 2))
	l.SetName("p_re_lu")
	ps, out, err := l.ParamShapes([]int{28, 28, 32})
	if err != nil || len(ps) != 1 || ps[0].Name != "p_re_lu/alpha" || !tensor.SameShape(ps[0].Shape, []int{1, 1, 32}) || !tensor.SameShape(out, []int{28, 28, 32}) {
		t.Errorf("ParamShapes = %v, %v, %v; want alpha (1, 1, 32)", ps, out, err)
	}
	if _, err := l.Build([]int{28, 28, 32}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	for _, v := range l.Params()[0].Value.Data() {
		if v != 0 {
			t.Fatalf("α starts at %v, want Keras's zeros", v)
		}
	}
}

func TestPReLUErrors(t *testing.T) {
	checkBuildErrors(t, []buildErrCase{
		{PReLU(WithSharedAxes(3)), []int{4, 4}, "shared axis 3 is out of range for input of shape (None, 4, 4): use 1 to 2"},
		{PReLU(WithSharedAxes(0)), []int{4}, "shared axis 0: shared axes count from 1"},
		{PReLU(WithSharedAxes(-1)), []int{4}, "shared axis -1: shared axes count from 1"},
		{PReLU(WithAlphaInitializer(nil)), []int{4}, "WithAlphaInitializer(nil)"},
		{PReLU(WithUseBias(true)), []int{4}, "PReLU does not take the option use_bias"},
		{PReLU(WithAlphaConstraint(constraints.MaxNorm(1, 5))), []int{4}, "under_test/alpha"},
		{PReLU(), []int{}, "got a scalar per sample"},
	})
}
