package autograd_test

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// TestPReLUGradients checks PReLU's gradients, with respect to x and to α,
// against finite differences for α of every sharing pattern: none, the
// leading axes (read as rows) and others (read through an index), on
// inputs kept away from the kink at 0.
func TestPReLUGradients(t *testing.T) {
	cases := []struct{ x, alpha []int }{
		{[]int{2, 3, 4}, []int{3, 4}},
		{[]int{3, 2, 2, 3}, []int{1, 1, 3}},
		{[]int{2, 3, 4}, []int{3, 1}},
		{[]int{2, 2, 3, 2}, []int{2, 1, 1}},
		{[]int{4, 5}, []int{1}},
	}
	for _, c := range cases {
		rng := tensor.NewRNG(5)
		x := tensor.New(c.x...)
		for i := range x.Data() {
			v := rng.NormFloat64()
			if math.Abs(v) < 0.1 {
				v = math.Copysign(0.1+math.Abs(v), v)
			}
			x.Data()[i] = float32(v)
		}
		alpha := autograd.NewParam("alpha", true, c.alpha...)
		alpha.Value.FillNormal(rng, 0.25, 0.5)
		err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
			return p.PReLU(in[0], alpha)
		}, autograd.GradCheck{}, x)
		if err != nil {
			t.Errorf("PReLU of %v with alpha %v: %v", c.x, c.alpha, err)
		}
	}
}
