package autograd_test

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// TestSoftmaxAxes checks SoftmaxAxes' values against softmax computed in
// float64 column by column, and its gradient against finite differences,
// for axes in the middle, first, last and merged.
func TestSoftmaxAxes(t *testing.T) {
	cases := []struct {
		shape       []int
		first, last int
	}{
		{[]int{2, 3, 4}, 1, 1},
		{[]int{2, 3, 4, 2}, 2, 2},
		{[]int{2, 3, 4, 2}, 1, 2},
		{[]int{2, 3, 4}, 1, 2},
		{[]int{3, 5}, 1, 1},
	}
	for _, c := range cases {
		x := tensor.New(c.shape...)
		x.FillNormal(tensor.NewRNG(4), 0, 2)
		x.Data()[0] = 60 // exp(60) overflows float32: the max must be taken out
		p := autograd.NewInferencePlan(c.shape[0])
		in := p.Input(c.shape[1:]...)
		copy(in.Value.Data(), x.Data())
		y := p.SoftmaxAxes(in, c.first, c.last)
		p.Forward(false)
		outer, n := tensor.Numel(c.shape[:c.first]), tensor.Numel(c.shape[c.first:c.last+1])
		inner := tensor.Numel(c.shape[c.last+1:])
		for o := range outer {
			for i := range inner {
				at := func(k int) int { return (o*n+k)*inner + i }
				mx := math.Inf(-1)
				for k := range n {
					mx = max(mx, float64(x.Data()[at(k)]))
				}
				var s float64
				for k := range n {
					s += math.Exp(float64(x.Data()[at(k)]) - mx)
				}
				for k := range n {
					want := math.Exp(float64(x.Data()[at(k)])-mx) / s
					if got := float64(y.Value.Data()[at(k)]); math.Abs(got-want) > 1e-6 {
						t.Fatalf("%v over axes %d..%d: y[%d] = %v, want %v", c.shape, c.first, c.last, at(k), got, want)
					}
				}
			}
		}
		x.Data()[0] = 1
		err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
			return p.SoftmaxAxes(in[0], c.first, c.last)
		}, autograd.GradCheck{}, x)
		if err != nil {
			t.Errorf("%v over axes %d..%d: %v", c.shape, c.first, c.last, err)
		}
	}
}
