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

// augmentRun builds l on images (h, w, c), runs one plan forward over x in
// the given mode, and returns the output.
func augmentRun(t *testing.T, l Layer, seed uint64, training bool, h, w, c int, x []float32) []float32 {
	t.Helper()
	if _, err := l.Build([]int{h, w, c}, tensor.NewRNG(seed)); err != nil {
		t.Fatal(err)
	}
	n := len(x) / (h * w * c)
	p := autograd.NewPlan(n)
	in := p.Input(h, w, c)
	copy(in.Value.Data(), x)
	y := l.Call(p, in)
	p.Forward(training)
	return slices.Clone(y.Value.Data())
}

// grid turns rows of a picture into an image of one channel.
func grid(rows ...[]float32) []float32 { return slices.Concat(rows...) }

func near(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol {
			return false
		}
	}
	return true
}

// rot90 turns a square picture a quarter turn counter-clockwise (numpy's
// rot90 with k=1): the top-right corner goes to the top-left.
func rot90(x []float32, n int) []float32 {
	out := make([]float32, len(x))
	for r := range n {
		for c := range n {
			out[r*n+c] = x[c*n+(n-1-r)]
		}
	}
	return out
}

func TestRandomRotationQuarterTurn(t *testing.T) {
	// One lit pixel in the top-right corner of a 3×3 image goes to the
	// top-left corner: counter-clockwise, as Keras turns for a positive factor.
	lit := grid([]float32{0, 0, 1}, []float32{0, 0, 0}, []float32{0, 0, 0})
	got := augmentRun(t, RandomRotation([2]float64{0.25, 0.25}, WithFillMode("constant")), 1, true, 3, 3, 1, lit)
	if want := grid([]float32{1, 0, 0}, []float32{0, 0, 0}, []float32{0, 0, 0}); !near(got, want, 1e-6) {
		t.Errorf("+90° of the top-right pixel: %v, want %v", got, want)
	}
	got = augmentRun(t, RandomRotation([2]float64{-0.25, -0.25}, WithFillMode("constant")), 1, true, 3, 3, 1, lit)
	if want := grid([]float32{0, 0, 0}, []float32{0, 0, 0}, []float32{0, 0, 1}); !near(got, want, 1e-6) {
		t.Errorf("-90° of the top-right pixel: %v, want %v", got, want)
	}

	// An asymmetric pattern on even and odd sizes, two images per batch:
	// a quarter turn is a permutation, so every fill mode agrees.
	for _, n := range []int{4, 5} {
		x := make([]float32, 2*n*n)
		for i := range x {
			x[i] = float32(i*i%7) + float32(i)/100
		}
		for _, mode := range []string{"constant", "reflect", "nearest", "wrap"} {
			got := augmentRun(t, RandomRotation([2]float64{0.25, 0.25}, WithFillMode(mode)), 1, true, n, n, 1, x)
			want := append(rot90(x[:n*n], n), rot90(x[n*n:], n)...)
			if !near(got, want, 1e-5) {
				t.Errorf("%d×%d %s: +90° gave %v, want %v", n, n, mode, got, want)
			}
		}
	}
}

func TestRandomTranslationOnePixel(t *testing.T) {
	x := grid(
		[]float32{1, 2, 3, 4},
		[]float32{5, 6, 7, 8},
		[]float32{9, 10, 11, 12},
		[]float32{13, 14, 15, 16},
	)
	// 0.25 of 4 pixels: one pixel right, and one up.
	got := augmentRun(t, RandomTranslation([2]float64{-0.25, -0.25}, [2]float64{0.25, 0.25}, WithFillMode("constant")), 1, true, 4, 4, 1, x)
	want := grid(
		[]float32{0, 5, 6, 7},
		[]float32{0, 9, 10, 11},
		[]float32{0, 13, 14, 15},
		[]float32{0, 0, 0, 0},
	)
	if !slices.Equal(got, want) {
		t.Errorf("one pixel right and up, constant fill: %v, want %v", got, want)
	}
	// Fill modes at the borders, by hand: two pixels left.
	for _, c := range []struct {
		mode string
		row  []float32 // the first row of the result
	}{
		{"constant", []float32{3, 4, 0, 0}},
		{"reflect", []float32{3, 4, 4, 3}},
		{"nearest", []float32{3, 4, 4, 4}},
		{"wrap", []float32{3, 4, 1, 2}},
	} {
		got := augmentRun(t, RandomTranslation(0.0, [2]float64{-0.5, -0.5}, WithFillMode(c.mode)), 1, true, 4, 4, 1, x)
		if !slices.Equal(got[:4], c.row) {
			t.Errorf("two pixels left, %s fill: first row %v, want %v", c.mode, got[:4], c.row)
		}
	}
	got = augmentRun(t, RandomTranslation(0.0, [2]float64{-0.5, -0.5}, WithFillMode("constant"), WithFillValue(-1)), 1, true, 4, 4, 1, x)
	if !slices.Equal(got[:4], []float32{3, 4, -1, -1}) {
		t.Errorf("fill value -1: first row %v", got[:4])
	}
}

func TestRandomZoomByHand(t *testing.T) {
	x := make([]float32, 25)
	for i := range x {
		x[i] = float32(i + 1)
	}
	// Factor 1.0 reads twice the extent about the centre: a 2× zoom out.
	// Output (r, c) reads input (2r-2, 2c-2).
	got := augmentRun(t, RandomZoom([2]float64{1, 1}, WithFillMode("constant")), 1, true, 5, 5, 1, x)
	want := make([]float32, 25)
	for r := range 5 {
		for c := range 5 {
			if ir, ic := 2*r-2, 2*c-2; ir >= 0 && ir < 5 && ic >= 0 && ic < 5 {
				want[r*5+c] = x[ir*5+ic]
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("2× zoom out: %v, want %v", got, want)
	}
	// Factor -0.5 reads half the extent: a 2× zoom in; output (r, c) reads
	// input (1 + r/2, 1 + c/2), halfway points interpolated.
	got = augmentRun(t, RandomZoom([2]float64{-0.5, -0.5}), 1, true, 5, 5, 1, x)
	for r := range 5 {
		for c := range 5 {
			ir, ic := 1+float64(r)/2, 1+float64(c)/2
			if w := 5*ir + ic + 1; math.Abs(float64(got[r*5+c])-w) > 1e-5 {
				t.Errorf("2× zoom in: (%d, %d) = %v, want %v", r, c, got[r*5+c], w)
			}
		}
	}
	// Width zoomed on its own: 2× out across, unchanged down.
	got = augmentRun(t, RandomZoom(0.0, WithWidthFactor([2]float64{1, 1}), WithFillMode("constant")), 1, true, 5, 5, 1, x)
	if row := got[5:10]; !slices.Equal(row, []float32{0, 6, 8, 10, 0}) {
		t.Errorf("width-only zoom: second row %v, want [0 6 8 10 0]", row)
	}
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

// TestPipelineFuses: consecutive augmentations with the same warp options
// become one op that equals running them one after the other (exactly here:
// quarter turns and whole-pixel shifts with wrap fill are permutations);
// other layers and other warp options split the run.
func TestPipelineFuses(t *testing.T) {
	const n, hw = 3, 6
	x := make([]float32, n*hw*hw)
	for i := range x {
		x[i] = float32(i)
	}
	wrap := WithFillMode("wrap")
	parts := func() []Layer {
		return []Layer{
			RandomRotation([2]float64{0.25, 0.25}, wrap, WithSeed(1)),
			RandomTranslation([2]float64{0, 0.5}, [2]float64{-0.5, 0.5}, wrap, WithSeed(2)),
			RandomRotation([2]float64{-0.25, -0.25}, wrap, WithSeed(3)),
		}
	}
	// Whole-pixel shifts: the translation's draws are rounded by a wrapper,
	// so that each stage is a permutation.
	build := func(ls []Layer) []Layer {
		ls[1] = roundedShift{ls[1].(*RandomTranslationLayer)}
		return ls
	}
	fused := Pipeline(build(parts()), WithName("aug"))
	if _, err := fused.Build([]int{hw, hw, 1}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	p := autograd.NewPlan(n)
	in := p.Input(hw, hw, 1)
	copy(in.Value.Data(), x)
	y := fused.Call(p, in)
	if p.Ops() != 1 {
		t.Errorf("the pipeline of three augmentations made %d ops, want 1", p.Ops())
	}
	p.Forward(true)

	var chained []float32 = x
	for _, l := range build(parts()) {
		chained = augmentRun(t, l, 1, true, hw, hw, 1, chained)
	}
	// Equal up to the 1e-16 that cos(90°) leaves in a float64 map.
	if !near(y.Value.Data(), chained, 1e-5) {
		t.Errorf("fused %v\nchained %v", y.Value.Data(), chained)
	}

	mixed := Pipeline([]Layer{RandomRotation(0.1), Rescaling(2, 0), RandomZoom(0.1), RandomZoom(0.1, WithFillMode("constant"))})
	if _, err := mixed.Build([]int{hw, hw, 1}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	p = autograd.NewPlan(n)
	mixed.Call(p, p.Input(hw, hw, 1))
	if p.Ops() != 4 {
		t.Errorf("rotation, rescaling, zoom (reflect), zoom (constant) made %d ops, want 4", p.Ops())
	}
}

// roundedShift rounds a translation's draws to whole pixels.
type roundedShift struct{ *RandomTranslationLayer }

func (r roundedShift) SampleAffine(m []float64, h, w int) {
	r.RandomTranslationLayer.SampleAffine(m, h, w)
	for i := range m {
		m[i] = math.Round(m[i])
	}
}

func (r roundedShift) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.RandomAffine(x, r.warp, r)
}

func TestPipelineHarnessAndConfig(t *testing.T) {
	checkLayers(t, []layerCase{{
		name: "Pipeline",
		layer: func() Layer {
			return Pipeline([]Layer{RandomRotation(0.1), RandomZoom(0.1), Flatten(), Dense(3)})
		},
		input: []int{4, 4, 2}, output: []int{3}, params: 99, keys: []string{"name", "layers"}, stochastic: true,
	}})
	l := Pipeline([]Layer{RandomRotation(0.05, WithFillMode("constant")), RandomTranslation(0.1, 0.1), Flatten()}, WithName("aug"))
	if _, err := l.Build([]int{8, 8, 1}, tensor.NewRNG(1)); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(l.Config())
	var cfg map[string]any
	json.Unmarshal(want, &cfg)
	back, err := FromConfig("Pipeline", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(back.Config()); string(got) != string(want) {
		t.Errorf("round trip:\n got %s\nwant %s", got, want)
	}
	if _, err := Pipeline(nil).Build([]int{8, 8, 1}, tensor.NewRNG(1)); err == nil || !strings.Contains(err.Error(), "at least one layer") {
		t.Errorf("empty pipeline: %v", err)
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
