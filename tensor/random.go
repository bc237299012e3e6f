package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// NewRNG returns a deterministic generator for seed. Every random choice in
// goras (initial weights, shuffling, dropout) draws from generators made here,
// so one seed fixes a whole run.
func NewRNG(seed uint64) *rand.Rand {
	return NewStatefulRNG(seed).Rand
}

// RNG is a generator whose state can be saved and restored, for checkpoints
// that resume training bit for bit: a *rand.Rand (embedded, so it draws as
// one) together with its PCG source. A rand.Rand keeps no state of its own
// besides its source, so the source's state is the whole state.
type RNG struct {
	*rand.Rand
	src *rand.PCG
}

// NewStatefulRNG returns the generator NewRNG(seed) returns (the same
// stream), with its state reachable through MarshalBinary and
// UnmarshalBinary.
func NewStatefulRNG(seed uint64) *RNG {
	src := rand.NewPCG(seed, 0x9e3779b97f4a7c15^seed)
	return &RNG{Rand: rand.New(src), src: src}
}

// MarshalBinary returns the generator's current state (20 bytes).
func (r *RNG) MarshalBinary() ([]byte, error) { return r.src.MarshalBinary() }

// UnmarshalBinary sets the generator to a state MarshalBinary returned: it
// then draws what the saved generator would have drawn next.
func (r *RNG) UnmarshalBinary(b []byte) error {
	if err := r.src.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("tensor: random generator state of %d bytes: %w", len(b), err)
	}
	return nil
}

// FillUniform sets every element to a draw from U[lo, hi).
func (t *Tensor) FillUniform(rng *rand.Rand, lo, hi float64) {
	for i := range t.data {
		t.data[i] = float32(lo + (hi-lo)*rng.Float64())
	}
}

// FillNormal sets every element to a draw from N(mean, stddev²).
func (t *Tensor) FillNormal(rng *rand.Rand, mean, stddev float64) {
	for i := range t.data {
		t.data[i] = float32(mean + stddev*rng.NormFloat64())
	}
}

// FillTruncatedNormal draws from N(mean, stddev²) and redraws any value more
// than two standard deviations from the mean, as Keras's TruncatedNormal does.
func (t *Tensor) FillTruncatedNormal(rng *rand.Rand, mean, stddev float64) {
	for i := range t.data {
		z := rng.NormFloat64()
		for math.Abs(z) > 2 {
			z = rng.NormFloat64()
		}
		t.data[i] = float32(mean + stddev*z)
	}
}
