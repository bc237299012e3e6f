package layers

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

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
