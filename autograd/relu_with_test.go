package autograd_test

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// TestReLUWithGradients checks ReLUWith's backward pass against finite
// differences, on inputs kept 0.05 or more from every kink (threshold,
// max_value), for each combination of Keras's arguments.
func TestReLUWithGradients(t *testing.T) {
	inf := math.Inf(1)
	cases := []struct{ slope, maxValue, threshold float64 }{
		{0, inf, 0}, {0.3, inf, 0}, {0, 6, 0}, {0, 1.2, 0.5}, {0.2, 1.5, 0.3},
	}
	for _, c := range cases {
		x := tensor.New(4, 6)
		rng := tensor.NewRNG(3)
		kinks := []float64{c.threshold, c.maxValue}
		for i := range x.Data() {
			v := 2 * rng.NormFloat64()
			for near(v, kinks) {
				v += 0.1
			}
			x.Data()[i] = float32(v)
		}
		err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
			return p.ReLUWith(in[0], c.slope, c.maxValue, c.threshold)
		}, autograd.GradCheck{}, x)
		if err != nil {
			t.Errorf("ReLUWith(%v, %v, %v): %v", c.slope, c.maxValue, c.threshold, err)
		}
	}
}

func near(v float64, kinks []float64) bool {
	for _, k := range kinks {
		if math.Abs(v-k) < 0.05 {
			return true
		}
	}
	return false
}
