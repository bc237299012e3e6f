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

var augmentKeys = []string{"name", "fill_mode", "fill_value", "interpolation", "seed", "data_format"}

func withKeys(keys ...string) []string { return append(slices.Clone(augmentKeys), keys...) }

// TestAugmentHarness runs the shared layer checks; stochastic: the
// gradients are checked at inference, where the layers are the identity,
// and the training step (with augmentation on) must allocate nothing.
func TestAugmentHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "RandomRotation", layer: func() Layer { return RandomRotation(0.1) }, input: []int{5, 4, 2}, output: []int{5, 4, 2}, keys: withKeys("factor"), stochastic: true},
		{name: "RandomTranslation", layer: func() Layer { return RandomTranslation(0.2, [2]float64{-0.1, 0.3}, WithFillMode("constant")) }, input: []int{4, 4, 1}, output: []int{4, 4, 1}, keys: withKeys("height_factor", "width_factor"), stochastic: true},
		{name: "RandomZoom", layer: func() Layer { return RandomZoom(0.2, WithFillMode("nearest"), WithInterpolation("nearest")) }, input: []int{6, 5, 1}, output: []int{6, 5, 1}, keys: withKeys("height_factor", "width_factor"), stochastic: true},
	})
}

// TestAugmentInferenceIsIdentity: at inference the output is the input bit
// for bit, in a training plan (a copy) and in an inference plan (the very
// same var).
func TestAugmentInferenceIsIdentity(t *testing.T) {
	x := make([]float32, 3*6*6*2)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	for _, l := range []Layer{RandomRotation(0.5), RandomTranslation(0.5, 0.5), RandomZoom(0.5)} {
		if got := augmentRun(t, l, 1, false, 6, 6, 2, x); !slices.Equal(got, x) {
			t.Errorf("%s at inference changed the images", l.ClassName())
		}
		if got := augmentRun(t, l, 1, true, 6, 6, 2, x); slices.Equal(got, x) {
			t.Errorf("%s in training left the images unchanged", l.ClassName())
		}
		p := autograd.NewInferencePlan(3)
		in := p.Input(6, 6, 2)
		if l.Call(p, in) != in {
			t.Errorf("%s in an inference plan made a new var", l.ClassName())
		}
	}
}

// TestAugmentSeeded: the model's seed (the generator passed to Build)
// fixes the transforms; another seed gives others; WithSeed overrides the
// model's; successive steps draw new transforms.
func TestAugmentSeeded(t *testing.T) {
	x := make([]float32, 4*8*8)
	for i := range x {
		x[i] = float32(i % 64 % 13) // every image the same
	}
	makers := []func(...AugmentOption) Layer{
		func(o ...AugmentOption) Layer { return RandomRotation(0.1, o...) },
		func(o ...AugmentOption) Layer { return RandomTranslation(0.1, 0.1, o...) },
		func(o ...AugmentOption) Layer { return RandomZoom(0.1, o...) },
	}
	for _, mk := range makers {
		a := augmentRun(t, mk(), 7, true, 8, 8, 1, x)
		b := augmentRun(t, mk(), 7, true, 8, 8, 1, x)
		c := augmentRun(t, mk(), 8, true, 8, 8, 1, x)
		name := mk().ClassName()
		if !slices.Equal(a, b) {
			t.Errorf("%s: the same seed gave different images", name)
		}
		if slices.Equal(a, c) {
			t.Errorf("%s: seeds 7 and 8 gave the same images", name)
		}
		if d := augmentRun(t, mk(WithSeed(99)), 7, true, 8, 8, 1, x); !slices.Equal(d, augmentRun(t, mk(WithSeed(99)), 8, true, 8, 8, 1, x)) {
			t.Errorf("%s: WithSeed did not override the model's seed", name)
		}

		l := mk()
		l.Build([]int{8, 8, 1}, tensor.NewRNG(7))
		p := autograd.NewPlan(4)
		in := p.Input(8, 8, 1)
		copy(in.Value.Data(), x)
		y := l.Call(p, in)
		p.Forward(true)
		first := slices.Clone(y.Value.Data())
		p.Forward(true)
		if slices.Equal(first, y.Value.Data()) {
			t.Errorf("%s: two steps drew the same transforms", name)
		}
		for i := 1; i < 4; i++ {
			if slices.Equal(first[:64], first[64*i:64*(i+1)]) {
				t.Errorf("%s: images 0 and %d got the same transform", name, i)
			}
		}
	}
}

// TestAugmentDrawsWithinFactor samples many maps and recovers the angle,
// shift and zoom of each: all inside the range, and the range covered.
func TestAugmentDrawsWithinFactor(t *testing.T) {
	const n, h, w = 2000, 28, 20
	m := make([]float64, 6*n)
	check := func(what string, vals []float64, lo, hi float64) {
		t.Helper()
		mn, mx := slices.Min(vals), slices.Max(vals)
		span := hi - lo
		if mn < lo-1e-9 || mx > hi+1e-9 || mn > lo+0.02*span || mx < hi-0.02*span {
			t.Errorf("%s drawn over [%v, %v], want [%v, %v] covered", what, mn, mx, lo, hi)
		}
	}
	rot := RandomRotation(0.1)
	rot.Build([]int{h, w, 1}, tensor.NewRNG(1))
	rot.SampleAffine(m, h, w)
	var deg []float64
	for i := 0; i < len(m); i += 6 {
		deg = append(deg, math.Atan2(m[i+3], m[i])*180/math.Pi)
		// The centre stays put.
		cx, cy := float64(w-1)/2, float64(h-1)/2
		if x, y := m[i]*cx+m[i+1]*cy+m[i+2], m[i+3]*cx+m[i+4]*cy+m[i+5]; math.Abs(x-cx) > 1e-9 || math.Abs(y-cy) > 1e-9 {
			t.Fatalf("rotation moves the centre to (%v, %v)", x, y)
		}
	}
	check("rotation 0.1 (degrees)", deg, -36, 36)

	tr := RandomTranslation([2]float64{0.1, -0.05}, 0.2)
	tr.Build([]int{h, w, 1}, tensor.NewRNG(1))
	tr.SampleAffine(m, h, w)
	var dx, dy []float64
	for i := 0; i < len(m); i += 6 {
		dx, dy = append(dx, -m[i+2]), append(dy, -m[i+5])
	}
	check("shift down (pixels)", dy, -0.05*h, 0.1*h)
	check("shift right (pixels)", dx, -0.2*w, 0.2*w)

	z := RandomZoom(0.1, WithWidthFactor([2]float64{0.2, 0.3}))
	z.Build([]int{h, w, 1}, tensor.NewRNG(1))
	z.SampleAffine(m, h, w)
	var zx, zy []float64
	for i := 0; i < len(m); i += 6 {
		zx, zy = append(zx, m[i]), append(zy, m[i+4])
	}
	check("height zoom", zy, 0.9, 1.1)
	check("width zoom", zx, 1.2, 1.3)
	z = RandomZoom(0.1)
	z.Build([]int{h, w, 1}, tensor.NewRNG(1))
	z.SampleAffine(m, h, w)
	for i := 0; i < len(m); i += 6 {
		if m[i] != m[i+4] {
			t.Fatalf("without a width factor the zoom changed the aspect: %v across, %v down", m[i], m[i+4])
		}
	}
}

// TestAugmentStaysInRange: bilinear outputs are convex combinations of
// input values (and the fill, 0 here, inside the range too).
func TestAugmentStaysInRange(t *testing.T) {
	x := make([]float32, 16*10*10)
	for i := range x {
		x[i] = float32((i*37)%101) / 100
	}
	for _, mode := range []string{"constant", "reflect", "nearest", "wrap"} {
		for _, l := range []Layer{
			RandomRotation(0.5, WithFillMode(mode)),
			RandomTranslation(0.3, 0.3, WithFillMode(mode)),
			RandomZoom(0.5, WithFillMode(mode)),
		} {
			for i, v := range augmentRun(t, l, 3, true, 10, 10, 1, x) {
				if v < -1e-6 || v > 1+1e-6 {
					t.Fatalf("%s %s: output %d = %v outside [0, 1]", l.ClassName(), mode, i, v)
				}
			}
		}
	}
}

func TestAugmentErrors(t *testing.T) {
	for _, c := range []struct {
		l    Layer
		want string
	}{
		{RandomRotation(1.5), "factor must be a number or a pair of numbers in [-1, 1], got 1.5"},
		{RandomTranslation(0.1, [2]float64{0, 2}), "width factor must be"},
		{RandomZoom(0.1, WithWidthFactor(-3.0)), "width factor must be"},
		{RandomRotation(0.1, WithFillMode("mirror")), `fill mode "mirror" is not one of reflect, constant, nearest, wrap`},
		{RandomZoom(0.1, WithInterpolation("bicubic")), `interpolation "bicubic" is not one of bilinear, nearest`},
		{RandomRotation(0.1, WithWidthFactor(0.1)), "RandomRotation does not take WithWidthFactor"},
		{RandomTranslation(0.1, 0.1, WithFillValue(math.NaN())), "fill value must be finite"},
		{RandomRotation(0.1, WithActivation("relu")), "RandomRotation does not take the option activation"},
	} {
		_, err := c.l.Build([]int{4, 4, 1}, tensor.NewRNG(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.l.ClassName(), err, c.want)
		}
	}
	_, err := RandomZoom(0.1).Build([]int{28, 28}, tensor.NewRNG(1))
	if err == nil || !strings.Contains(err.Error(), "Reshape(28, 28, 1)") {
		t.Errorf("images without a channel axis: %v", err)
	}
	_, err = RandomZoom(0.1).Build([]int{28, 28, 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "WithSeed") {
		t.Errorf("no generator and no seed: %v", err)
	}
}

func TestAugmentConfigRoundTrip(t *testing.T) {
	for _, l := range []Layer{
		RandomRotation(0.1),
		RandomRotation([2]float64{0.2, -0.05}, WithFillMode("constant"), WithFillValue(0.5), WithSeed(42), WithName("turn")),
		RandomTranslation(0.1, [2]float64{-0.2, 0.1}, WithInterpolation("nearest")),
		RandomZoom(0.1),
		RandomZoom([2]float64{-0.2, 0.3}, WithWidthFactor(0.25), WithFillMode("wrap")),
	} {
		want, _ := json.Marshal(l.Config())
		var cfg map[string]any
		if err := json.Unmarshal(want, &cfg); err != nil {
			t.Fatal(err)
		}
		back, err := FromConfig(l.ClassName(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if got, _ := json.Marshal(back.Config()); string(got) != string(want) {
			t.Errorf("round trip:\n got %s\nwant %s", got, want)
		}
	}
	// Keras's own form of a config, as a model file may hold it.
	l, err := FromConfig("RandomRotation", map[string]any{"name": "random_rotation", "trainable": true, "dtype": "float32",
		"factor": []any{-0.1, 0.1}, "fill_mode": "constant", "fill_value": 0.0, "interpolation": "bilinear", "seed": nil, "data_format": "channels_last"})
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := l.(*RandomRotationLayer).Factor(); lo != -0.1 || hi != 0.1 {
		t.Errorf("factor read back as (%v, %v)", lo, hi)
	}
	for _, bad := range []map[string]any{
		{"factor": 2.0},
		{"factor": "big"},
		{"factor": 0.1, "fill_mode": "mirror"},
		{"factor": 0.1, "data_format": "channels_first"},
		{},
	} {
		if _, err := FromConfig("RandomRotation", bad); err == nil {
			t.Errorf("config %v accepted", bad)
		}
	}
}

// BenchmarkAugmentMNISTBatch times the augmentation of one training batch
// of 128 28×28×1 images with the bounty recipe (±10°, zoom 0.9–1.1, shift
// ±2 pixels, constant fill): three layers, each its own warp, and the same
// three in a Pipeline, one warp. Run with -cpu 1,2 to see the parallel gain.
func BenchmarkAugmentMNISTBatch(b *testing.B) {
	const n = 128
	constant := WithFillMode("constant")
	recipe := func() []Layer {
		return []Layer{
			RandomRotation(10.0/360, constant),
			RandomZoom(0.1, constant),
			RandomTranslation(2.0/28, 2.0/28, constant),
		}
	}
	for _, c := range []struct {
		name string
		ls   []Layer
	}{
		{"layers", recipe()},
		{"pipeline", []Layer{Pipeline(recipe())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := autograd.NewPlan(n)
			x := p.Input(28, 28, 1)
			for i := range x.Value.Data() {
				x.Value.Data()[i] = float32(i%97) / 97
			}
			rng := tensor.NewRNG(1)
			for _, l := range c.ls {
				if _, err := l.Build([]int{28, 28, 1}, rng); err != nil {
					b.Fatal(err)
				}
				x = l.Call(p, x)
			}
			b.ReportAllocs()
			for b.Loop() {
				p.Forward(true)
			}
		})
	}
}
