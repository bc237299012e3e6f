package layers_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// TestClipInfiniteLimitsConfig: a Clip whose infinite limit binds, from
// +∞ to +∞ or from -∞ to -∞ (what ONNX's Clip with a min of +∞, or a min
// above a max of -∞, imports as), computes the same after its config goes
// through JSON: every value +∞, or -∞, as min(max(x, min), max) gives.
// Both limits were written as null, which reads as no limit: the layer
// read back passed its input through.
func TestClipInfiniteLimitsConfig(t *testing.T) {
	inf := math.Inf(1)
	x := []float32{-3, 0, 2.5, float32(math.Inf(-1)), float32(inf)}
	for _, c := range [][2]float64{{inf, inf}, {-inf, -inf}, {-inf, inf}, {-inf, 1.5}, {0, inf}, {2, 2}} {
		want := make([]float32, len(x))
		for i, v := range x {
			want[i] = float32(math.Min(math.Max(float64(v), c[0]), c[1]))
		}
		b, err := json.Marshal(layers.Clip(c[0], c[1], layers.WithName("clip")).Config())
		if err != nil {
			t.Fatalf("Clip(%v, %v): %v", c[0], c[1], err)
		}
		l, err := fromJSON(t, "Clip", string(b))
		if err != nil {
			t.Fatalf("Clip(%v, %v) from %s: %v", c[0], c[1], b, err)
		}
		if _, err := l.Build([]int{len(x)}, tensor.NewRNG(1)); err != nil {
			t.Fatal(err)
		}
		p := autograd.NewInferencePlan(1)
		in := p.Input(len(x))
		copy(in.Value.Data(), x)
		y := l.Call(p, in)
		p.Forward(false)
		for i, g := range y.Value.Data() {
			if g != want[i] {
				t.Errorf("Clip(%v, %v) read back from %s: %v gives %v, want %v", c[0], c[1], b, x[i], g, want[i])
			}
		}
	}
}
