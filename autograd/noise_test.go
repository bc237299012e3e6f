package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// rewind is an op that reseeds a generator at the start of every Forward,
// so that the many forward passes of a gradient check draw the same noise
// and the check differentiates one fixed function. Added before the noise
// op, it runs first.
type rewind struct {
	src  *rand.PCG
	seed uint64
}

func (r *rewind) Forward(bool) { r.src.Seed(r.seed, r.seed) }
func (r *rewind) Backward()    {}

// replayed returns a generator that p rewinds before every Forward.
func replayed(p *autograd.Plan, seed uint64) *rand.Rand {
	src := rand.NewPCG(seed, seed)
	p.AddOp(&rewind{src, seed})
	return rand.New(src)
}

// randomTensor is a tensor of N(0, 1) draws.
func randomTensor(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	t.FillNormal(tensor.NewRNG(seed), 0, 1)
	return t
}

func TestNoiseGradients(t *testing.T) {
	type noiseOp func(p *autograd.Plan, x *autograd.Var, rng *rand.Rand) *autograd.Var
	ops := map[string]noiseOp{
		"SpatialDropout2D": func(p *autograd.Plan, x *autograd.Var, rng *rand.Rand) *autograd.Var {
			return p.SpatialDropout2D(x, 0.4, rng)
		},
		"GaussianNoise": func(p *autograd.Plan, x *autograd.Var, rng *rand.Rand) *autograd.Var {
			return p.GaussianNoise(x, 0.3, rng)
		},
		"GaussianDropout": func(p *autograd.Plan, x *autograd.Var, rng *rand.Rand) *autograd.Var {
			return p.GaussianDropout(x, 0.3, rng)
		},
	}
	for name, op := range ops {
		for _, inference := range []bool{false, true} {
			x := randomTensor(3, 2, 3, 2, 5)
			err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
				// The product with a second input makes the gradient depend
				// on the values too, not only on the noise.
				y := op(p, in[0], replayed(p, 11))
				return p.Multiply(y, in[1])
			}, autograd.GradCheck{Inference: inference}, x, randomTensor(4, 2, 3, 2, 5))
			if err != nil {
				t.Errorf("%s (inference %v): %v", name, inference, err)
			}
		}
	}
}

// runNoise runs one forward pass of op over x (shape (2,3,4,5)) and returns
// the output.
func runNoise(training bool, x *tensor.Tensor, op func(p *autograd.Plan, x *autograd.Var) *autograd.Var) []float32 {
	p := autograd.NewPlan(x.Dim(0))
	in := p.Input(x.Shape()[1:]...)
	copy(in.Value.Data(), x.Data())
	y := op(p, in)
	p.Forward(training)
	return y.Value.Data()
}

// TestNoiseValues holds each op's training output against its formula,
// computed in float64 from the same stream of draws, and its inference
// output against the input, bit for bit.
func TestNoiseValues(t *testing.T) {
	const seed = 5
	n, h, w, c := 2, 3, 4, 5
	x := randomTensor(1, n, h, w, c)
	xs := x.Data()
	check := func(name string, got []float32, want func(i int) float64) {
		t.Helper()
		for i, g := range got {
			if wi := want(i); math.Abs(float64(g)-wi) > 1e-6*(1+math.Abs(wi)) {
				t.Fatalf("%s: element %d = %v, want %v", name, i, g, wi)
			}
		}
	}

	// SpatialDropout2D: one 32-bit uniform per (sample, channel), two to a
	// 64-bit draw, dropping below rate·2³² and scaling the rest by 1/(1-rate).
	rate := 0.5
	ref := tensor.NewRNG(seed)
	keep := make([]float64, n*c)
	for i := 0; i < len(keep); i += 2 {
		r := ref.Uint64()
		for k, u := range []uint64{r & 0xffffffff, r >> 32} {
			if i+k < len(keep) && float64(u) >= rate*(1<<32) {
				keep[i+k] = 1 / (1 - rate)
			}
		}
	}
	got := runNoise(true, x, func(p *autograd.Plan, v *autograd.Var) *autograd.Var {
		return p.SpatialDropout2D(v, rate, tensor.NewRNG(seed))
	})
	check("SpatialDropout2D", got, func(i int) float64 { return float64(xs[i]) * keep[(i/(h*w*c))*c+i%c] })

	// GaussianNoise: x + stddev·z, z standard normal.
	ref = tensor.NewRNG(seed)
	got = runNoise(true, x, func(p *autograd.Plan, v *autograd.Var) *autograd.Var {
		return p.GaussianNoise(v, 0.7, tensor.NewRNG(seed))
	})
	check("GaussianNoise", got, func(i int) float64 { return float64(xs[i]) + 0.7*ref.NormFloat64() })

	// GaussianDropout: x·(1 + √(rate/(1-rate))·z).
	ref = tensor.NewRNG(seed)
	got = runNoise(true, x, func(p *autograd.Plan, v *autograd.Var) *autograd.Var {
		return p.GaussianDropout(v, 0.2, tensor.NewRNG(seed))
	})
	check("GaussianDropout", got, func(i int) float64 { return float64(xs[i]) * (1 + math.Sqrt(0.2/0.8)*ref.NormFloat64()) })

	for name, op := range map[string]func(p *autograd.Plan, v *autograd.Var) *autograd.Var{
		"SpatialDropout2D": func(p *autograd.Plan, v *autograd.Var) *autograd.Var {
			return p.SpatialDropout2D(v, 0.9, tensor.NewRNG(1))
		},
		"GaussianNoise": func(p *autograd.Plan, v *autograd.Var) *autograd.Var { return p.GaussianNoise(v, 1, tensor.NewRNG(1)) },
		"GaussianDropout": func(p *autograd.Plan, v *autograd.Var) *autograd.Var {
			return p.GaussianDropout(v, 0.9, tensor.NewRNG(1))
		},
	} {
		for i, g := range runNoise(false, x, op) {
			if g != xs[i] {
				t.Fatalf("%s at inference: element %d = %v, want the input %v", name, i, g, xs[i])
			}
		}
	}
}

// TestNoiseInferencePlan: an inference plan (no masks made up front) still
// runs the ops in training mode, and in inference mode copies.
func TestNoiseInferencePlan(t *testing.T) {
	x := randomTensor(2, 1, 2, 2, 3)
	for _, training := range []bool{false, true} {
		p := autograd.NewInferencePlan(1)
		in := p.Input(2, 2, 3)
		copy(in.Value.Data(), x.Data())
		y := p.GaussianDropout(p.SpatialDropout2D(in, 0.5, tensor.NewRNG(1)), 0.5, tensor.NewRNG(2))
		p.Forward(training)
		same := true
		for i, v := range y.Value.Data() {
			same = same && v == x.Data()[i]
		}
		if same != !training {
			t.Errorf("inference plan, training %v: output equal to the input is %v", training, same)
		}
	}
}
