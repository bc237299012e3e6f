package autograd_test

import (
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// TestLayerNormGradients checks LayerNorm's gradients with respect to x, γ
// and β against finite differences (autograd.CheckGradients), over one and
// two trailing axes, with and without γ and β, and with rms scaling.
func TestLayerNormGradients(t *testing.T) {
	cases := []struct {
		name        string
		shape       []int
		axes        int
		gamma, beta bool
		rms         bool
	}{
		{"last", []int{3, 5}, 1, true, true, false},
		{"last/rank3", []int{2, 3, 4}, 1, true, true, false},
		{"last-two", []int{2, 3, 4}, 2, true, true, false},
		{"no-gamma", []int{3, 4}, 1, false, true, false},
		{"no-beta", []int{3, 4}, 1, true, false, false},
		{"neither", []int{2, 2, 3}, 2, false, false, false},
		{"rms", []int{3, 5}, 1, true, false, true},
		{"rms/last-two", []int{2, 2, 3}, 2, true, false, true},
	}
	for _, c := range cases {
		rng := tensor.NewRNG(21)
		x := tensor.New(c.shape...)
		x.FillNormal(rng, 0.5, 1) // a spread of 1: ε = 1e-3 keeps the curvature within the checker's step
		norm := c.shape[len(c.shape)-c.axes:]
		var gamma, beta *autograd.Param
		if c.gamma {
			gamma = autograd.NewParam("gamma", true, norm...)
			gamma.Value.FillNormal(rng, 1, 0.5)
		}
		if c.beta {
			beta = autograd.NewParam("beta", true, norm...)
			beta.Value.FillNormal(rng, 0, 0.5)
		}
		err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
			return p.LayerNorm(in[0], c.axes, gamma, beta, 1e-3, c.rms)
		}, autograd.GradCheck{}, x)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestLayerNormNormalizes: with γ 1 and β 0, every row comes out with mean
// 0 and variance var/(var + ε), in training and inference alike.
func TestLayerNormNormalizes(t *testing.T) {
	for _, training := range []bool{true, false} {
		p := autograd.NewPlan(4)
		x := p.Input(3, 8)
		x.Value.FillNormal(tensor.NewRNG(2), 5, 3)
		y := p.LayerNorm(x, 1, nil, nil, 1e-3, false)
		p.Forward(training)
		for r := 0; r < 12; r++ {
			xr, yr := x.Value.Data()[r*8:r*8+8], y.Value.Data()[r*8:r*8+8]
			var mx, vx, my, vy float64
			for j := range 8 {
				mx += float64(xr[j]) / 8
				my += float64(yr[j]) / 8
			}
			for j := range 8 {
				vx += (float64(xr[j]) - mx) * (float64(xr[j]) - mx) / 8
				vy += (float64(yr[j]) - my) * (float64(yr[j]) - my) / 8
			}
			if want := vx / (vx + 1e-3); math.Abs(my) > 1e-6 || math.Abs(vy-want) > 1e-5 {
				t.Fatalf("training %v, row %d: mean %v, variance %v; want 0 and %v", training, r, my, vy, want)
			}
		}
	}
}
