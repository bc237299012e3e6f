package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
)

// sparseMLP is the course MLP's first layer on MNIST-like inputs (8 of 10
// pixels zero, so the sparse products run): Flatten → MatMul → ReLU →
// MatMul, MSE. fill writes a new batch into its input.
type sparseMLP struct {
	p      *Plan
	x, t   *Var
	w1, w2 *Param
	rng    *rand.Rand
}

func newSparseMLP(seed uint64, batch int) *sparseMLP {
	s := &sparseMLP{p: NewPlan(batch), rng: rand.New(rand.NewPCG(seed, 3))}
	s.w1, s.w2 = NewParam("w1", true, 28*28, 12), NewParam("w2", true, 12, 4)
	for _, w := range []*Param{s.w1, s.w2} {
		for i := range w.Value.Data() {
			w.Value.Data()[i] = float32(s.rng.NormFloat64() * 0.1)
		}
	}
	s.x, s.t = s.p.Input(28, 28), s.p.Input(4)
	h := s.p.ReLU(s.p.MatMul(s.p.Flatten(s.x), s.w1))
	s.p.MeanSquaredError(s.p.MatMul(h, s.w2), s.t)
	return s
}

func (s *sparseMLP) fill() {
	for i := range s.x.Value.Data() {
		v := float32(0)
		if s.rng.IntN(10) < 2 {
			v = s.rng.Float32()
		}
		s.x.Value.Data()[i] = v
	}
	for i := range s.t.Value.Data() {
		s.t.Value.Data()[i] = s.rng.Float32()
	}
}

func gradBits(w *Param) []uint32 {
	b := make([]uint32, w.Grad.Len())
	for i, v := range w.Grad.Data() {
		b[i] = math.Float32bits(v)
	}
	return b
}

// Prepare (the input's non-zeros and its transpose's listed ahead) gives
// the weight gradients of a step without it bit for bit, batch after
// batch; Unprepare, then new inputs, never lets stale lists be used.
// Batch 16 reads W in place; batch 100 (the course's) packs it, which must
// not overwrite the transpose Prepare made.
func TestPrepareSameBits(t *testing.T) {
	if !kernel.SparseSupported() {
		t.Skip("no sparse kernels on this CPU: Prepare has nothing to do")
	}
	for _, batch := range []int{16, 100} {
		testPrepareSameBits(t, batch)
	}
}

func testPrepareSameBits(t *testing.T, batch int) {
	with, without := newSparseMLP(1, batch), newSparseMLP(1, batch)
	for step := range 4 {
		with.fill()
		without.fill()
		switch step {
		case 2: // prepared, then the inputs rewritten: Unprepare, new data
			with.p.Prepare()
			with.p.Unprepare()
			with.fill()
			without.fill()
		default:
			with.p.Prepare()
		}
		mm := with.p.ops[0].(*matMul)
		if step != 2 && !mm.prepared {
			t.Fatalf("step %d: the first MatMul was not prepared (its input is a Flatten of the plan input)", step)
		}
		for _, s := range []*sparseMLP{with, without} {
			s.p.Forward(true)
			s.p.Backward()
		}
		if !mm.sparse {
			t.Fatalf("step %d: the first MatMul did not take the sparse path; the test checks nothing", step)
		}
		if mm.prepared {
			t.Fatalf("step %d: Backward left the transpose marked as ready for the next batch", step)
		}
		for i, w := range []*Param{with.w1, with.w2} {
			other := []*Param{without.w1, without.w2}[i]
			a, b := gradBits(w), gradBits(other)
			for j := range a {
				if a[j] != b[j] {
					t.Fatalf("batch %d, step %d: %s gradient %d: %#x with Prepare, %#x without", batch, step, w.Name, j, a[j], b[j])
				}
			}
		}
	}
	// The hidden layer's MatMul reads an op output, which Prepare cannot
	// know before Forward: it never prepares.
	with.p.Prepare()
	if with.p.ops[2].(*matMul).prepared {
		t.Error("the second MatMul (input computed by Forward) was prepared")
	}
}
