package layers

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

var upSamplingKeys = []string{"name", "size", "data_format", "interpolation"}

func TestUpSampling2DHarness(t *testing.T) {
	checkLayers(t, []layerCase{
		{name: "UpSampling2D", layer: func() Layer { return UpSampling2D() }, input: []int{2, 3, 2}, output: []int{4, 6, 2}, keys: upSamplingKeys},
		{name: "UpSampling2D/3x1", layer: func() Layer { return UpSampling2D(WithSize(3, 1)) }, input: []int{2, 2, 9}, output: []int{6, 2, 9}, keys: upSamplingKeys},
		{name: "UpSampling2D/bilinear", layer: func() Layer { return UpSampling2D(WithUpSamplingInterpolation("bilinear")) }, input: []int{3, 2, 2}, output: []int{6, 4, 2}, keys: upSamplingKeys},
		{name: "UpSampling2D/bilinear-2x3", layer: func() Layer { return UpSampling2D(WithSize(2, 3), WithUpSamplingInterpolation("bilinear")) }, input: []int{2, 2, 3}, output: []int{4, 6, 3}, keys: upSamplingKeys},
	})
}

// torchUpSampling is a case of testdata/upsampling2d_torch.json, written by
// testdata/upsampling2d_torch.py: x, r, and PyTorch's y and d(Σ y·r)/dx,
// all NHWC, in float64.
type torchUpSampling struct {
	Name          string    `json:"name"`
	InputShape    []int     `json:"input_shape"`
	Size          []int     `json:"size"`
	Interpolation string    `json:"interpolation"`
	X             []float64 `json:"x"`
	R             []float64 `json:"r"`
	Y             []float64 `json:"y"`
	DX            []float64 `json:"dx"`
}

// upsamplingGradSeed is a test op whose Backward adds r to y's gradient: the
// gradient of Σ y·r.
type upsamplingGradSeed struct {
	y *autograd.Var
	r []float32
}

func (o *upsamplingGradSeed) Forward(bool) {}
func (o *upsamplingGradSeed) Backward()    { kernel.AddTo(o.y.Grad.Data(), o.r) }

// TestUpSampling2DAgainstPyTorch holds the output and the input gradient of
// both interpolations to PyTorch's F.interpolate (bilinear with
// align_corners=False, which is Keras's half-pixel resize when enlarging).
func TestUpSampling2DAgainstPyTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/upsampling2d_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct{ Cases []torchUpSampling }
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Cases) == 0 {
		t.Fatal("no cases in testdata/upsampling2d_torch.json")
	}
	f32 := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, e := range v {
			out[i] = float32(e)
		}
		return out
	}
	for _, c := range ref.Cases {
		l := UpSampling2D(WithSize(c.Size...), WithUpSamplingInterpolation(c.Interpolation), WithName("up"))
		if _, err := l.Build(c.InputShape[1:], nil); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		x, _ := tensor.FromSlice(f32(c.X), c.InputShape...)
		in := &autograd.Var{Value: x, Grad: tensor.New(c.InputShape...)}
		p := autograd.NewPlan(c.InputShape[0])
		y := l.Call(p, in)
		p.AddOp(&upsamplingGradSeed{y, f32(c.R)})
		p.Forward(true)
		p.Backward()
		compare := func(what string, got []float32, want []float64) {
			if len(got) != len(want) {
				t.Fatalf("%s: %s has %d values, PyTorch %d", c.Name, what, len(got), len(want))
			}
			for i, g := range got {
				if math.Abs(float64(g)-want[i]) > 1e-5*(1+math.Abs(want[i])) {
					t.Fatalf("%s: %s[%d] = %v, PyTorch %v", c.Name, what, i, g, want[i])
				}
			}
		}
		compare("y", y.Value.Data(), c.Y)
		compare("dx", in.Grad.Data(), c.DX)
	}
}

// TestUpSampling2DNearestFormula: Keras's nearest is ops.repeat along rows
// then columns, y[i, j] = x[⌊i/rows⌋, ⌊j/columns⌋], exactly.
func TestUpSampling2DNearestFormula(t *testing.T) {
	const h, w, c, sh, sw = 3, 2, 4, 2, 3
	x := normalTensor(5, 2, h, w, c)
	y := newStepper(t, UpSampling2D(WithSize(sh, sw)), 1, x).run(false)
	for s := 0; s < 2; s++ {
		for i := 0; i < h*sh; i++ {
			for j := 0; j < w*sw; j++ {
				for k := 0; k < c; k++ {
					got, want := y[((s*h*sh+i)*w*sw+j)*c+k], x.Data()[((s*h+i/sh)*w+j/sw)*c+k]
					if got != want {
						t.Fatalf("y[%d, %d, %d, %d] = %v, want x[%d, %d, %d, %d] = %v", s, i, j, k, got, s, i/sh, j/sw, k, want)
					}
				}
			}
		}
	}
}

func TestUpSampling2DErrors(t *testing.T) {
	checkBuildErrors(t, []buildErrCase{
		{UpSampling2D(WithSize(0, 2)), []int{2, 2, 1}, "size must be whole factors ≥ 1, got (0, 2)"},
		{UpSampling2D(WithSize(1, 2, 3)), []int{2, 2, 1}, "size takes one factor or two (rows, columns), got 3"},
		{UpSampling2D(WithUpSamplingInterpolation("bicubic")), []int{2, 2, 1}, `interpolation must be "nearest" or "bilinear", got "bicubic"`},
		{UpSampling2D(WithActivation("relu")), []int{2, 2, 1}, "UpSampling2D does not take the option activation"},
		{UpSampling2D(), []int{4, 4}, "expects images of shape (height, width, channels), got input of shape (None, 4, 4)"},
		{UpSampling2D(WithSize(1 << 20)), []int{28, 28, 1}, "more than the 2147483648 allowed"},
	})
	checkConfigErrors(t, []configErrCase{
		{"UpSampling2D", map[string]any{"size": []any{2.0}}, `"size" must be an integer or a list of 2 integers`},
		{"UpSampling2D", map[string]any{"size": -1.0}, "size must be whole factors ≥ 1, got (-1, -1)"},
		{"UpSampling2D", map[string]any{"interpolation": "lanczos3"}, `got "lanczos3"`},
		{"UpSampling2D", map[string]any{"data_format": "channels_first"}, `"data_format" = "channels_first" is not supported`},
	})
}

func TestUpSampling2DConfigRoundTrip(t *testing.T) {
	checkRoundTrip(t,
		UpSampling2D(),
		UpSampling2D(WithSize(3), WithUpSamplingInterpolation("Bilinear"), WithName("up")),
		UpSampling2D(WithSize(1, 4)),
	)
	// Keras 3's get_config, and a bare integer size as Keras's constructor
	// takes it.
	for _, c := range []struct {
		size any
		want [2]int
	}{{[]any{2.0, 3.0}, [2]int{2, 3}}, {4.0, [2]int{4, 4}}} {
		l, err := FromConfig("UpSampling2D", map[string]any{"name": "up_sampling2d", "trainable": true, "dtype": "float32",
			"size": c.size, "data_format": "channels_last", "interpolation": "bilinear"})
		if err != nil {
			t.Fatal(err)
		}
		if u := l.(*UpSampling2DLayer); u.Name() != "up_sampling2d" || u.Size() != c.want || u.Interpolation() != "bilinear" {
			t.Errorf("size %v read back as %v", c.size, u.Config())
		}
	}
	if got := UpSampling2D(WithUpSamplingInterpolation("NEAREST")).Config()["interpolation"]; got != "nearest" {
		t.Errorf("interpolation %v, want Keras's lower case", got)
	}
}
