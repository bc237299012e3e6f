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

var (
	randomFlipKeys = []string{"name", "mode", "seed", "data_format"}
	randomCropKeys = []string{"name", "height", "width", "seed", "data_format"}
	contrastKeys   = []string{"name", "factor", "value_range", "seed"}
)

// TestRandomPreprocessingHarness runs the shared layer checks; stochastic:
// the gradients are checked at inference (the identity, or RandomCrop's
// resize), and a training step must allocate nothing. autograd's tests
// check the training gradients with fixed draws.
func TestRandomPreprocessingHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "RandomFlip", layer: func() Layer { return RandomFlip("") }, input: []int{4, 5, 2}, output: []int{4, 5, 2}, keys: randomFlipKeys, stochastic: true},
		{name: "RandomFlip/vertical", layer: func() Layer { return RandomFlip(FlipVertical, WithSeed(3)) }, input: []int{3, 3, 1}, output: []int{3, 3, 1}, keys: randomFlipKeys, stochastic: true},
		{name: "RandomCrop", layer: func() Layer { return RandomCrop(3, 4) }, input: []int{5, 6, 2}, output: []int{3, 4, 2}, keys: randomCropKeys, stochastic: true},
		// Smaller than the window: a resize in training too, not random.
		{name: "RandomCrop/small", layer: func() Layer { return RandomCrop(6, 4) }, input: []int{4, 5, 1}, output: []int{6, 4, 1}, keys: randomCropKeys},
		{name: "RandomContrast", layer: func() Layer { return RandomContrast(0.3, WithValueRange(-3, 3)) }, input: []int{4, 3, 2}, output: []int{4, 3, 2}, keys: contrastKeys, stochastic: true},
	})
}

// sameImages is a batch of n copies of one h×w×c image of distinct values.
func sameImages(n, h, w, c int) []float32 {
	x := make([]float32, n*h*w*c)
	for i := range x {
		x[i] = float32(i%(h*w*c)) + 1
	}
	return x
}

// mirror flips one image (h, w, c) left–right and/or top–bottom.
func mirror(x []float32, h, w, c int, across, down bool) []float32 {
	out := make([]float32, len(x))
	for r := range h {
		for q := range w {
			sr, sq := r, q
			if down {
				sr = h - 1 - r
			}
			if across {
				sq = w - 1 - q
			}
			copy(out[(r*w+q)*c:(r*w+q+1)*c], x[(sr*w+sq)*c:(sr*w+sq+1)*c])
		}
	}
	return out
}

// TestRandomFlipMirrors: every training image comes out as the input or
// one of its mirrors allowed by the mode, exactly, each about as often as
// the others; at inference the images pass unchanged.
func TestRandomFlipMirrors(t *testing.T) {
	const n, h, w, c = 400, 3, 4, 2
	img := h * w * c
	x := sameImages(n, h, w, c)
	for _, tc := range []struct {
		mode     string
		outcomes [][2]bool // across, down
	}{
		{FlipHorizontal, [][2]bool{{false, false}, {true, false}}},
		{FlipVertical, [][2]bool{{false, false}, {false, true}}},
		{FlipHorizontalAndVertical, [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}},
	} {
		y := augmentRun(t, RandomFlip(tc.mode), 5, true, h, w, c, x)
		counts := make([]int, len(tc.outcomes))
	images:
		for i := range n {
			got := y[i*img : (i+1)*img]
			for k, o := range tc.outcomes {
				if slices.Equal(got, mirror(x[:img], h, w, c, o[0], o[1])) {
					counts[k]++
					continue images
				}
			}
			t.Fatalf("%s: image %d is no allowed mirror of the input: %v", tc.mode, i, got)
		}
		// Binomial: expected n/k each, standard deviation below 10.
		for k, m := range counts {
			if want := n / len(counts); math.Abs(float64(m-want)) > 45 {
				t.Errorf("%s: outcome %v %d times of %d, want about %d", tc.mode, tc.outcomes[k], m, n, want)
			}
		}
		if got := augmentRun(t, RandomFlip(tc.mode), 5, false, h, w, c, x); !slices.Equal(got, x) {
			t.Errorf("%s at inference changed the images", tc.mode)
		}
	}
}

// TestRandomLayersSeeded: the model's seed fixes the draws, another seed
// gives others, WithSeed overrides the model's, and a saved random state
// replays the same draws.
func TestRandomLayersSeeded(t *testing.T) {
	const n, h, w, c = 8, 6, 6, 2
	x := make([]float32, n*h*w*c)
	for i := range x {
		x[i] = float32(i%37) / 37
	}
	for _, mk := range []func(...AugmentOption) Layer{
		func(o ...AugmentOption) Layer { return RandomFlip("", o...) },
		func(o ...AugmentOption) Layer { return RandomCrop(4, 3, o...) },
		func(o ...AugmentOption) Layer { return RandomContrast(0.5, append(o, WithValueRange(0, 1))...) },
	} {
		name := mk().ClassName()
		a := augmentRun(t, mk(), 7, true, h, w, c, x)
		if b := augmentRun(t, mk(), 7, true, h, w, c, x); !slices.Equal(a, b) {
			t.Errorf("%s: the same seed gave different images", name)
		}
		if b := augmentRun(t, mk(), 8, true, h, w, c, x); slices.Equal(a, b) {
			t.Errorf("%s: seeds 7 and 8 gave the same images", name)
		}
		if d := augmentRun(t, mk(WithSeed(99)), 7, true, h, w, c, x); !slices.Equal(d, augmentRun(t, mk(WithSeed(99)), 8, true, h, w, c, x)) {
			t.Errorf("%s: WithSeed did not override the model's seed", name)
		}

		l := mk()
		if _, err := l.Build([]int{h, w, c}, tensor.NewRNG(3)); err != nil {
			t.Fatal(err)
		}
		p := autograd.NewPlan(n)
		in := p.Input(h, w, c)
		copy(in.Value.Data(), x)
		y := l.Call(p, in)
		state, err := l.(Stateful).RandomState()
		if err != nil {
			t.Fatal(err)
		}
		p.Forward(true)
		first := slices.Clone(y.Value.Data())
		p.Forward(true)
		if slices.Equal(first, y.Value.Data()) {
			t.Errorf("%s: two steps drew the same", name)
		}
		if err := l.(Stateful).SetRandomState(state); err != nil {
			t.Fatal(err)
		}
		p.Forward(true)
		if !slices.Equal(first, y.Value.Data()) {
			t.Errorf("%s: the restored random state did not replay the first step", name)
		}
	}
}

// TestRandomCropWindows: every training image is an exact window of its
// input, the windows fall everywhere they fit about equally often, and
// inference resizes the largest centred window of the output's shape.
func TestRandomCropWindows(t *testing.T) {
	const n, h, w, c, oh, ow = 540, 5, 6, 2, 3, 4
	x := sameImages(n, h, w, c)
	y := augmentRun(t, RandomCrop(oh, ow), 11, true, h, w, c, x)
	counts := map[[2]int]int{}
	for i := range n {
		got := y[i*oh*ow*c : (i+1)*oh*ow*c]
		at := int(got[0]-1) / c // the input pixel the window starts at
		top, left := at/w, at%w
		for r := range oh {
			for q := range ow {
				for k := range c {
					if want := x[((top+r)*w+left+q)*c+k]; got[(r*ow+q)*c+k] != want {
						t.Fatalf("image %d is not the window at (%d, %d): %v", i, top, left, got)
					}
				}
			}
		}
		counts[[2]int{top, left}]++
	}
	// (5-3+1)·(6-4+1) = 9 places, 60 each expected, σ ≈ 7.3.
	if len(counts) != 9 {
		t.Errorf("windows at %d places, want 9: %v", len(counts), counts)
	}
	for at, m := range counts {
		if m < 30 || m > 90 {
			t.Errorf("window at %v %d times of %d, want about 60", at, m, n)
		}
	}

	// Inference on a 6×6 image to 3×3: the whole image, resized.
	x = sameImages(2, 6, 6, 1)
	got := augmentRun(t, RandomCrop(3, 3), 1, false, 6, 6, 1, x)
	want := resizeRef64(x, 2, 6, 6, 1, 3, 3, false)
	for i, v := range want {
		if math.Abs(float64(got[i])-v) > 1e-5 {
			t.Fatalf("inference of 6×6 to 3×3: %v, want %v", got, want)
		}
	}
	// A 4×6 image to 2×2: the middle 4×4 square, resized.
	x = sameImages(1, 4, 6, 1)
	got = augmentRun(t, RandomCrop(2, 2), 1, false, 4, 6, 1, x)
	if want := augmentRun(t, CenterCrop(4, 4), 1, false, 4, 6, 1, x); !slices.Equal(got, augmentRun(t, Resizing(2, 2), 1, false, 4, 4, 1, want)) {
		t.Errorf("inference of 4×6 to 2×2: %v, want the middle square resized", got)
	}
	// Smaller than the window: the same resize in training.
	x = sameImages(3, 4, 5, 1)
	if a, b := augmentRun(t, RandomCrop(6, 4), 1, true, 4, 5, 1, x), augmentRun(t, RandomCrop(6, 4), 1, false, 4, 5, 1, x); !slices.Equal(a, b) {
		t.Errorf("a window larger than the image: training %v, inference %v", a, b)
	}
}

// TestRandomContrastFactors recovers each image's factor from its output:
// the same for every value and channel of the image, within [1-lower,
// 1+upper], the range covered; the channel means are kept; at inference
// the images pass unchanged.
func TestRandomContrastFactors(t *testing.T) {
	const n, h, w, c = 500, 4, 3, 2
	px := h * w
	x := make([]float32, n*px*c)
	for i := range x {
		x[i] = 0.4 + 0.2*float32(math.Abs(math.Sin(float64(i)*1.3)))
	}
	for _, tc := range []struct {
		l      *RandomContrastLayer
		lo, hi float64
	}{
		{RandomContrast(0.3, WithValueRange(0, 1)), 0.7, 1.3},
		{RandomContrast([2]float64{0.4, 0.1}, WithValueRange(0, 1)), 0.9, 1.4},
	} {
		y := augmentRun(t, tc.l, 2, true, h, w, c, x)
		var fs []float64
		for i := range n {
			f := math.NaN()
			for k := range c {
				var mx, my float64
				for p := range px {
					j := (i*px+p)*c + k
					mx += float64(x[j])
					my += float64(y[j])
				}
				mx, my = mx/float64(px), my/float64(px)
				if math.Abs(mx-my) > 1e-5 {
					t.Fatalf("image %d channel %d: mean %v became %v", i, k, mx, my)
				}
				for p := range px {
					j := (i*px+p)*c + k
					if d := float64(x[j]) - mx; math.Abs(d) > 0.02 {
						g := (float64(y[j]) - mx) / d
						if math.IsNaN(f) {
							f = g
						} else if math.Abs(g-f) > 1e-3 {
							t.Fatalf("image %d: factors %v and %v in one image", i, f, g)
						}
					}
				}
			}
			fs = append(fs, f)
		}
		mn, mx := slices.Min(fs), slices.Max(fs)
		if mn < tc.lo-1e-3 || mx > tc.hi+1e-3 || mn > tc.lo+0.02 || mx < tc.hi-0.02 {
			t.Errorf("factors drawn over [%v, %v], want [%v, %v] covered", mn, mx, tc.lo, tc.hi)
		}
		if got := augmentRun(t, tc.l, 2, false, h, w, c, x); !slices.Equal(got, x) {
			t.Errorf("inference changed the images")
		}
	}
	// The clip: f drawn from [0, 2] on (0 0.1 0.9 1), mean 0.5. Where f > 1
	// the ends leave [0, 1]: pinned at 0 and 1 under WithValueRange(0, 1);
	// Keras's default (0, 255) lets 1 grow and pins only 0.
	x = slices.Repeat([]float32{0, 0.1, 0.9, 1}, 200)
	for _, top := range []float32{1, 255} {
		y := augmentRun(t, RandomContrast(1.0, WithValueRange(0, float64(top))), 3, true, 2, 2, 1, x)
		clipped := 0
		for i := 0; i < len(y); i += 4 {
			f := (y[i+2] - y[i+1]) / 0.8 // the inner pair is never clipped
			switch {
			case f <= 1 && (y[i] < 0 || y[i+3] > 1):
				t.Fatalf("f = %v: %v left [0, 1]", f, y[i:i+4])
			case f > 1.01 && (y[i] != 0 || (top == 1) != (y[i+3] == 1)):
				t.Fatalf("f = %v, value range [0, %v]: %v", f, top, y[i:i+4])
			case f > 1.01:
				clipped++
			}
		}
		if clipped < 50 {
			t.Errorf("value range [0, %v]: %d of 200 images clipped, want about 100", top, clipped)
		}
	}
}

func TestRandomPreprocessingErrors(t *testing.T) {
	for _, c := range []struct {
		l    Layer
		want string
	}{
		{RandomFlip("diagonal"), `RandomFlip mode "diagonal" is not one of "horizontal", "vertical", "horizontal_and_vertical"`},
		{RandomFlip("", WithFillMode("constant")), "RandomFlip does not take WithFillMode (it takes WithSeed and WithName)"},
		{RandomFlip("", WithValueRange(0, 1)), "RandomFlip does not take the option value_range"},
		{RandomCrop(0, 3), "RandomCrop needs a positive height and width, got 0 and 3"},
		{RandomCrop(2, 2, WithInterpolation("nearest")), "RandomCrop does not take WithInterpolation"},
		{RandomCrop(2, 2, WithFillValue(0)), "RandomCrop does not take WithFillValue"},
		{RandomCrop(2, 2, WithActivation("relu")), "RandomCrop does not take the option activation"},
		{RandomContrast(1.5), "RandomContrast factor must be a number or a pair of numbers in [0, 1], got [1.5,1.5]"},
		{RandomContrast([2]float64{-0.1, 0.5}), "RandomContrast factor must be"},
		{RandomContrast(math.NaN()), "RandomContrast factor must be"},
		{RandomContrast(0.2, WithValueRange(1, 0)), "RandomContrast value range must be two finite numbers, low < high, got (1, 0)"},
		{RandomContrast(0.2, WithWidthFactor(0.1)), "RandomContrast does not take WithWidthFactor"},
		{RandomRotation(0.1, WithValueRange(0, 1)), "RandomRotation does not take the option value_range"},
		{RandomZoom(0.1, WithCropToAspectRatio(true)), "RandomZoom does not take the option crop_to_aspect_ratio"},
	} {
		_, err := c.l.Build([]int{4, 4, 1}, tensor.NewRNG(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.l.ClassName(), err, c.want)
		}
	}
	for _, l := range []Layer{RandomFlip(""), RandomCrop(2, 2), RandomContrast(0.1)} {
		if _, err := l.Build([]int{28, 28}, tensor.NewRNG(1)); err == nil || !strings.Contains(err.Error(), "Reshape(28, 28, 1)") {
			t.Errorf("%s on images without a channel axis: %v", l.ClassName(), err)
		}
		if _, err := l.Build([]int{28, 28, 1}, nil); err == nil || !strings.Contains(err.Error(), "WithSeed") {
			t.Errorf("%s with no generator and no seed: %v", l.ClassName(), err)
		}
		if _, err := l.(Stateful).RandomState(); err == nil {
			t.Errorf("%s: the random state of an unbuilt layer", l.ClassName())
		}
	}
}

func TestRandomPreprocessingConfig(t *testing.T) {
	checkRoundTrip(t,
		RandomFlip(""),
		RandomFlip(FlipHorizontal, WithSeed(42), WithName("mirror")),
		RandomCrop(24, 24),
		RandomCrop(3, 5, WithSeed(7)),
		RandomContrast(0.2),
		RandomContrast([2]float64{0.5, 0.1}, WithValueRange(0, 1), WithSeed(3), WithName("contrast")),
	)
	// Keras 3's get_config, as a .keras file holds them.
	read := func(class, cfg string) Layer {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(cfg), &m); err != nil {
			t.Fatal(err)
		}
		l, err := FromConfig(class, m)
		if err != nil {
			t.Fatalf("%s %s: %v", class, cfg, err)
		}
		return l
	}
	const common = `"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}`
	flip := read("RandomFlip", `{"name": "random_flip", `+common+`, "seed": null, "mode": "horizontal", "data_format": "channels_last"}`).(*RandomFlipLayer)
	if flip.Mode() != FlipHorizontal || flip.hasSeed {
		t.Errorf("RandomFlip read as %v", flip.Config())
	}
	crop := read("RandomCrop", `{"name": "random_crop", `+common+`, "height": 24, "width": 20, "seed": 1234, "data_format": "channels_last"}`).(*RandomCropLayer)
	if h, w := crop.Size(); h != 24 || w != 20 || crop.seed != 1234 {
		t.Errorf("RandomCrop read as %v", crop.Config())
	}
	// Keras 3.6+ writes RandomContrast(0.2) as the pair [0, 0.2]: read as
	// it is, the factor it really draws, [1, 1.2].
	contrast := read("RandomContrast", `{"name": "random_contrast", `+common+`, "factor": [0.0, 0.2], "value_range": [0, 1], "seed": null}`).(*RandomContrastLayer)
	if lo, hi := contrast.Factor(); lo != 0 || hi != 0.2 || contrast.valueRange != [2]float64{0, 1} {
		t.Errorf("RandomContrast read as %v", contrast.Config())
	}
	if lo, hi := read("RandomContrast", `{"factor": 0.3}`).(*RandomContrastLayer).Factor(); lo != 0.3 || hi != 0.3 {
		t.Errorf("factor 0.3 read as (%v, %v)", lo, hi)
	}
	prepConfigErrors(t, "RandomFlip", map[string]string{
		`{"mode": "diagonal"}`:                     `mode "diagonal" is not one of`,
		`{"mode": "horizontal", "seed": -1}`:       `"seed" must be null or a non-negative integer, got -1`,
		`{"mode": "horizontal", "fill_mode": "x"}`: `unknown key(s) fill_mode`,
	})
	prepConfigErrors(t, "RandomCrop", map[string]string{
		`{"height": 2}`:                          `missing "width"`,
		`{"height": 2, "width": 2, "seed": 1.5}`: `"seed" must be null or a non-negative integer, got 1.5`,
		`{"height": 2, "width": "2"}`:            `"width" must be an integer`,
		`{"height": 0, "width": 2}`:              `positive height and width`,
	})
	prepConfigErrors(t, "RandomContrast", map[string]string{
		`{}`:                                     `missing "factor"`,
		`{"factor": "big"}`:                      `"factor" must be a number or a list of two numbers, got "big"`,
		`{"factor": [0.1, 0.2, 0.3]}`:            `"factor" must be a number or a list of two numbers`,
		`{"factor": 2}`:                          `factor must be a number or a pair of numbers in [0, 1]`,
		`{"factor": 0.1, "value_range": 255}`:    `"value_range" must be a list of two numbers [low, high], got 255`,
		`{"factor": 0.1, "value_range": [1, 1]}`: `value range must be two finite numbers, low < high`,
	})
}

// TestRandomFlipInPipeline: a flip joins the warp of default-option
// geometric augmentations in a Pipeline, and the fused warp flips exactly
// as the layer alone.
func TestRandomFlipInPipeline(t *testing.T) {
	const n, h, w = 50, 4, 5
	x := sameImages(n, h, w, 1)
	alone := augmentRun(t, RandomFlip("", WithSeed(5)), 1, true, h, w, 1, x)
	pl := Pipeline([]Layer{RandomFlip("", WithSeed(5)), RandomRotation(0.0), RandomZoom(0.0)})
	if got := augmentRun(t, pl, 1, true, h, w, 1, x); !slices.Equal(got, alone) {
		t.Errorf("flip then zero rotation and zoom in a pipeline: %v\nwant the flip alone %v", got, alone)
	}
	p := autograd.NewPlan(n)
	pl.Call(p, p.Input(h, w, 1))
	if p.Ops() != 1 {
		t.Errorf("the pipeline made %d ops, want 1", p.Ops())
	}
}
