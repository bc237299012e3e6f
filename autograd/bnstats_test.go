package autograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// statsNet builds probe(BatchNorm[ReLU](Conv2D(x))) over a batch of n
// from weights drawn from seed, the convolution taking the batch
// statistics unless convStatsOff, and returns the plan, the normalization
// and every tensor a step computes.
func statsNet(seed uint64, n int, relu bool) (*Plan, *batchNorm, map[string]*tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 29))
	p := NewPlan(n)
	x := leaf(p, rng, false, n, 7, 6, 3)
	w := param(p, rng, "w", 3, 3, 3, 8)
	g, b := param(p, rng, "gamma", 8), param(p, rng, "beta", 8)
	mm, mv := movingStats(rng, 8)
	y := p.Conv2D(x, w, 1, 1, 1, 1, 1, 1)
	z := p.batchNorm("BatchNorm", y, g, b, mm, mv, 0.9, 1e-3, relu)
	pr := &probe{y: z, r: make([]float32, z.Value.Len())}
	for i := range pr.r {
		pr.r[i] = float32(rng.NormFloat64())
	}
	p.add(listedProbe{pr})
	return p, z.src.(*batchNorm), map[string]*tensor.Tensor{"z": z.Value, "dx": x.Grad, "dw": w.Grad,
		"dgamma": g.Grad, "dbeta": b.Grad, "moving_mean": mm.Value, "moving_variance": mv.Value}
}

// TestConvStatsSameBits holds a batch normalization that takes its batch
// statistics from the convolution before it against the two run apart,
// bit for bit, over training steps and evaluations; a batch of 2, whose
// samples the convolution splits across workers, stays apart.
func TestConvStatsSameBits(t *testing.T) {
	defer func() { convStatsOff = false }()
	for _, relu := range []bool{false, true} {
		for _, n := range []int{5, 2} {
			name := fmt.Sprintf("relu %v batch %d", relu, n)
			convStatsOff = false
			pp, bn, paired := statsNet(13, n, relu)
			convStatsOff = true
			pa, _, apart := statsNet(13, n, relu)
			if want := n >= 4; (bn.statsFrom != nil) != want {
				t.Fatalf("%s: statistics from the convolution %v, want %v", name, bn.statsFrom != nil, want)
			}
			for step, training := range []bool{true, false, true, true} {
				for _, p := range []*Plan{pp, pa} {
					p.Forward(training)
					p.Backward()
				}
				requireSameTensors(t, fmt.Sprintf("%s step %d (training %v)", name, step, training), paired, apart)
			}
		}
	}
}
