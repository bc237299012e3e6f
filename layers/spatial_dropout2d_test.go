package layers

import (
	"math"
	"testing"
)

var spatialDropoutKeys = []string{"name", "rate", "seed", "data_format"}

func TestSpatialDropout2DHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "SpatialDropout2D", layer: func() Layer { return SpatialDropout2D(0.5) }, input: []int{3, 4, 2}, output: []int{3, 4, 2}, keys: spatialDropoutKeys, stochastic: true},
		{name: "SpatialDropout2D/seeded-9-channels", layer: func() Layer { return SpatialDropout2D(0.3, WithSeed(3)) }, input: []int{2, 2, 9}, output: []int{2, 2, 9}, keys: spatialDropoutKeys, stochastic: true},
		{name: "SpatialDropout2D/rate-0", layer: func() Layer { return SpatialDropout2D(0) }, input: []int{2, 3, 2}, output: []int{2, 3, 2}, keys: spatialDropoutKeys},
	})
}

// TestSpatialDropout2DValues holds the training output to Keras's formula,
// dropout with noise_shape (N, 1, 1, C): every (image, channel) map is
// either all 0 or all x/(1-rate), computed in float64, and the share of
// maps dropped over many steps is rate.
func TestSpatialDropout2DValues(t *testing.T) {
	const rate, n, h, w, c = 0.3, 8, 3, 2, 25
	x := normalTensor(1, n, h, w, c)
	s := newStepper(t, SpatialDropout2D(rate), 1, x)
	dropped, maps := 0, 0
	for step := 0; step < 20; step++ {
		y := s.run(true)
		for img := 0; img < n; img++ {
			for ch := 0; ch < c; ch++ {
				kept := 0
				for px := 0; px < h*w; px++ {
					i := (img*h*w+px)*c + ch
					scaled := float64(x.Data()[i]) / (1 - rate)
					switch {
					case y[i] == 0:
					case math.Abs(float64(y[i])-scaled) <= 1e-6*math.Abs(scaled):
						kept++
					default:
						t.Fatalf("step %d image %d channel %d pixel %d: %v, want 0 or x/(1-rate) = %v", step, img, ch, px, y[i], scaled)
					}
				}
				if kept != 0 && kept != h*w {
					t.Fatalf("step %d image %d channel %d: %d of %d pixels kept; a map is kept or dropped whole", step, img, ch, kept, h*w)
				}
				maps++
				if kept == 0 {
					dropped++
				}
			}
		}
	}
	// 4,000 maps: the binomial share has a standard deviation of 0.0072.
	share := float64(dropped) / float64(maps)
	if math.Abs(share-rate) > 5*math.Sqrt(rate*(1-rate)/float64(maps)) {
		t.Errorf("%d of %d maps dropped (%.4f), want a share near the rate %v", dropped, maps, share, rate)
	}
	checkInferenceIdentity(t, SpatialDropout2D(0.9), x)
}

func TestSpatialDropout2DSeeds(t *testing.T) {
	checkSeeding(t, func(seeded bool) Layer {
		if seeded {
			return SpatialDropout2D(0.5, WithSeed(9))
		}
		return SpatialDropout2D(0.5)
	}, normalTensor(2, 2, 2, 2, 16))
}

func TestSpatialDropout2DErrors(t *testing.T) {
	checkBuildErrors(t, []buildErrCase{
		{SpatialDropout2D(1), []int{2, 2, 3}, "rate must be in [0, 1), got 1"},
		{SpatialDropout2D(-0.1), []int{2, 2, 3}, "rate must be in [0, 1), got -0.1"},
		{SpatialDropout2D(math.NaN()), []int{2, 2, 3}, "rate must be in [0, 1), got NaN"},
		{SpatialDropout2D(0.5, WithActivation("relu")), []int{2, 2, 3}, "SpatialDropout2D does not take the option activation"},
		{SpatialDropout2D(0.5), []int{12}, "expects images of shape (height, width, channels), got input of shape (None, 12)"},
	})
	checkConfigErrors(t, []configErrCase{
		{"SpatialDropout2D", map[string]any{}, `missing "rate"`},
		{"SpatialDropout2D", map[string]any{"rate": 1.5}, "rate must be in [0, 1), got 1.5"},
		{"SpatialDropout2D", map[string]any{"rate": 0.5, "seed": 1.5}, `"seed" must be null or a non-negative integer, got 1.5`},
		{"SpatialDropout2D", map[string]any{"rate": 0.5, "data_format": "channels_first"}, `"data_format" = "channels_first" is not supported by goras (only "channels_last")`},
		{"SpatialDropout2D", map[string]any{"rate": 0.5, "noise_shape": nil}, "unknown key(s) noise_shape"},
	})
}

func TestSpatialDropout2DConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		SpatialDropout2D(0.25),
		SpatialDropout2D(0.5, WithSeed(1234), WithName("drop_maps")),
	)
	// Keras 3's get_config, with its bookkeeping keys.
	l, err := FromConfig("SpatialDropout2D", map[string]any{"name": "spatial_dropout2d", "trainable": true,
		"dtype": "float32", "rate": 0.2, "seed": 7.0, "data_format": "channels_last"})
	if err != nil {
		t.Fatal(err)
	}
	sd := l.(*SpatialDropout2DLayer)
	if sd.Name() != "spatial_dropout2d" || sd.Rate() != 0.2 || sd.Config()["seed"] != uint64(7) {
		t.Errorf("read back as %v", sd.Config())
	}
}
