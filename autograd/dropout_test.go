package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// dropoutBefore is Dropout as it was before its mask came from
// kernel.DropoutMask and kernel.PCGFill (one rng.Uint64 call per two
// elements, a branch per element, a float32 mask, a scalar backward loop): the reference
// the new code must equal bit for bit, draws and generator state included,
// so that the README's trainings stay reproducible.
type dropoutBefore struct {
	thresh uint64
	scale  float32
	mask   []float32
	rng    *rand.Rand
}

func newDropoutBefore(n int, rate float64, rng *rand.Rand) *dropoutBefore {
	return &dropoutBefore{thresh: uint64(rate * (1 << 32)), scale: float32(1 / (1 - rate)),
		mask: make([]float32, n), rng: rng}
}

func (o *dropoutBefore) keep(u uint64) float32 {
	if u < o.thresh {
		return 0
	}
	return o.scale
}

func (o *dropoutBefore) forward(y, x []float32) {
	m := o.mask
	for i := 0; i < len(m); i += 2 {
		r := o.rng.Uint64()
		m[i] = o.keep(r & 0xffffffff)
		if i+1 < len(m) {
			m[i+1] = o.keep(r >> 32)
		}
	}
	kernel.Mul(y, x, m)
}

func (o *dropoutBefore) backward(dx, dy []float32) {
	for i, k := range o.mask {
		dx[i] += dy[i] * k
	}
}

// dropoutSources are the generators the test draws masks from, each made
// twice from one seed: once for the op (src, or rng for Dropout) and once
// for the reference.
var dropoutSources = []struct {
	name string
	op   func(p *Plan, x *Var, rate float64, seed uint64) (*Var, func() uint64)
	ref  func(seed uint64) *rand.Rand
}{
	{"Dropout(tensor.NewRNG)", func(p *Plan, x *Var, rate float64, seed uint64) (*Var, func() uint64) {
		r := tensor.NewRNG(seed)
		return p.Dropout(x, rate, r), r.Uint64
	}, tensor.NewRNG},
	{"DropoutSource(PCG)", func(p *Plan, x *Var, rate float64, seed uint64) (*Var, func() uint64) {
		src := rand.NewPCG(seed, ^seed)
		return p.DropoutSource(x, rate, src), src.Uint64
	}, func(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, ^seed)) }},
	{"DropoutSource(ChaCha8)", func(p *Plan, x *Var, rate float64, seed uint64) (*Var, func() uint64) {
		src := rand.NewChaCha8([32]byte{byte(seed)})
		return p.DropoutSource(x, rate, src), src.Uint64
	}, func(seed uint64) *rand.Rand { return rand.New(rand.NewChaCha8([32]byte{byte(seed)})) }},
}

// TestDropoutSameAsBefore runs the op and dropoutBefore side by side over
// several training steps, with the generator also drawn from between steps
// (as when it is shared), and wants the same bits everywhere: output,
// gradient, and the generator's next draws.
func TestDropoutSameAsBefore(t *testing.T) {
	data := rand.New(rand.NewPCG(11, 12))
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Copysign(0, -1)), -2.5}
	for _, s := range dropoutSources {
		for _, n := range []int{1, 2, 3, 17, 33, 4095, 4096, 4097, 2*dropoutBlock + 5} {
			for _, rate := range []float64{0.5, 0.1, 0.999} {
				seed := uint64(n)*7 + uint64(rate*1000)
				p := NewPlan(1)
				x := &Var{Value: tensor.New(1, n), Grad: tensor.New(1, n)}
				y, draw := s.op(p, x, rate, seed)
				op := p.ops[len(p.ops)-1].(*dropout)
				ref := newDropoutBefore(n, rate, s.ref(seed))
				wantY, wantDx := make([]float32, n), make([]float32, n)
				for step := range 3 {
					xs, dy, dx := x.Value.Data(), y.Grad.Data(), x.Grad.Data()
					for i := range xs {
						xs[i], dy[i], dx[i] = float32(data.NormFloat64()), float32(data.NormFloat64()), float32(data.NormFloat64())
						if i%5 == step {
							xs[i], dy[i] = specials[i%4], specials[(i+1)%4]
						}
						if i%9 == step {
							// Two NaNs in the sum: which payload it keeps
							// is part of the bits.
							dx[i], dy[i] = math.Float32frombits(0x7fc00123), math.Float32frombits(0x7fc00456)
						}
					}
					copy(wantDx, dx)
					op.Forward(true)
					ref.forward(wantY, xs)
					sameFloatBits(t, s.name, "y", n, y.Value.Data(), wantY)
					op.Backward()
					ref.backward(wantDx, dy)
					sameFloatBits(t, s.name, "dx", n, dx, wantDx)
					if g, w := draw(), ref.rng.Uint64(); g != w {
						t.Fatalf("%s, n %d, rate %v, step %d: generator draws %#x after Forward, want %#x", s.name, n, rate, step, g, w)
					}
				}
			}
		}
	}
}

func sameFloatBits(t *testing.T, src, what string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, n %d: %s[%d] = %v, want %v (bit for bit)", src, n, what, i, got[i], want[i])
		}
	}
}

// TestDropoutSourceAllocs: a training step with a PCG source allocates
// nothing (its state is read and written through a buffer the op keeps).
func TestDropoutSourceAllocs(t *testing.T) {
	p := NewPlan(1)
	x := &Var{Value: tensor.New(1, 1001), Grad: tensor.New(1, 1001)}
	p.DropoutSource(x, 0.5, rand.NewPCG(1, 2))
	op := p.ops[len(p.ops)-1].(*dropout)
	if a := testing.AllocsPerRun(10, func() { op.Forward(true); op.Backward() }); a != 0 {
		t.Errorf("%v allocations per step, want 0", a)
	}
}

// BenchmarkDropout times Dropout(0.5) on keras-convnet's 128×1600, the
// code before this file's kernels against the op today, with its
// generator as a layer passes it (a PCG) and as a *rand.Rand.
func BenchmarkDropout(b *testing.B) {
	const n = 128 * 1600
	x, dx := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(i%13) - 6
	}
	b.Run("before", func(b *testing.B) {
		ref := newDropoutBefore(n, 0.5, tensor.NewRNG(1))
		y := make([]float32, n)
		b.Run("Forward", func(b *testing.B) {
			for b.Loop() {
				ref.forward(y, x)
			}
		})
		b.Run("Backward", func(b *testing.B) {
			for b.Loop() {
				ref.backward(dx, x)
			}
		})
	})
	for _, s := range dropoutSources[:2] {
		b.Run(s.name, func(b *testing.B) {
			p := NewPlan(1)
			v := &Var{Value: tensor.New(1, n), Grad: tensor.New(1, n)}
			copy(v.Value.Data(), x)
			s.op(p, v, 0.5, 1)
			op := p.ops[len(p.ops)-1].(*dropout)
			b.Run("Forward", func(b *testing.B) {
				for b.Loop() {
					op.Forward(true)
				}
			})
			b.Run("Backward", func(b *testing.B) {
				for b.Loop() {
					op.Backward()
				}
			})
		})
	}
}
