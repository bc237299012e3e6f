package layers

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

var reluKeys = []string{"name", "max_value", "negative_slope", "threshold"}

// The harness's inputs are multiples of 0.05 and include 0, so the kinks
// (threshold, max_value) sit between them, where no finite difference
// straddles one: Keras's default ReLU, kinked at 0, is held to its values
// below instead.
func TestReLUHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "ReLU/threshold", layer: func() Layer { return ReLU(WithThreshold(0.025)) }, input: []int{3, 2}, output: []int{3, 2}, keys: reluKeys},
		{name: "ReLU/all", layer: func() Layer { return ReLU(WithMaxValue(0.275), WithNegativeSlope(0.5), WithThreshold(0.125)) },
			input: []int{12}, output: []int{12}, keys: reluKeys},
		{name: "ReLU/max", layer: func() Layer { return ReLU(WithMaxValue(0.175), WithThreshold(0.075)) }, input: []int{2, 2, 3}, output: []int{2, 2, 3}, keys: reluKeys},
	})
}

// kerasReLU is keras.activations.relu as Keras computes it
// (activations/activations.py, ReLU.static_call), in float64: the positive
// part x·[x > threshold] (max(x, 0) when threshold is 0) clipped to
// [0, max_value], less negative_slope·max(threshold - x, 0).
func kerasReLU(x, slope, maxValue, threshold float64) float64 {
	pos := max(x, 0)
	if threshold != 0 {
		pos = 0
		if x > threshold {
			pos = x
		}
	}
	if !math.IsInf(maxValue, 1) {
		pos = min(max(pos, 0), maxValue)
	}
	if slope == 0 {
		return pos
	}
	return pos - slope*max(threshold-x, 0)
}

// actLayerRun is what runActLayer returns: the output, the input's gradient
// and each trainable weight's gradient.
type actLayerRun struct {
	y, dx []float32
	grads [][]float32
}

// actGradSeed adds a fixed dy to y's gradient: with it last in a plan, the
// backward pass computes the gradients of the loss Σ y·dy.
type actGradSeed struct {
	y  *autograd.Var
	dy []float32
}

func (s *actGradSeed) Forward(bool) {}
func (s *actGradSeed) Backward() {
	for i, g := range s.dy {
		s.y.Grad.Data()[i] += g
	}
}

// runActLayer builds l for per-sample inputs of shape sample, runs one
// training forward pass over x (its length fixes the batch) and the
// backward pass of Σ y·dy.
func runActLayer(t *testing.T, l Layer, sample []int, x, dy []float32) actLayerRun {
	t.Helper()
	if l.Name() == "" {
		l.SetName("under_test")
	}
	if _, err := l.Build(sample, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	return runBuiltActLayer(t, l, sample, x, dy)
}

// runBuiltActLayer is runActLayer for a layer already built (whose
// weights the caller may have set).
func runBuiltActLayer(t *testing.T, l Layer, sample []int, x, dy []float32) actLayerRun {
	t.Helper()
	shape := append([]int{len(x) / tensor.Numel(sample)}, sample...)
	p := autograd.NewPlan(shape[0])
	in := &autograd.Var{Value: tensor.New(shape...), Grad: tensor.New(shape...)}
	copy(in.Value.Data(), x)
	y := l.Call(p, in)
	if y.Value.Len() != len(dy) {
		t.Fatalf("output of %d values, dy has %d", y.Value.Len(), len(dy))
	}
	p.AddOp(&actGradSeed{y: y, dy: dy})
	p.Forward(true)
	p.Backward()
	run := actLayerRun{y: y.Value.Data(), dx: in.Grad.Data()}
	for _, w := range l.Params() {
		if w.Trainable {
			run.grads = append(run.grads, w.Grad.Data())
		}
	}
	return run
}

// TestReLUValues holds ReLU's output and gradient to Keras's formula in
// float64 (the gradient as its central difference), over inputs that
// cover every piece: below the threshold, between it and max_value, above.
func TestReLUValues(t *testing.T) {
	x := []float32{-3, -1.5, -0.2, 0.1, 0.4, 0.7, 1.3, 2.9, 5.5, 7}
	dy := []float32{0.5, -1, 2, 0.25, -0.75, 1.5, -2, 1, 3, -0.5}
	inf := math.Inf(1)
	cases := []struct {
		l                          *ReLULayer
		slope, maxValue, threshold float64
	}{
		{ReLU(), 0, inf, 0},
		{ReLU(WithMaxValue(6)), 0, 6, 0},
		{ReLU(WithNegativeSlope(0.3)), 0.3, inf, 0},
		{ReLU(WithThreshold(0.55)), 0, inf, 0.55},
		{ReLU(WithMaxValue(2), WithNegativeSlope(0.1), WithThreshold(0.25)), 0.1, 2, 0.25},
		{ReLU(WithMaxValue(0.5), WithThreshold(1)), 0, 0.5, 1}, // a cap below the threshold
	}
	for i, c := range cases {
		run := runActLayer(t, c.l, []int{len(x)}, x, dy)
		for j, v := range x {
			xv := float64(v)
			want := kerasReLU(xv, c.slope, c.maxValue, c.threshold)
			if got := float64(run.y[j]); math.Abs(got-want) > 1e-6*(1+math.Abs(want)) {
				t.Errorf("case %d: f(%v) = %v, want %v", i, v, got, want)
			}
			const h = 1e-6
			slope := (kerasReLU(xv+h, c.slope, c.maxValue, c.threshold) - kerasReLU(xv-h, c.slope, c.maxValue, c.threshold)) / (2 * h)
			if want, got := float64(dy[j])*slope, float64(run.dx[j]); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
				t.Errorf("case %d: dx at %v = %v, want %v", i, v, got, want)
			}
		}
	}
}

// TestReLUKerasDocExamples are the examples of Keras's docstrings.
func TestReLUKerasDocExamples(t *testing.T) {
	x := []float32{-10, -5, 0, 5, 10}
	cases := []struct {
		l    *ReLULayer
		want []float32
	}{
		{ReLU(WithMaxValue(10), WithNegativeSlope(0.5)), []float32{-5, -2.5, 0, 5, 10}},
		{ReLU(), []float32{0, 0, 0, 5, 10}},
		{ReLU(WithMaxValue(5)), []float32{0, 0, 0, 5, 5}},
		{ReLU(WithThreshold(5)), []float32{0, 0, 0, 0, 10}}, // f(threshold) is 0
	}
	for i, c := range cases {
		got := runActLayer(t, c.l, []int{5}, x, make([]float32, 5)).y
		for j := range x {
			if got[j] != c.want[j] {
				t.Errorf("case %d: %v, want %v", i, got, c.want)
				break
			}
		}
	}
}

// TestReLUNegativeInfinity: with no negative slope, -Inf gives 0, as Keras
// (which leaves the negative part out), not 0·-Inf = NaN.
func TestReLUNegativeInfinity(t *testing.T) {
	x := []float32{float32(math.Inf(-1)), float32(math.Inf(1))}
	got := runActLayer(t, ReLU(WithThreshold(1), WithMaxValue(3)), []int{2}, x, make([]float32, 2)).y
	if got[0] != 0 || got[1] != 3 {
		t.Errorf("ReLU(threshold 1, max 3) of ±Inf = %v, want [0 3]", got)
	}
}

func TestReLUErrors(t *testing.T) {
	cases := []struct {
		l    *ReLULayer
		want string
	}{
		{ReLU(WithMaxValue(-1)), "max_value must be a finite number ≥ 0, got -1"},
		{ReLU(WithMaxValue(math.NaN())), "max_value must be a finite number ≥ 0, got NaN"},
		{ReLU(WithNegativeSlope(-0.1)), "negative_slope must be a finite number ≥ 0, got -0.1"},
		{ReLU(WithThreshold(math.Inf(1))), "threshold must be a finite number ≥ 0, got +Inf"},
		{ReLU(WithName("r"), WithThreshold(-2)), "threshold must be a finite number ≥ 0, got -2"},
		{ReLU(WithUseBias(false)), "ReLU does not take the option use_bias"},
	}
	for _, c := range cases {
		c.l.SetName("r")
		_, err := c.l.Build([]int{3}, tensor.NewRNG(1))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `layer "r" (ReLU)`) {
			t.Errorf("Build error %v, want one naming the layer and containing %q", err, c.want)
		}
	}
}
