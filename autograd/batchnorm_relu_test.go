package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// bnReLUCase is one shape and set of weights for BatchNormReLU; scale and
// center are Keras's (γ and β present).
type bnReLUCase struct {
	shape         []int
	scale, center bool
}

// bnReLUNet builds probe(BatchNormReLU(x)) when fused, else
// probe(ReLU(BatchNorm(x))), from weights drawn from seed, so that two
// calls with the same seed start from the same bits. It returns the loss
// and every tensor a step changes or computes.
func bnReLUNet(c bnReLUCase, seed uint64, fused bool) (*Plan, map[string]*tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 16))
	p := NewPlan(1)
	x := leaf(p, rng, false, c.shape...)
	n := c.shape[len(c.shape)-1]
	var g, b *Param
	if c.scale {
		g = param(p, rng, "gamma", n)
	}
	if c.center {
		b = param(p, rng, "beta", n)
	}
	mm, mv := movingStats(rng, n)
	var y *Var
	if fused {
		y = p.BatchNormReLU(x, g, b, mm, mv, 0.9, 1e-3)
	} else {
		y = p.ReLU(p.BatchNorm(x, g, b, mm, mv, 0.9, 1e-3))
	}
	p.probe(y, rng)
	out := map[string]*tensor.Tensor{"y": y.Value, "dx": x.Grad, "moving_mean": mm.Value, "moving_variance": mv.Value}
	if g != nil {
		out["dgamma"] = g.Grad
	}
	if b != nil {
		out["dbeta"] = b.Grad
	}
	return p, out
}

// TestBatchNormReLUSameBits holds the fused op against BatchNorm then ReLU,
// bit for bit: the output, every gradient and the moving statistics, over
// training steps and an evaluation (Forward(false)) with its backward,
// for rank 2 and NHWC shapes, channels on and off the assembly's multiple
// of 8, with and without γ and β.
func TestBatchNormReLUSameBits(t *testing.T) {
	cases := []bnReLUCase{
		{[]int{6, 5}, true, true},
		{[]int{2, 5, 5, 8}, true, true},
		{[]int{3, 4, 4, 16}, false, true},
		{[]int{40, 24}, true, false},
		{[]int{2, 3, 3, 3}, false, false},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%v scale %v center %v", c.shape, c.scale, c.center)
		pf, fused := bnReLUNet(c, 3, true)
		pu, unfused := bnReLUNet(c, 3, false)
		if pf.Ops() != pu.Ops()-1 {
			t.Fatalf("%s: fused plan has %d ops, unfused %d: want one less", name, pf.Ops(), pu.Ops())
		}
		for step, training := range []bool{true, true, true, false} {
			pf.Forward(training)
			pf.Backward()
			pu.Forward(training)
			pu.Backward()
			for k, want := range unfused {
				got := fused[k].Data()
				for i, w := range want.Data() {
					if math.Float32bits(got[i]) != math.Float32bits(w) {
						t.Fatalf("%s step %d (training %v): %s[%d] = %v, unfused %v", name, step, training, k, i, got[i], w)
					}
				}
			}
		}
	}
}

// TestBatchNormSetXSameBits runs BatchNorm and BatchNormReLU with setX
// (x's gradient set, not added to) against the same ops adding into a
// zeroed gradient, bit for bit, with x's gradient poisoned with NaN before
// each backward pass instead of zeroed: setting must write all of it and
// read none of it.
func TestBatchNormSetXSameBits(t *testing.T) {
	cases := []bnReLUCase{{[]int{6, 5}, true, true}, {[]int{2, 5, 5, 8}, true, true}, {[]int{40, 24}, false, true}}
	for _, c := range cases {
		for _, fused := range []bool{false, true} {
			name := fmt.Sprintf("%v fused %v", c.shape, fused)
			pa, add := bnReLUNet(c, 4, fused)
			ps, set := bnReLUNet(c, 4, fused)
			ps.ops[0].(*batchNorm).setX = true
			for step, training := range []bool{true, true, false} {
				pa.Forward(training)
				pa.Backward()
				ps.Forward(training)
				for _, g := range ps.grads {
					g.Zero()
				}
				for i := range set["dx"].Data() {
					set["dx"].Data()[i] = float32(math.NaN())
				}
				for i := len(ps.ops) - 1; i >= 0; i-- {
					ps.ops[i].Backward()
				}
				for k, want := range add {
					got := set[k].Data()
					for i, w := range want.Data() {
						if math.Float32bits(got[i]) != math.Float32bits(w) {
							t.Fatalf("%s step %d: %s[%d] = %v set, %v added", name, step, k, i, got[i], w)
						}
					}
				}
			}
		}
	}
}

// TestBatchNormReLUGradients checks the fused op's backward against
// central finite differences, training and inference, as TestMoreGradients
// does for BatchNorm.
func TestBatchNormReLUGradients(t *testing.T) {
	for _, training := range []bool{true, false} {
		t.Run(fmt.Sprintf("training=%v", training), func(t *testing.T) {
			rng := tensor.NewRNG(1)
			p := NewPlan(1)
			x := leaf(p, rng, true, 2, 3, 3, 4)
			g, b := param(p, rng, "gamma", 4), param(p, rng, "beta", 4)
			mm, mv := movingStats(rng, 4)
			loss := p.probe(p.BatchNormReLU(x, g, b, mm, mv, 0.99, 1e-3), rng)
			eval := func() float64 {
				p.Forward(training)
				return loss.Loss()
			}
			checkGradients(t, eval, p.Backward, append([]*Var{x}, params(g, b)...), 2e-3, 2e-2)
		})
	}
}

// BenchmarkBatchNormReLUBounty times a training step (forward and
// backward) of batch normalization and ReLU on the bounty CNN's first
// activation (128,28,28,32), as two ops and fused. The output gradient is
// left zero (Backward zeroes it, with no op to write it): the passes run
// the same whatever its values.
func BenchmarkBatchNormReLUBounty(b *testing.B) {
	for _, fused := range []bool{false, true} {
		b.Run(fmt.Sprintf("fused=%v", fused), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			p := NewPlan(128)
			x := leaf(p, rng, false, 128, 28, 28, 32)
			g, beta := NewParam("gamma", true, 32), NewParam("beta", true, 32)
			mm, mv := NewParam("mm", false, 32), NewParam("mv", false, 32)
			if fused {
				p.BatchNormReLU(x, g, beta, mm, mv, 0.99, 1e-3)
			} else {
				p.ReLU(p.BatchNorm(x, g, beta, mm, mv, 0.99, 1e-3))
			}
			b.SetBytes(4 * int64(x.Value.Len()))
			for b.Loop() {
				p.Forward(true)
				p.Backward()
			}
		})
	}
}
