package layers

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/initializers"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

var layerNormKeys = []string{"name", "axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer", "gamma_initializer",
	"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"}

func TestLayerNormalizationHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "LayerNormalization", layer: func() Layer { return LayerNormalization() }, input: []int{6}, output: []int{6}, params: 12, keys: layerNormKeys},
		{name: "LayerNormalization/rank3", layer: func() Layer { return LayerNormalization() }, input: []int{2, 3, 4}, output: []int{2, 3, 4},
			params: 8, keys: layerNormKeys},
		{name: "LayerNormalization/last-two", layer: func() Layer { return LayerNormalization(WithAxes(-2, -1)) }, input: []int{3, 4}, output: []int{3, 4},
			params: 24, keys: layerNormKeys},
		{name: "LayerNormalization/image", layer: func() Layer { return LayerNormalization(WithAxes(1, 2, 3)) }, input: []int{2, 2, 3},
			output: []int{2, 2, 3}, params: 24, keys: layerNormKeys},
		{name: "LayerNormalization/no-center", layer: func() Layer { return LayerNormalization(WithCenter(false), WithEpsilon(1e-2)) },
			input: []int{5}, output: []int{5}, params: 5, keys: layerNormKeys},
		{name: "LayerNormalization/neither", layer: func() Layer { return LayerNormalization(WithCenter(false), WithScale(false)) },
			input: []int{2, 5}, output: []int{2, 5}, keys: layerNormKeys},
		{name: "LayerNormalization/rms", layer: func() Layer { return LayerNormalization(WithRMSScaling(true), WithScale(false)) },
			input: []int{3, 4}, output: []int{3, 4}, params: 4, keys: layerNormKeys},
		{name: "LayerNormalization/regularized", layer: func() Layer {
			return LayerNormalization(WithGammaRegularizer(regularizers.L2(0.1)), WithBetaRegularizer(regularizers.L1(0.1)),
				WithGammaConstraint(constraints.NonNeg()), WithBetaConstraint(constraints.MaxNorm(2)))
		}, input: []int{4}, output: []int{4}, params: 8, keys: layerNormKeys},
	})
}

// layerNormKeras is Keras's LayerNormalization.call in float64 for one
// sample's normalized values x: mean and variance over them,
// inv = rsqrt(variance + ε)·γ, y = x·inv - mean·inv + β; with rms_scaling,
// y = x·rsqrt(variance + ε)·γ. nil gamma and beta act as 1 and 0.
func layerNormKeras(x, gamma, beta []float64, eps float64, rms bool) []float64 {
	n := float64(len(x))
	var mean, v float64
	for _, xi := range x {
		mean += xi / n
	}
	for _, xi := range x {
		v += (xi - mean) * (xi - mean) / n
	}
	y := make([]float64, len(x))
	for j, xi := range x {
		inv := 1 / math.Sqrt(v+eps)
		if gamma != nil {
			inv *= gamma[j]
		}
		if rms {
			y[j] = xi * inv
			continue
		}
		y[j] = xi*inv - mean*inv
		if beta != nil {
			y[j] += beta[j]
		}
	}
	return y
}

// TestLayerNormalizationValues holds the layer's output to Keras's formula
// in float64, and its gradients (input, γ, β) to central differences of
// that formula in float64, with γ and β drawn at random.
func TestLayerNormalizationValues(t *testing.T) {
	rnd := WithGammaInitializer(initializers.RandomNormal(1, 0.5))
	rndBeta := WithBetaInitializer(initializers.RandomNormal(0, 0.5))
	cases := []struct {
		name   string
		l      *LayerNormLayer
		sample []int
		groups int // normalized groups per sample
	}{
		{"last", LayerNormalization(rnd, rndBeta), []int{3, 5}, 3},
		{"last-two", LayerNormalization(rnd, rndBeta, WithAxes(-2, -1)), []int{3, 5}, 1},
		{"eps", LayerNormalization(rnd, rndBeta, WithEpsilon(0.5)), []int{6}, 1},
		{"no-scale", LayerNormalization(rndBeta, WithScale(false)), []int{2, 4}, 2},
		{"no-center", LayerNormalization(rnd, WithCenter(false)), []int{2, 4}, 2},
		{"rms", LayerNormalization(rnd, WithRMSScaling(true)), []int{2, 4}, 2},
	}
	for _, c := range cases {
		const batch = 2
		rng := tensor.NewRNG(17)
		size := tensor.Numel(c.sample)
		x, dy := make([]float32, batch*size), make([]float32, batch*size)
		for i := range x {
			x[i], dy[i] = float32(0.3+2*rng.NormFloat64()), float32(rng.NormFloat64())
		}
		run := runActLayer(t, c.l, c.sample, x, dy)
		var gamma, beta []float64
		for _, w := range c.l.Params() {
			v := make([]float64, w.Value.Len())
			for i, f := range w.Value.Data() {
				v[i] = float64(f)
			}
			if strings.HasSuffix(w.Name, "/gamma") {
				gamma = v
			} else {
				beta = v
			}
		}
		n := size / c.groups
		dgamma, dbeta := make([]float64, n), make([]float64, n)
		for g := 0; g < batch*c.groups; g++ {
			row := make([]float64, n)
			for j := range row {
				row[j] = float64(x[g*n+j])
			}
			ref := func(row, gamma, beta []float64) float64 { // Σ y·dy
				var s float64
				for j, v := range layerNormKeras(row, gamma, beta, c.l.Epsilon(), c.l.RMSScaling()) {
					s += v * float64(dy[g*n+j])
				}
				return s
			}
			want := layerNormKeras(row, gamma, beta, c.l.Epsilon(), c.l.RMSScaling())
			for j := range row {
				if got := float64(run.y[g*n+j]); math.Abs(got-want[j]) > 2e-6*(1+math.Abs(want[j])) {
					t.Errorf("%s: y[%d] = %v, want %v", c.name, g*n+j, got, want[j])
				}
				if got, wantDx := float64(run.dx[g*n+j]), centralDiff(row, j, func() float64 { return ref(row, gamma, beta) }); math.Abs(got-wantDx) > 1e-5*(1+math.Abs(wantDx)) {
					t.Errorf("%s: dx[%d] = %v, want %v", c.name, g*n+j, got, wantDx)
				}
				if gamma != nil {
					dgamma[j] += centralDiff(gamma, j, func() float64 { return ref(row, gamma, beta) })
				}
				if beta != nil {
					dbeta[j] += centralDiff(beta, j, func() float64 { return ref(row, gamma, beta) })
				}
			}
		}
		for i, w := range c.l.Params() { // every weight is trainable: grads[i] is w's
			want := dbeta
			if strings.HasSuffix(w.Name, "/gamma") {
				want = dgamma
			}
			for j, wj := range want {
				if got := float64(run.grads[i][j]); math.Abs(got-wj) > 1e-5*(1+math.Abs(wj)) {
					t.Errorf("%s: gradient of %s[%d] = %v, want %v", c.name, w.Name, j, got, wj)
				}
			}
		}
	}
}

// centralDiff is the derivative of f with respect to v[j], by central
// differences in float64, restoring v[j].
func centralDiff(v []float64, j int, f func() float64) float64 {
	const h = 1e-6
	orig := v[j]
	v[j] = orig + h
	up := f()
	v[j] = orig - h
	down := f()
	v[j] = orig
	return (up - down) / (2 * h)
}

// layerNormGolden is one case of testdata/layer_norm_golden.json.
type layerNormGolden struct {
	Name          string
	Shape         []int
	Axes          int
	Epsilon       float64
	X, DY, Y, DX  []float64
	Gamma, Beta   []float64
	DGamma, DBeta []float64
}

// TestLayerNormalizationAgainstPyTorch compares the output and every
// gradient with PyTorch's torch.nn.functional.layer_norm (eps 1e-3) in
// float64, from testdata/layer_norm_golden.json (written by
// testdata/layer_norm_golden.py).
func TestLayerNormalizationAgainstPyTorch(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "layer_norm_golden.json"))
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 layers/testdata/layer_norm_golden.py)", err)
	}
	var file struct{ Cases []layerNormGolden }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 4 {
		t.Fatalf("%d cases in the golden file, want 4", len(file.Cases))
	}
	for _, c := range file.Cases {
		axes := make([]int, c.Axes)
		for i := range axes {
			axes[i] = i - c.Axes // -Axes, ..., -1
		}
		opts := []LayerNormOption{WithAxes(axes...), WithEpsilon(c.Epsilon)}
		if c.Gamma == nil {
			opts = append(opts, WithCenter(false), WithScale(false))
		}
		l := LayerNormalization(opts...)
		l.SetName("layer_normalization")
		if _, err := l.Build(c.Shape[1:], tensor.NewRNG(1)); err != nil {
			t.Fatal(err)
		}
		if c.Gamma != nil {
			copy64(l.Params()[0].Value.Data(), c.Gamma)
			copy64(l.Params()[1].Value.Data(), c.Beta)
		}
		x, dy := make([]float32, len(c.X)), make([]float32, len(c.DY))
		copy64(x, c.X)
		copy64(dy, c.DY)
		run := runBuiltActLayer(t, l, c.Shape[1:], x, dy)
		goldenClose(t, c.Name+" y", run.y, c.Y)
		goldenClose(t, c.Name+" dx", run.dx, c.DX)
		if c.Gamma != nil {
			goldenClose(t, c.Name+" dgamma", run.grads[0], c.DGamma)
			goldenClose(t, c.Name+" dbeta", run.grads[1], c.DBeta)
		}
	}
}

func copy64(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] = float32(v)
	}
}

// goldenClose compares within 1e-5 relative, plus 1e-5 of the largest
// value for those small only through cancellation.
func goldenClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale float64
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > 1e-5*(math.Abs(w)+scale) {
			t.Errorf("%s[%d] = %v, PyTorch %v", what, i, got[i], w)
		}
	}
}

func TestLayerNormalizationShapes(t *testing.T) {
	cases := []struct {
		l      *LayerNormLayer
		input  []int
		params [][]int
	}{
		{LayerNormalization(), []int{28, 28, 32}, [][]int{{32}, {32}}},
		{LayerNormalization(WithAxes(1, 2, 3)), []int{7, 7, 4}, [][]int{{7, 7, 4}, {7, 7, 4}}},
		{LayerNormalization(WithAxis(2)), []int{5, 6}, [][]int{{6}, {6}}},
		{LayerNormalization(WithCenter(false)), []int{5}, [][]int{{5}}},
		{LayerNormalization(WithRMSScaling(true), WithScale(false), WithCenter(true)), []int{5}, [][]int{{5}}},
		{LayerNormalization(WithScale(false), WithCenter(false)), []int{5}, nil},
	}
	for i, c := range cases {
		c.l.SetName("ln")
		ps, out, err := c.l.ParamShapes(c.input)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.l.Build(c.input, tensor.NewRNG(1)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out, c.input) || len(ps) != len(c.params) || len(c.l.Params()) != len(ps) {
			t.Fatalf("case %d: ParamShapes %v → %v, Params %d, want %v", i, ps, out, len(c.l.Params()), c.params)
		}
		for j, p := range c.l.Params() {
			if !slices.Equal(ps[j].Shape, c.params[j]) || p.Name != ps[j].Name || !slices.Equal(p.Value.Shape(), c.params[j]) {
				t.Errorf("case %d: weight %s %v (ParamShapes %s %v), want %v", i, p.Name, p.Value.Shape(), ps[j].Name, ps[j].Shape, c.params[j])
			}
		}
	}
}

func TestLayerNormalizationErrors(t *testing.T) {
	checkBuildErrors(t, []buildErrCase{
		{LayerNormalization(WithAxis(1)), []int{4, 3}, "axes [1] of input of shape (None, 4, 3) do not end with the last axis"},
		{LayerNormalization(WithAxes(1, 2)), []int{4, 3, 2}, "do not end with the last axis; goras normalizes over trailing axes"},
		{LayerNormalization(WithAxes(-1, -2)), []int{4, 3}, "are not adjacent axes in increasing order"},
		{LayerNormalization(WithAxis(0)), []int{4}, "axis 0 is the batch axis"},
		{LayerNormalization(WithAxis(-3)), []int{4}, "axis -3 is out of range for input of shape (None, 4)"},
		{LayerNormalization(WithAxes()), []int{4}, "WithAxes with no axis"},
		{LayerNormalization(WithAxis(-1), WithAxes(-1)), []int{4}, "both WithAxis and WithAxes"},
		{LayerNormalization(WithMomentum(0.9)), []int{4}, "does not take WithMomentum"},
		{LayerNormalization(WithMovingVarianceInitializer(initializers.Ones())), []int{4}, "does not take WithMovingMeanInitializer or WithMovingVarianceInitializer"},
		{LayerNormalization(WithEpsilon(0)), []int{4}, "epsilon must be a finite number > 0, got 0"},
		{LayerNormalization(WithGammaInitializer(nil)), []int{4}, "WithGammaInitializer(nil)"},
		{LayerNormalization(WithUseBias(true)), []int{4}, "LayerNormalization does not take the option use_bias"},
		{LayerNormalization(WithGammaConstraint(constraints.MaxNorm(1, 3))), []int{4}, "under_test/gamma"},
		{LayerNormalization(), []int{}, "got a scalar per sample"},
	})
	// BatchNormalization refuses the options only LayerNormalization takes.
	for _, o := range []BatchNormOption{WithRMSScaling(true), WithGammaConstraint(constraints.NonNeg()), WithAxes(-1)} {
		l := BatchNormalization(o)
		l.SetName("bn")
		if _, err := l.Build([]int{4}, tensor.NewRNG(1)); err == nil || !strings.Contains(err.Error(), "BatchNormalization does not take the option") {
			t.Errorf("BatchNormalization with a LayerNormalization option: error %v", err)
		}
	}
}
