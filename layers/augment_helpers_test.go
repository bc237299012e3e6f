package layers

import (
	"math"
	"slices"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

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
