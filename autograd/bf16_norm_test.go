package autograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// bf16NormNet builds probe(MaxPool(BN₂(Conv₂(BN₁(Conv₁(x)))))), every BN
// with its ReLU or none, both convolutions on bfloat16 products (8
// channels each side), from weights drawn from seed, with the pairings of
// a convolution and its normalizations on (statistics, the output
// gradient, the input's normalization, the sums, the pooled gradient) or
// all off. It returns the plan, its ops in order and every tensor a step
// computes. The caller has turned bfloat16 products on.
func bf16NormNet(seed uint64, relu, paired bool) (*Plan, []Op, map[string]*tensor.Tensor) {
	convStatsOff, convBNOff, normSumsOff, pooledOff = !paired, !paired, !paired, !paired
	rng := rand.New(rand.NewPCG(seed, 31))
	p := NewPlan(5)
	x := leaf(p, rng, true, 5, 6, 6, 8)
	w1, w2 := param(p, rng, "w1", 3, 3, 8, 8), param(p, rng, "w2", 3, 3, 8, 8)
	g1, b1 := param(p, rng, "gamma1", 8), param(p, rng, "beta1", 8)
	g2, b2 := param(p, rng, "gamma2", 8), param(p, rng, "beta2", 8)
	mm1, mv1 := movingStats(rng, 8)
	mm2, mv2 := movingStats(rng, 8)
	a := p.batchNorm("BatchNorm", p.Conv2D(x, w1, 1, 1, 1, 1, 1, 1), g1, b1, mm1, mv1, 0.9, 1e-3, relu)
	c := p.batchNorm("BatchNorm", p.Conv2D(a, w2, 1, 1, 1, 1, 1, 1), g2, b2, mm2, mv2, 0.9, 1e-3, relu)
	z := p.MaxPool2D(c, 2, 2, 2, 2, 0, 0, 0, 0)
	pr := &probe{y: z, r: make([]float32, z.Value.Len())}
	for i := range pr.r {
		pr.r[i] = float32(rng.NormFloat64())
	}
	p.add(listedProbe{pr})
	if paired && !p.ReaderAppliesNorm(a) {
		panic("ReaderAppliesNorm refused the second convolution")
	}
	return p, p.ops, map[string]*tensor.Tensor{"z": z.Value, "dx": x.Grad, "dw1": w1.Grad, "dw2": w2.Grad,
		"dgamma1": g1.Grad, "dbeta1": b1.Grad, "dgamma2": g2.Grad, "dbeta2": b2.Grad,
		"moving_mean1": mm1.Value, "moving_variance1": mv1.Value, "moving_mean2": mm2.Value, "moving_variance2": mv2.Value}
}

// TestBF16ConvNormPairingsSameBits holds bfloat16 convolutions paired
// with the normalizations around them against the same plan with every
// pairing off, bit for bit, over training steps and an evaluation, with
// and without the normalizations' ReLU; and checks that each pairing took
// place.
func TestBF16ConvNormPairingsSameBits(t *testing.T) {
	if !SetBF16Products(true) {
		t.Skip("this CPU has no fast bfloat16 products")
	}
	defer SetBF16Products(false)
	defer func() { convStatsOff, convBNOff, normSumsOff, pooledOff = false, false, false, false }()
	for _, relu := range []bool{false, true} {
		name := fmt.Sprintf("relu %v", relu)
		pp, ops, paired := bf16NormNet(11, relu, true)
		pa, _, apart := bf16NormNet(11, relu, false)
		for step, training := range []bool{true, true, false, true} {
			for i, p := range []*Plan{pp, pa} {
				on := i == 0
				convStatsOff, convBNOff, normSumsOff, pooledOff = !on, !on, !on, !on
				p.Forward(training)
				p.Backward()
			}
			requireSameTensors(t, fmt.Sprintf("%s step %d (training %v)", name, step, training), paired, apart)
		}
		cv1, bn1, cv2, bn2 := ops[0].(*conv2D), ops[1].(*batchNorm), ops[2].(*conv2D), ops[3].(*batchNorm)
		switch {
		case cv1.kb == nil || cv2.kb == nil:
			t.Fatalf("%s: a convolution without bfloat16 products", name)
		case bn1.statsFrom != cv1 || bn2.statsFrom != cv2:
			t.Fatalf("%s: statistics from the convolutions: %v, %v", name, bn1.statsFrom != nil, bn2.statsFrom != nil)
		case cv1.bn != bn1 || cv2.bn != bn2:
			t.Fatalf("%s: output gradients from the normalizations: %v, %v", name, cv1.bn != nil, cv2.bn != nil)
		case cv2.in != bn1:
			t.Fatalf("%s: the second convolution does not apply the first normalization", name)
		case !bn1.runsOn || !bn2.runsOn:
			t.Fatalf("%s: sums taken by the readers: %v, %v", name, bn1.runsOn, bn2.runsOn)
		case cv2.pool == nil:
			t.Fatalf("%s: the second convolution does not make its gradient from the pooling's", name)
		}
	}
}
