package layers

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

var gaussianDropoutKeys = []string{"name", "rate", "seed"}

func TestGaussianDropoutHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "GaussianDropout", layer: func() Layer { return GaussianDropout(0.5) }, input: []int{6}, output: []int{6}, keys: gaussianDropoutKeys, stochastic: true},
		{name: "GaussianDropout/seeded-rank3", layer: func() Layer { return GaussianDropout(0.2, WithSeed(5)) }, input: []int{2, 3, 2}, output: []int{2, 3, 2}, keys: gaussianDropoutKeys, stochastic: true},
		{name: "GaussianDropout/rate-0", layer: func() Layer { return GaussianDropout(0) }, input: []int{4}, output: []int{4}, keys: gaussianDropoutKeys},
	})
}

// TestGaussianDropoutValues holds the training output to Keras's formula
// x·(1 + √(rate/(1-rate))·z): z replayed in float64 from the stream
// WithSeed names, and the factors' moments over 20,000 draws.
func TestGaussianDropoutValues(t *testing.T) {
	const rate = 0.3
	sd := math.Sqrt(rate / (1 - rate))
	x := normalTensor(1, 4, 25, 50)
	y := newStepper(t, GaussianDropout(rate, WithSeed(9)), 1, x).run(true)
	z := tensor.NewRNG(9)
	for i, v := range x.Data() {
		want := float64(v) * (1 + sd*z.NormFloat64())
		if math.Abs(float64(y[i])-want) > 1e-6*(1+math.Abs(want)) {
			t.Fatalf("element %d: %v, want x·(1 + sd·z) = %v", i, y[i], want)
		}
	}
	// Over inputs of 1 the output is the factor itself.
	ones := tensor.New(4, 5000)
	for i := range ones.Data() {
		ones.Data()[i] = 1
	}
	factors := newStepper(t, GaussianDropout(rate), 3, ones).run(true)
	f := make([]float64, len(factors))
	for i, v := range factors {
		f[i] = float64(v)
	}
	checkNormal(t, "GaussianDropout(0.3) factors", f, 1, sd)
	checkInferenceIdentity(t, GaussianDropout(0.9), x)
}

func TestGaussianDropoutSeeds(t *testing.T) {
	checkSeeding(t, func(seeded bool) Layer {
		if seeded {
			return GaussianDropout(0.5, WithSeed(9))
		}
		return GaussianDropout(0.5)
	}, normalTensor(2, 2, 8))
}

func TestGaussianDropoutErrors(t *testing.T) {
	checkBuildErrors(t, []buildErrCase{
		{GaussianDropout(1), []int{4}, "rate must be in [0, 1), got 1"},
		{GaussianDropout(-0.5), []int{4}, "rate must be in [0, 1), got -0.5"},
		{GaussianDropout(0.5, WithKernelSize(3)), []int{4}, "GaussianDropout does not take the option kernel_size"},
	})
	checkConfigErrors(t, []configErrCase{
		{"GaussianDropout", map[string]any{}, `missing "rate"`},
		{"GaussianDropout", map[string]any{"rate": 1.0}, "rate must be in [0, 1), got 1"},
		{"GaussianDropout", map[string]any{"rate": 0.5, "seed": "x"}, `"seed" must be null or a non-negative integer, got "x"`},
		{"GaussianDropout", map[string]any{"rate": 0.5, "trainable": false}, `"trainable" = false is not supported by goras`},
	})
}

func TestGaussianDropoutConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		GaussianDropout(0.1),
		GaussianDropout(0.5, WithSeed(7), WithName("soft_drop")),
	)
	l, err := FromConfig("GaussianDropout", map[string]any{"name": "gaussian_dropout", "trainable": true, "dtype": "float32", "rate": 0.4, "seed": 3.0})
	if err != nil {
		t.Fatal(err)
	}
	if g := l.(*GaussianDropoutLayer); g.Name() != "gaussian_dropout" || g.Rate() != 0.4 || g.Config()["seed"] != uint64(3) {
		t.Errorf("read back as %v", g.Config())
	}
}
