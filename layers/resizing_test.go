package layers

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

var (
	resizingKeys   = []string{"name", "height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode", "fill_value", "data_format"}
	centerCropKeys = []string{"name", "height", "width", "data_format"}
)

// TestResizingHarness runs the shared layer checks on Resizing and
// CenterCrop, both deterministic: gradients checked in training.
func TestResizingHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "Resizing/up", layer: func() Layer { return Resizing(5, 6) }, input: []int{3, 4, 2}, output: []int{5, 6, 2}, keys: resizingKeys},
		{name: "Resizing/down", layer: func() Layer { return Resizing(3, 2) }, input: []int{7, 5, 1}, output: []int{3, 2, 1}, keys: resizingKeys},
		{name: "Resizing/nearest", layer: func() Layer { return Resizing(4, 7, WithInterpolation("nearest")) }, input: []int{5, 3, 1}, output: []int{4, 7, 1}, keys: resizingKeys},
		{name: "Resizing/crop", layer: func() Layer { return Resizing(3, 3, WithCropToAspectRatio(true)) }, input: []int{4, 6, 2}, output: []int{3, 3, 2}, keys: resizingKeys},
		{name: "Resizing/pad", layer: func() Layer { return Resizing(4, 4, WithPadToAspectRatio(true), WithFillValue(0.3)) }, input: []int{3, 5, 1}, output: []int{4, 4, 1}, keys: resizingKeys},
		{name: "CenterCrop", layer: func() Layer { return CenterCrop(3, 2) }, input: []int{6, 5, 2}, output: []int{3, 2, 2}, keys: centerCropKeys},
		{name: "CenterCrop/small", layer: func() Layer { return CenterCrop(5, 4) }, input: []int{3, 6, 1}, output: []int{5, 4, 1}, keys: centerCropKeys},
	})
}

// resizeRef64 is a float64 resize written from the definition: output
// pixel o of an axis resampling n values to m sits at (o+½)·n/m - ½ in the
// input, clamped to [0, n-1], and reads its two neighbours, linearly
// weighted; nearest reads input ⌊(o+½)·n/m⌋.
func resizeRef64(x []float32, n, h, w, c, oh, ow int, nearest bool) []float64 {
	at := func(o, in, out int) (int, int, float64) {
		if nearest {
			i := min(int(math.Floor((float64(o)+0.5)*float64(in)/float64(out))), in-1)
			return i, i, 0
		}
		s := math.Min(math.Max((float64(o)+0.5)*float64(in)/float64(out)-0.5, 0), float64(in-1))
		i := int(s)
		return i, min(i+1, in-1), s - float64(i)
	}
	y := make([]float64, 0, n*oh*ow*c)
	for s := range n {
		for oy := range oh {
			y0, y1, fy := at(oy, h, oh)
			for ox := range ow {
				x0, x1, fx := at(ox, w, ow)
				for k := range c {
					v := func(r, q int) float64 { return float64(x[((s*h+r)*w+q)*c+k]) }
					top := v(y0, x0)*(1-fx) + v(y0, x1)*fx
					bottom := v(y1, x0)*(1-fx) + v(y1, x1)*fx
					y = append(y, top*(1-fy)+bottom*fy)
				}
			}
		}
	}
	return y
}

func TestResizingMatchesFloat64(t *testing.T) {
	for _, c := range []struct {
		h, w, ch, oh, ow int
		nearest          bool
	}{
		{28, 28, 1, 20, 20, false}, {13, 7, 2, 30, 11, false}, {6, 9, 3, 6, 4, false},
		{28, 28, 1, 20, 20, true}, {5, 11, 2, 12, 3, true},
	} {
		x := make([]float32, 2*c.h*c.w*c.ch)
		for i := range x {
			x[i] = float32(math.Sin(float64(i) * 0.7))
		}
		l := Resizing(c.oh, c.ow)
		if c.nearest {
			l = Resizing(c.oh, c.ow, WithInterpolation("nearest"))
		}
		got := augmentRun(t, l, 1, false, c.h, c.w, c.ch, x)
		want := resizeRef64(x, 2, c.h, c.w, c.ch, c.oh, c.ow, c.nearest)
		for i, v := range want {
			if math.Abs(float64(got[i])-v) > 1e-5 {
				t.Fatalf("%+v: output %d = %v, want %v", c, i, got[i], v)
			}
		}
	}
}

// resizeGradSeed is the last op of a test plan: its backward adds r to y's
// gradient, so that the gradients reaching the inputs are those of Σ y·r.
type resizeGradSeed struct {
	y *autograd.Var
	r []float32
}

func (g *resizeGradSeed) Forward(bool) {}
func (g *resizeGradSeed) Backward()    { resizeAddTo(g.y.Grad.Data(), g.r) }

func resizeAddTo(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

// TestResizingMatchesTorch holds Resizing, built from the configs in
// testdata/resizing_torch.json, to PyTorch's output and input gradient
// (resizing_torch.py made them).
func TestResizingMatchesTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/resizing_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []struct {
			Name        string
			Config      map[string]any
			X, R, Y, DX []float64
			XS          []int `json:"x_shape"`
			YS          []int `json:"y_shape"`
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) < 9 {
		t.Fatalf("%d cases in the file", len(file.Cases))
	}
	for _, c := range file.Cases {
		l, err := FromConfig("Resizing", c.Config)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		out, err := l.Build(c.XS[1:], nil)
		if err != nil || !slices.Equal(out, c.YS[1:]) {
			t.Fatalf("%s: Build gives %v, %v; want %v", c.Name, out, err, c.YS[1:])
		}
		p := autograd.NewPlan(c.XS[0])
		x := &autograd.Var{Value: tensor.New(c.XS...), Grad: tensor.New(c.XS...)}
		for i, v := range c.X {
			x.Value.Data()[i] = float32(v)
		}
		y := l.Call(p, x)
		seed := &resizeGradSeed{y: y, r: make([]float32, len(c.R))}
		for i, v := range c.R {
			seed.r[i] = float32(v)
		}
		p.AddOp(seed)
		p.Forward(true)
		p.Backward()
		for _, cmp := range []struct {
			what      string
			got       []float32
			want      []float64
			tolerance float64
		}{{"output", y.Value.Data(), c.Y, 2e-6}, {"input gradient", x.Grad.Data(), c.DX, 1e-5}} {
			if len(cmp.got) != len(cmp.want) {
				t.Fatalf("%s: %d values of the %s, want %d", c.Name, len(cmp.got), cmp.what, len(cmp.want))
			}
			for i, v := range cmp.want {
				if math.Abs(float64(cmp.got[i])-v) > cmp.tolerance*(1+math.Abs(v)) {
					t.Errorf("%s: %s %d = %v, PyTorch %v", c.Name, cmp.what, i, cmp.got[i], v)
					break
				}
			}
		}
	}
}

func TestCenterCropByHand(t *testing.T) {
	x := make([]float32, 5*6)
	for i := range x {
		x[i] = float32(i)
	}
	// 5×6 to 2×3: 3 rows go, 1 from the top and 2 from the bottom; 3
	// columns, 1 from the left and 2 from the right.
	got := augmentRun(t, CenterCrop(2, 3), 1, true, 5, 6, 1, x)
	if want := []float32{7, 8, 9, 13, 14, 15}; !slices.Equal(got, want) {
		t.Errorf("centre of 5×6 to 2×3: %v, want %v", got, want)
	}
	// Too small an image: the largest centred square of a 2×4 image is its
	// middle 2×2, resized to 3×3.
	x = []float32{1, 2, 3, 4, 5, 6, 7, 8}
	got = augmentRun(t, CenterCrop(3, 3), 1, false, 2, 4, 1, x)
	want := resizeRef64([]float32{2, 3, 6, 7}, 1, 2, 2, 1, 3, 3, false)
	for i, v := range want {
		if math.Abs(float64(got[i])-v) > 1e-6 {
			t.Fatalf("2×4 to 3×3: %v, want %v", got, want)
		}
	}
}

// TestAspectWindows checks Keras's integer arithmetic of the crop and pad
// windows against its formulas worked by hand.
func TestAspectWindows(t *testing.T) {
	for _, c := range []struct {
		h, w, oh, ow, top, left, rows, cols int
	}{
		{28, 28, 24, 24, 0, 0, 28, 28},
		{6, 9, 4, 4, 0, 1, 6, 6},
		{10, 4, 3, 6, 4, 0, 2, 4},
		{5, 7, 2, 3, 0, 0, 4, 7}, // ⌊7·2/3⌋ = 4 rows, from ⌊(5-4)/2⌋ = 0
		{1, 100, 5, 1, 0, 49, 1, 1},
	} {
		r := cropWindow(c.h, c.w, c.oh, c.ow)
		if r.Top != c.top || r.Left != c.left || r.Rows != c.rows || r.Cols != c.cols {
			t.Errorf("crop %dx%d to %dx%d: %+v, want (%d, %d) %dx%d", c.h, c.w, c.oh, c.ow, r, c.top, c.left, c.rows, c.cols)
		}
	}
	for _, c := range []struct {
		h, w, oh, ow, top, left, rows, cols int
	}{
		{4, 6, 6, 6, -1, 0, 6, 0}, // rows: ⌊(6-4)/2⌋ = 1 above and below
		{7, 3, 4, 4, 0, -2, 0, 7},
		{5, 4, 4, 4, 0, 0, 0, 0}, // ⌊(5-4)/2⌋ = 0: no padding
		{3, 3, 2, 2, 0, 0, 0, 0},
	} {
		r := padWindow(c.h, c.w, c.oh, c.ow, 0)
		if r.Top != c.top || r.Left != c.left || r.Rows != c.rows || r.Cols != c.cols {
			t.Errorf("pad %dx%d to %dx%d: %+v, want (%d, %d) %dx%d", c.h, c.w, c.oh, c.ow, r, c.top, c.left, c.rows, c.cols)
		}
	}
}

func TestResizingErrors(t *testing.T) {
	for _, c := range []struct {
		l    Layer
		want string
	}{
		{Resizing(0, 4), "Resizing needs a positive height and width, got 0 and 4"},
		{Resizing(4, 4, WithInterpolation("bicubic")), `Resizing interpolation "bicubic" is not one of bilinear, nearest`},
		{Resizing(4, 4, WithFillMode("reflect")), `Resizing fill mode "reflect" is not supported: only "constant", as in Keras`},
		{Resizing(4, 4, WithCropToAspectRatio(true), WithPadToAspectRatio(true)), "only one of"},
		{Resizing(4, 4, WithSeed(1)), "not WithSeed or WithWidthFactor"},
		{Resizing(4, 4, WithValueRange(0, 1)), "Resizing does not take the option value_range"},
		{CenterCrop(3, -1), "CenterCrop needs a positive height and width, got 3 and -1"},
		{CenterCrop(3, 3, WithActivation("relu")), "CenterCrop does not take the option activation"},
	} {
		_, err := c.l.Build([]int{4, 4, 1}, tensor.NewRNG(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.l.ClassName(), err, c.want)
		}
	}
	for _, l := range []Layer{Resizing(2, 2), CenterCrop(2, 2)} {
		_, err := l.Build([]int{28, 28}, tensor.NewRNG(1))
		if err == nil || !strings.Contains(err.Error(), "Reshape(28, 28, 1)") {
			t.Errorf("%s on images without a channel axis: %v", l.ClassName(), err)
		}
	}
}

// prepConfigErrors expects FromConfig to refuse each config with an error
// containing want.
func prepConfigErrors(t *testing.T, class string, cases map[string]string) {
	t.Helper()
	for cfg, want := range cases {
		var m map[string]any
		if err := json.Unmarshal([]byte(cfg), &m); err != nil {
			t.Fatal(err)
		}
		if _, err := FromConfig(class, m); err == nil || !strings.HasPrefix(err.Error(), "layers: "+class+" config: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %s: error %v, want one containing %q", class, cfg, err, want)
		}
	}
}

func TestResizingConfig(t *testing.T) {
	checkRoundTrip(t,
		Resizing(24, 24),
		Resizing(5, 7, WithInterpolation("nearest"), WithName("small")),
		Resizing(32, 32, WithCropToAspectRatio(true)),
		Resizing(8, 6, WithPadToAspectRatio(true), WithFillValue(0.5)),
		CenterCrop(24, 24),
		CenterCrop(3, 5, WithName("middle")),
	)
	// The last of two options wins, as options do.
	if c := Resizing(4, 4, WithCropToAspectRatio(true), WithCropToAspectRatio(false)).Config(); c["crop_to_aspect_ratio"] != false {
		t.Errorf("crop_to_aspect_ratio true then false: %v", c["crop_to_aspect_ratio"])
	}
	// Keras 3's get_config, as a .keras file holds it.
	var keras map[string]any
	if err := json.Unmarshal([]byte(`{"name": "resizing", "trainable": true,
		"dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
		"height": 20, "width": 22, "interpolation": "bilinear", "crop_to_aspect_ratio": true,
		"pad_to_aspect_ratio": false, "fill_mode": "constant", "fill_value": 0.0, "data_format": "channels_last"}`), &keras); err != nil {
		t.Fatal(err)
	}
	l, err := FromConfig("Resizing", keras)
	if err != nil {
		t.Fatal(err)
	}
	if r := l.(*ResizingLayer); r.Name() != "resizing" || !r.crop || r.height != 20 || r.width != 22 {
		t.Errorf("Keras's config read as %v", r.Config())
	}
	if _, err := FromConfig("CenterCrop", map[string]any{"name": "cc", "height": 2.0, "width": 3.0, "data_format": nil, "trainable": true}); err != nil {
		t.Errorf("CenterCrop with data_format null: %v", err)
	}
	prepConfigErrors(t, "Resizing", map[string]string{
		`{"width": 3}`:                `missing "height"`,
		`{"height": 3, "width": 2.5}`: `"width" must be an integer, got 2.5`,
		`{"height": 3, "width": 3, "interpolation": "lanczos3"}`:     `interpolation "lanczos3" is not one of bilinear, nearest`,
		`{"height": 3, "width": 3, "fill_mode": "reflect"}`:          `only "constant"`,
		`{"height": 3, "width": 3, "data_format": "channels_first"}`: `"data_format" = "channels_first" is not supported`,
		`{"height": 3, "width": 3, "antialias": true}`:               `unknown key(s) antialias`,
		`{"height": -3, "width": 3}`:                                 `positive height and width`,
	})
	prepConfigErrors(t, "CenterCrop", map[string]string{
		`{"height": 3}`: `missing "width"`,
		`{"height": 3, "width": 3, "bounding_box_format": "xyxy"}`: `"bounding_box_format" = "xyxy" is not supported by goras (only null)`,
	})
}
