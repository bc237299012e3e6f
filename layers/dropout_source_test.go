package layers

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// TestDropoutSourceIsTensorsRNG: the PCG Dropout draws from in bulk is the
// generator it had before (tensor.NewStatefulRNG(seed)): the same draws, the
// same saved state, so that seeds, checkpoints and the README's trainings
// still give the same masks.
func TestDropoutSourceIsTensorsRNG(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, math.MaxUint64} {
		src, ref := dropoutSource(seed), tensor.NewStatefulRNG(seed)
		for i := range 100 {
			if g, w := src.Uint64(), ref.Uint64(); g != w {
				t.Fatalf("seed %d, draw %d: %#x, want %#x", seed, i, g, w)
			}
		}
		g, _ := src.MarshalBinary()
		w, _ := ref.MarshalBinary()
		if !slices.Equal(g, w) {
			t.Fatalf("seed %d: state %x, want %x", seed, g, w)
		}
	}
}

// TestDropoutLayerMasksAsBefore: three training steps of a seeded Dropout
// layer give the outputs p.Dropout gives with tensor.NewRNG(seed) (the
// layer's generator before it passed its PCG), odd length included, and
// leave the layer's random state where that generator is left.
func TestDropoutLayerMasksAsBefore(t *testing.T) {
	const n, seed = 4097, 9
	x := tensor.New(1, n)
	for i := range x.Data() {
		x.Data()[i] = float32(i%11) - 5
	}
	l := Dropout(0.3, WithSeed(seed))
	s := newStepper(t, l, 1, x)

	ref := tensor.NewStatefulRNG(seed)
	p := autograd.NewPlan(1)
	in := p.Input(n)
	copy(in.Value.Data(), x.Data())
	y := p.Dropout(in, 0.3, ref.Rand)
	for step := range 3 {
		got := s.run(true)
		p.Forward(true)
		for i, w := range y.Value.Data() {
			if math.Float32bits(got[i]) != math.Float32bits(w) {
				t.Fatalf("step %d: output[%d] = %v, want %v", step, i, got[i], w)
			}
		}
	}
	g, err := l.RandomState()
	w, _ := ref.MarshalBinary()
	if err != nil || !slices.Equal(g, w) {
		t.Fatalf("random state %x (%v), want %x", g, err, w)
	}
	if err := l.SetRandomState(w[:5]); err == nil || !strings.Contains(err.Error(), "5 bytes") {
		t.Errorf("SetRandomState of 5 bytes: %v, want an error naming the length", err)
	}
}
