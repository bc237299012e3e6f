package layers

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

var gaussianNoiseKeys = []string{"name", "stddev", "seed"}

func TestGaussianNoiseHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "GaussianNoise", layer: func() Layer { return GaussianNoise(0.1) }, input: []int{6}, output: []int{6}, keys: gaussianNoiseKeys, stochastic: true},
		{name: "GaussianNoise/seeded-rank3", layer: func() Layer { return GaussianNoise(1, WithSeed(5)) }, input: []int{2, 3, 2}, output: []int{2, 3, 2}, keys: gaussianNoiseKeys, stochastic: true},
		{name: "GaussianNoise/stddev-0", layer: func() Layer { return GaussianNoise(0) }, input: []int{4}, output: []int{4}, keys: gaussianNoiseKeys},
	})
}

// noiseMoments returns the mean, the standard deviation and the share
// within one standard deviation of the mean of v, in float64.
func noiseMoments(v []float64) (mean, sd, within1 float64) {
	for _, e := range v {
		mean += e
	}
	mean /= float64(len(v))
	for _, e := range v {
		sd += (e - mean) * (e - mean)
	}
	sd = math.Sqrt(sd / float64(len(v)-1))
	for _, e := range v {
		if math.Abs(e-mean) <= sd {
			within1++
		}
	}
	return mean, sd, within1 / float64(len(v))
}

// checkNormal: the sample v of n values has the mean and standard deviation
// given and the normal share 0.6827 within one of them, to 5 standard errors.
func checkNormal(t *testing.T, name string, v []float64, mean, sd float64) {
	t.Helper()
	m, s, w := noiseMoments(v)
	n := float64(len(v))
	if math.Abs(m-mean) > 5*sd/math.Sqrt(n) {
		t.Errorf("%s: mean %v, want %v", name, m, mean)
	}
	if math.Abs(s*s-sd*sd) > 5*sd*sd*math.Sqrt(2/n) {
		t.Errorf("%s: standard deviation %v, want %v", name, s, sd)
	}
	if p := math.Erf(1 / math.Sqrt2); math.Abs(w-p) > 5*math.Sqrt(p*(1-p)/n) {
		t.Errorf("%s: %.4f within one standard deviation, want a normal's %.4f", name, w, p)
	}
}

// TestGaussianNoiseValues holds the training output to Keras's formula
// x + stddev·z: z replayed in float64 from the stream WithSeed names, and
// the noise's moments over 20,000 draws.
func TestGaussianNoiseValues(t *testing.T) {
	const stddev = 0.4
	x := normalTensor(1, 4, 25, 50)
	y := newStepper(t, GaussianNoise(stddev, WithSeed(9)), 1, x).run(true)
	z := tensor.NewRNG(9)
	noise := make([]float64, len(y))
	for i, v := range x.Data() {
		want := float64(v) + stddev*z.NormFloat64()
		if math.Abs(float64(y[i])-want) > 1e-6*(1+math.Abs(want)) {
			t.Fatalf("element %d: %v, want x + stddev·z = %v", i, y[i], want)
		}
		noise[i] = float64(y[i]) - float64(v)
	}
	checkNormal(t, "GaussianNoise(0.4) noise", noise, 0, stddev)
	checkInferenceIdentity(t, GaussianNoise(1), x)
}

func TestGaussianNoiseSeeds(t *testing.T) {
	checkSeeding(t, func(seeded bool) Layer {
		if seeded {
			return GaussianNoise(0.5, WithSeed(9))
		}
		return GaussianNoise(0.5)
	}, normalTensor(2, 2, 8))
}

func TestGaussianNoiseErrors(t *testing.T) {
	checkBuildErrors(t, []buildErrCase{
		{GaussianNoise(1.5), []int{4}, "stddev must be in [0, 1] as in Keras, got 1.5"},
		{GaussianNoise(-0.1), []int{4}, "stddev must be in [0, 1] as in Keras, got -0.1"},
		{GaussianNoise(math.NaN()), []int{4}, "got NaN"},
		{GaussianNoise(0.1, WithUseBias(true)), []int{4}, "GaussianNoise does not take the option use_bias"},
	})
	checkConfigErrors(t, []configErrCase{
		{"GaussianNoise", map[string]any{}, `missing "stddev"`},
		{"GaussianNoise", map[string]any{"stddev": "0.1"}, `"stddev" must be a number`},
		{"GaussianNoise", map[string]any{"stddev": 2.0}, "stddev must be in [0, 1] as in Keras, got 2"},
		{"GaussianNoise", map[string]any{"stddev": 0.1, "seed": -3.0}, `"seed" must be null or a non-negative integer, got -3`},
		{"GaussianNoise", map[string]any{"stddev": 0.1, "rate": 0.5}, "unknown key(s) rate"},
	})
}

func TestGaussianNoiseConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		GaussianNoise(0.1),
		GaussianNoise(1, WithSeed(42), WithName("jitter")),
	)
	l, err := FromConfig("GaussianNoise", map[string]any{"name": "gaussian_noise", "trainable": true, "dtype": "float32", "stddev": 0.3, "seed": nil})
	if err != nil {
		t.Fatal(err)
	}
	if g := l.(*GaussianNoiseLayer); g.Name() != "gaussian_noise" || g.Stddev() != 0.3 || g.Config()["seed"] != nil {
		t.Errorf("read back as %v", g.Config())
	}
}
