package autograd

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// bnParams makes a batch normalization's weights for f channels with
// values far from the defaults (γ 1, β 0, mean 0, var 1), so that a fold
// that dropped one of them would show; scale and center off leave γ, β nil.
func bnParams(f int, scale, center bool, seed uint64) BatchNormInference {
	rng := tensor.NewRNG(seed)
	bn := BatchNormInference{Epsilon: 1e-3}
	bn.MovingMean = NewParam("mean", false, f)
	bn.MovingMean.Value.FillNormal(rng, 0, 1)
	bn.MovingVariance = NewParam("var", false, f)
	bn.MovingVariance.Value.FillUniform(rng, 0.2, 3)
	if scale {
		bn.Gamma = NewParam("gamma", true, f)
		bn.Gamma.Value.FillUniform(rng, -2, 2)
	}
	if center {
		bn.Beta = NewParam("beta", true, f)
		bn.Beta.Value.FillNormal(rng, 0, 1)
	}
	return bn
}

// TestConv2DBatchNormMatchesDefinition holds the folded op against the
// three ops it replaces (Conv2DBiasReLU, BatchNorm, ReLU in an inference
// plan) within 1e-5 relative, and both against the definition in float64.
func TestConv2DBatchNormMatchesDefinition(t *testing.T) {
	for _, c := range []struct {
		n, h, w, c, kh, kw, f, sh, sw, pt, pb, pl, pr int
		bias, relu, scale, center                     bool
	}{
		{2, 9, 8, 3, 3, 3, 5, 1, 1, 1, 1, 1, 1, true, true, true, true},
		{1, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 1, 1, false, true, true, true}, // the best recipe's first layer
		{3, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1, 1, 1, false, true, true, true},
		{1, 11, 10, 2, 5, 5, 4, 2, 2, 2, 2, 1, 2, true, false, false, true},
		{2, 6, 7, 4, 1, 1, 3, 1, 1, 0, 0, 0, 0, true, true, true, false},
	} {
		rng := tensor.NewRNG(11)
		p, q := NewInferencePlan(c.n), NewInferencePlan(c.n)
		x := p.Input(c.h, c.w, c.c)
		x.Value.FillNormal(rng, 0, 1)
		xq := q.Input(c.h, c.w, c.c)
		xq.Value.CopyFrom(x.Value)
		w := NewParam("w", true, c.kh, c.kw, c.c, c.f)
		w.Value.FillNormal(rng, 0, 0.5)
		var b *Param
		if c.bias {
			b = NewParam("b", true, c.f)
			b.Value.FillNormal(rng, 0, 1)
		}
		bn := bnParams(c.f, c.scale, c.center, 3)
		y := p.Conv2DBatchNorm(x, w, b, bn, c.relu, c.sh, c.sw, c.pt, c.pb, c.pl, c.pr)
		yq := q.BatchNorm(q.Conv2DBiasReLU(xq, w, b, false, c.sh, c.sw, c.pt, c.pb, c.pl, c.pr), bn.Gamma, bn.Beta, bn.MovingMean, bn.MovingVariance, 0.99, bn.Epsilon)
		if c.relu {
			yq = q.ReLU(yq)
		}
		p.Forward(false)
		q.Forward(false)
		conv, _, _ := naiveConv(x.Value.Data(), w.Value.Data(), c.n, c.h, c.w, c.c, c.kh, c.kw, c.f, c.sh, c.sw, c.pt, c.pb, c.pl, c.pr)
		if !tensor.SameShape(y.Shape(), yq.Shape()) {
			t.Fatalf("%+v: shape %v, the unfolded ops give %v", c, y.Shape(), yq.Shape())
		}
		scale := 0.0 // the outputs' magnitude, for a tolerance relative to it
		for _, v := range yq.Value.Data() {
			scale = max(scale, math.Abs(float64(v)))
		}
		for i, v := range y.Value.Data() {
			f := i % c.f
			want := conv[i]
			if b != nil {
				want += float64(b.Value.Data()[f])
			}
			want = bnRef(bn, f, want)
			if c.relu {
				want = max(want, 0)
			}
			if d := math.Abs(float64(v) - want); d > 1e-5*(math.Abs(want)+scale) {
				t.Fatalf("%+v: y[%d] = %v, float64 definition %v", c, i, v, want)
			}
			if u := yq.Value.Data()[i]; math.Abs(float64(v-u)) > 1e-5*(math.Abs(float64(u))+scale) {
				t.Fatalf("%+v: y[%d] = %v folded, %v by the three ops", c, i, v, u)
			}
		}
	}
}

// bnRef is batch normalization at inference of channel f, in float64.
func bnRef(bn BatchNormInference, f int, v float64) float64 {
	g, b := 1.0, 0.0
	if bn.Gamma != nil {
		g = float64(bn.Gamma.Value.Data()[f])
	}
	if bn.Beta != nil {
		b = float64(bn.Beta.Value.Data()[f])
	}
	mean, variance := float64(bn.MovingMean.Value.Data()[f]), float64(bn.MovingVariance.Value.Data()[f])
	return g*(v-mean)/math.Sqrt(variance+bn.Epsilon) + b
}

// TestConv2DBatchNormFollowsTheWeights changes every weight the fold reads
// after the plan is built: the next Forward must use the new values.
func TestConv2DBatchNormFollowsTheWeights(t *testing.T) {
	rng := tensor.NewRNG(5)
	p := NewInferencePlan(1)
	x := p.Input(4, 4, 1)
	x.Value.FillNormal(rng, 0, 1)
	w := NewParam("w", true, 3, 3, 1, 2)
	w.Value.FillNormal(rng, 0, 1)
	b := NewParam("b", true, 2)
	bn := bnParams(2, true, true, 9)
	y := p.Conv2DBatchNorm(x, w, b, bn, false, 1, 1, 1, 1, 1, 1)
	check := func(what string) {
		t.Helper()
		p.Forward(false)
		conv, _, _ := naiveConv(x.Value.Data(), w.Value.Data(), 1, 4, 4, 1, 3, 3, 2, 1, 1, 1, 1, 1, 1)
		for i, v := range y.Value.Data() {
			want := bnRef(bn, i%2, conv[i]+float64(b.Value.Data()[i%2]))
			if math.Abs(float64(v)-want) > 1e-5*(1+math.Abs(want)) {
				t.Fatalf("after %s: y[%d] = %v, want %v", what, i, v, want)
			}
		}
	}
	check("building")
	for _, c := range []struct {
		name string
		v    *tensor.Tensor
	}{{"the kernel", w.Value}, {"the bias", b.Value}, {"gamma", bn.Gamma.Value}, {"beta", bn.Beta.Value}, {"the moving mean", bn.MovingMean.Value}} {
		c.v.FillNormal(rng, 0, 1)
		check("a change of " + c.name)
	}
	bn.MovingVariance.Value.FillUniform(rng, 0.1, 5)
	check("a change of the moving variance")
}

func TestConv2DBatchNormPanics(t *testing.T) {
	mustPanic := func(what, want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(r.(string), want) {
				t.Errorf("%s: panic %v, want one saying %q", what, r, want)
			}
		}()
		f()
	}
	w := NewParam("w", true, 3, 3, 2, 4)
	bn := bnParams(4, true, true, 1)
	mustPanic("training plan", "inference plans", func() {
		p := NewPlan(1)
		p.Conv2DBatchNorm(p.Input(5, 5, 2), w, nil, bn, true, 1, 1, 0, 0, 0, 0)
	})
	mustPanic("channels", "(want (N,H,W,C) and (KH,KW,C,F))", func() {
		p := NewInferencePlan(1)
		p.Conv2DBatchNorm(p.Input(5, 5, 3), w, nil, bn, true, 1, 1, 0, 0, 0, 0)
	})
	mustPanic("statistics", "moving_variance_of_3 of shape [3]", func() {
		p := NewInferencePlan(1)
		short := bn
		short.MovingVariance = NewParam("moving_variance_of_3", false, 3)
		p.Conv2DBatchNorm(p.Input(5, 5, 2), w, nil, short, true, 1, 1, 0, 0, 0, 0)
	})
	mustPanic("epsilon", "epsilon > 0", func() {
		p := NewInferencePlan(1)
		zero := bn
		zero.Epsilon = 0
		p.Conv2DBatchNorm(p.Input(5, 5, 2), w, nil, zero, true, 1, 1, 0, 0, 0, 0)
	})
}

// TestConv2DBatchNormAllocatesNothing: a Forward of the folded op, the
// fold included, allocates nothing.
func TestConv2DBatchNormAllocatesNothing(t *testing.T) {
	p := NewInferencePlan(2)
	x := p.Input(12, 12, 8)
	x.Value.FillNormal(tensor.NewRNG(1), 0, 1)
	w := NewParam("w", true, 3, 3, 8, 16)
	w.Value.FillNormal(tensor.NewRNG(2), 0, 1)
	p.Conv2DBatchNorm(x, w, nil, bnParams(16, true, true, 3), true, 1, 1, 1, 1, 1, 1)
	p.Forward(false)
	if n := testing.AllocsPerRun(10, func() { p.Forward(false) }); n != 0 {
		t.Errorf("Forward allocates %v times", n)
	}
}
