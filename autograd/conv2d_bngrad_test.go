package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// listedProbe is probe that lists the gradient it adds to, so that the
// plan knows every writer (an op that does not say what it writes keeps
// every buffer before it zeroed and every op apart).
type listedProbe struct{ *probe }

func (o listedProbe) gradSlots(dst []gradSlot) []gradSlot { return slot(dst, o.y.Grad) }

// convBNNet builds probe(BatchNorm[ReLU](Conv2D(x))) from weights drawn
// from seed; with shared, the probe also reads the convolution's output
// (an Add of it and the normalization's), so that two ops write its
// gradient. It returns the plan, the convolution and every tensor a step
// computes.
func convBNNet(seed uint64, relu, shared bool) (*Plan, *conv2D, map[string]*tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 17))
	p := NewPlan(2)
	x := leaf(p, rng, false, 2, 6, 6, 3)
	w := param(p, rng, "w", 3, 3, 3, 8)
	g, b := param(p, rng, "gamma", 8), param(p, rng, "beta", 8)
	mm, mv := movingStats(rng, 8)
	y := p.Conv2D(x, w, 1, 1, 1, 1, 1, 1)
	z := p.batchNorm("BatchNorm", y, g, b, mm, mv, 0.9, 1e-3, relu)
	if shared {
		z = p.Add(z, y)
	}
	pr := &probe{y: z, r: make([]float32, z.Value.Len())}
	for i := range pr.r {
		pr.r[i] = float32(rng.NormFloat64())
	}
	p.add(listedProbe{pr})
	out := map[string]*tensor.Tensor{"z": z.Value, "dx": x.Grad, "dw": w.Grad, "dgamma": g.Grad, "dbeta": b.Grad,
		"moving_mean": mm.Value, "moving_variance": mv.Value}
	return p, p.ops[0].(*conv2D), out
}

// TestConvBNPairSameBits holds a convolution paired with the batch
// normalization after it (the convolution computing the normalization's
// input gradient) against the two run apart, bit for bit, over training
// steps and an evaluation, with and without the normalization's ReLU; and
// checks that the pairing happens only where the normalization alone
// writes the convolution's output gradient.
func TestConvBNPairSameBits(t *testing.T) {
	defer func() { convBNOff = false }()
	for _, relu := range []bool{false, true} {
		for _, shared := range []bool{false, true} {
			name := fmt.Sprintf("relu %v shared %v", relu, shared)
			convBNOff = false
			pp, cv, paired := convBNNet(5, relu, shared)
			convBNOff = true
			pa, _, apart := convBNNet(5, relu, shared)
			for step, training := range []bool{true, true, false, true} {
				convBNOff = false
				pp.Forward(training)
				pp.Backward()
				convBNOff = true
				pa.Forward(training)
				pa.Backward()
				if want := !shared; (cv.bn != nil) != want {
					t.Fatalf("%s: convolution paired %v, want %v", name, cv.bn != nil, want)
				}
				requireSameTensors(t, fmt.Sprintf("%s step %d (training %v)", name, step, training), paired, apart)
			}
		}
	}
}

// requireSameTensors fails unless every tensor of got has the float32 bits
// of the one of the same name in want (a plan with an optimization, and
// the same plan without it); what says which step.
func requireSameTensors(t *testing.T, what string, got, want map[string]*tensor.Tensor) {
	t.Helper()
	for k, w := range want {
		g := got[k].Data()
		for i, v := range w.Data() {
			if math.Float32bits(g[i]) != math.Float32bits(v) {
				t.Fatalf("%s: %s[%d] = %v with it, %v without", what, k, i, g[i], v)
			}
		}
	}
}
