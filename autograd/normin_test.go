package autograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// normInNet builds probe(R(BatchNorm[ReLU](Conv2D(x)))) from weights
// drawn from seed, R a padded convolution or, with pool, a 2×2 max
// pooling, which applies the normalization itself when fold
// (ReaderAppliesNorm, whose answer it returns); and every tensor a step
// computes.
func normInNet(seed uint64, relu, pool, fold bool) (*Plan, bool, map[string]*tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 23))
	p := NewPlan(2)
	x := leaf(p, rng, false, 2, 6, 6, 3)
	w1, w2 := param(p, rng, "w1", 3, 3, 3, 8), param(p, rng, "w2", 3, 3, 8, 4)
	g, b := param(p, rng, "gamma", 8), param(p, rng, "beta", 8)
	mm, mv := movingStats(rng, 8)
	y := p.Conv2D(x, w1, 1, 1, 1, 1, 1, 1)
	a := p.batchNorm("BatchNorm", y, g, b, mm, mv, 0.9, 1e-3, relu)
	var z *Var
	if pool {
		z = p.MaxPool2D(a, 2, 2, 2, 2, 0, 0, 0, 0)
	} else {
		z = p.Conv2D(a, w2, 1, 1, 1, 1, 1, 1)
	}
	pr := &probe{y: z, r: make([]float32, z.Value.Len())}
	for i := range pr.r {
		pr.r[i] = float32(rng.NormFloat64())
	}
	p.add(listedProbe{pr})
	folded := fold && p.ReaderAppliesNorm(a)
	return p, folded, map[string]*tensor.Tensor{"z": z.Value, "dx": x.Grad, "dw1": w1.Grad, "dw2": w2.Grad,
		"dgamma": g.Grad, "dbeta": b.Grad, "moving_mean": mm.Value, "moving_variance": mv.Value}
}

// TestReaderAppliesNormSameBits holds a convolution, and a max pooling,
// that applies the batch normalization before it against the two run
// apart, bit for bit, over training steps and an evaluation, with and
// without the normalization's ReLU.
func TestReaderAppliesNormSameBits(t *testing.T) {
	for _, c := range []struct{ relu, pool bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		relu := c.relu
		pf, folded, got := normInNet(7, relu, c.pool, true)
		if !folded {
			t.Fatalf("relu %v pool %v: ReaderAppliesNorm refused a reader of a normalization alone", relu, c.pool)
		}
		pa, _, want := normInNet(7, relu, c.pool, false)
		for step, training := range []bool{true, true, false, true} {
			for _, p := range []*Plan{pf, pa} {
				p.Forward(training)
				p.Backward()
			}
			requireSameTensors(t, fmt.Sprintf("%+v step %d (training %v)", c, step, training), got, want)
		}
	}
}

// TestReaderAppliesNormRefuses checks the cases ReaderAppliesNorm must
// leave alone: an inference plan, a value no normalization made, two
// convolutions reading the value, an unpadded convolution, a pooling
// other than 2×2 at stride 2, and a second call for the same value.
func TestReaderAppliesNormRefuses(t *testing.T) {
	build := func(infer bool, pad int, readers int, pool int) (*Plan, *Var, *Var) {
		rng := rand.New(rand.NewPCG(3, 4))
		p := NewPlan(2)
		if infer {
			p = NewInferencePlan(2)
		}
		x := leaf(p, rng, false, 2, 6, 6, 8)
		g, b := param(p, rng, "gamma", 8), param(p, rng, "beta", 8)
		mm, mv := movingStats(rng, 8)
		a := p.batchNorm("BatchNorm", x, g, b, mm, mv, 0.9, 1e-3, true)
		for i := range readers {
			p.Conv2D(a, param(p, rng, fmt.Sprint("w", i), 3, 3, 8, 4), 1, 1, pad, pad, pad, pad)
		}
		if pool > 0 {
			p.MaxPool2D(a, pool, pool, pool, pool, 0, 0, 0, 0)
		}
		return p, x, a
	}
	for _, c := range []struct {
		name               string
		infer              bool
		pad, readers, pool int
		onInput, want      bool
	}{
		{"padded, one reader", false, 1, 1, 0, false, true},
		{"2×2 pooling", false, 1, 0, 2, false, true},
		{"inference plan", true, 1, 1, 0, false, false},
		{"not a normalization's output", false, 1, 1, 0, true, false},
		{"two convolutions", false, 1, 2, 0, false, false},
		{"a convolution and a pooling", false, 1, 1, 2, false, false},
		{"unpadded", false, 0, 1, 0, false, false},
		{"3×3 pooling", false, 1, 0, 3, false, false},
		{"no reader", false, 1, 0, 0, false, false},
	} {
		p, x, a := build(c.infer, c.pad, c.readers, c.pool)
		v := a
		if c.onInput {
			v = x
		}
		if got := p.ReaderAppliesNorm(v); got != c.want {
			t.Errorf("%s: ReaderAppliesNorm = %v, want %v", c.name, got, c.want)
		}
		if c.want && p.ReaderAppliesNorm(v) {
			t.Errorf("%s: a second ReaderAppliesNorm of the same value = true", c.name)
		}
	}
}
