package layers

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

var softmaxKeys = []string{"name", "axis"}

func TestSoftmaxHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "Softmax", layer: func() Layer { return Softmax() }, input: []int{5}, output: []int{5}, keys: softmaxKeys},
		{name: "Softmax/last-of-3", layer: func() Layer { return Softmax() }, input: []int{2, 3, 2}, output: []int{2, 3, 2}, keys: softmaxKeys},
		{name: "Softmax/axis1", layer: func() Layer { return Softmax(WithAxis(1)) }, input: []int{3, 4}, output: []int{3, 4}, keys: softmaxKeys},
		{name: "Softmax/axis-2", layer: func() Layer { return Softmax(WithAxis(-2)) }, input: []int{2, 3, 2}, output: []int{2, 3, 2}, keys: softmaxKeys},
		{name: "Softmax/axes", layer: func() Layer { return Softmax(WithAxes(-2, -1)) }, input: []int{2, 3, 2}, output: []int{2, 3, 2}, keys: softmaxKeys},
	})
}

// softmaxRef is softmax over the axes first..last of x (shape, batch
// included) in float64, as Keras computes it: exp(x - max) / Σ exp(x - max).
func softmaxRef(x []float32, shape []int, first, last int) []float64 {
	outer, n, inner := tensor.Numel(shape[:first]), tensor.Numel(shape[first:last+1]), tensor.Numel(shape[last+1:])
	y := make([]float64, len(x))
	for o := range outer {
		for i := range inner {
			at := func(k int) int { return (o*n+k)*inner + i }
			mx := math.Inf(-1)
			for k := range n {
				mx = max(mx, float64(x[at(k)]))
			}
			var s float64
			for k := range n {
				s += math.Exp(float64(x[at(k)]) - mx)
			}
			for k := range n {
				y[at(k)] = math.Exp(float64(x[at(k)])-mx) / s
			}
		}
	}
	return y
}

// TestSoftmaxValues holds the layer's output, and its input gradient
// y·(dy - Σ dy·y), to Keras's formula in float64, for every way of giving
// the axis.
func TestSoftmaxValues(t *testing.T) {
	sample := []int{3, 4, 2}
	cases := []struct {
		l           *SoftmaxLayer
		first, last int // on the full shape
	}{
		{Softmax(), 3, 3},
		{Softmax(WithAxis(3)), 3, 3},
		{Softmax(WithAxes(-1)), 3, 3},
		{Softmax(WithAxis(1)), 1, 1},
		{Softmax(WithAxis(-2)), 2, 2},
		{Softmax(WithAxes(1, 2)), 1, 2},
		{Softmax(WithAxes(-3, -2, -1)), 1, 3},
	}
	rng := tensor.NewRNG(11)
	const batch = 2
	shape := append([]int{batch}, sample...)
	x, dy := make([]float32, tensor.Numel(shape)), make([]float32, tensor.Numel(shape))
	for i := range x {
		x[i], dy[i] = float32(3*rng.NormFloat64()), float32(rng.NormFloat64())
	}
	for _, c := range cases {
		run := runActLayer(t, c.l, sample, x, dy)
		want := softmaxRef(x, shape, c.first, c.last)
		// Σ dy·y over each softmax group, from the reference y.
		dot := make([]float64, len(x))
		outer, n, inner := tensor.Numel(shape[:c.first]), tensor.Numel(shape[c.first:c.last+1]), tensor.Numel(shape[c.last+1:])
		for o := range outer {
			for i := range inner {
				var s float64
				for k := range n {
					j := (o*n+k)*inner + i
					s += float64(dy[j]) * want[j]
				}
				for k := range n {
					dot[(o*n+k)*inner+i] = s
				}
			}
		}
		for j := range x {
			if math.Abs(float64(run.y[j])-want[j]) > 1e-6 {
				t.Fatalf("axes %v: y[%d] = %v, want %v", c.l.Axes(), j, run.y[j], want[j])
			}
			wantDx := want[j] * (float64(dy[j]) - dot[j])
			if math.Abs(float64(run.dx[j])-wantDx) > 1e-5 {
				t.Fatalf("axes %v: dx[%d] = %v, want %v", c.l.Axes(), j, run.dx[j], wantDx)
			}
		}
	}
}

// TestSoftmaxLastAxisIsFused: over the last axis the layer is the softmax
// op a cross-entropy loss reads the logits of, so that a model ending in
// Softmax() trains as one ending in Activation("softmax").
func TestSoftmaxLastAxisIsFused(t *testing.T) {
	for _, l := range []*SoftmaxLayer{Softmax(), Softmax(WithAxis(-1)), Softmax(WithAxes(1))} {
		l.SetName("s")
		if _, err := l.Build([]int{3}, nil); err != nil {
			t.Fatal(err)
		}
		p := autograd.NewPlan(2)
		x := p.Input(3)
		copy(x.Value.Data(), []float32{100, -100, 0, 3, 1, 2})
		target := &autograd.Var{Value: tensor.New(2, 3)}
		copy(target.Value.Data(), []float32{0, 1, 0, 1, 0, 0})
		loss := p.CategoricalCrossentropy(l.Call(p, x), target, false, 0)
		p.Forward(true)
		// From logits: 200 for the first sample (log-sum-exp, not log 0 =
		// Inf or a clipped 16.1), log(1 + e^-2 + e^-1) for the second.
		want := (200 + math.Log(1+math.Exp(-2)+math.Exp(-1))) / 2
		if got := loss.Loss(); math.Abs(got-want) > 1e-4 {
			t.Errorf("axes %v: cross-entropy after Softmax = %v, want %v (from the logits)", l.Axes(), got, want)
		}
	}
}

func TestSoftmaxErrors(t *testing.T) {
	checkBuildErrors(t, []buildErrCase{
		{Softmax(WithAxis(0)), []int{4}, "axis 0 is the batch axis"},
		{Softmax(WithAxis(-3)), []int{4, 2}, "axis -3 is the batch axis"},
		{Softmax(WithAxis(3)), []int{4, 2}, "axis 3 is out of range for input of shape (None, 4, 2): use 1 to 2, or -2 to -1"},
		{Softmax(WithAxes(1, 3)), []int{4, 2, 3}, "axes [1 3] of input of shape (None, 4, 2, 3) are not adjacent axes in increasing order"},
		{Softmax(WithAxes(-1, -2)), []int{4, 2}, "axes [-1 -2] of input of shape (None, 4, 2) are not adjacent"},
		{Softmax(WithAxes(1, 1)), []int{4, 2}, "not adjacent"},
		{Softmax(WithAxes()), []int{4}, "WithAxes with no axis"},
		{Softmax(WithAxis(1), WithAxes(1)), []int{4}, "both WithAxis and WithAxes"},
		{Softmax(WithUseBias(true)), []int{4}, "Softmax does not take the option use_bias"},
		{Softmax(), []int{}, "got a scalar per sample"},
	})
}
