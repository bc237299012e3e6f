package tensor

import (
	"math"
	"math/rand/v2"
)

// NewRNG returns a deterministic generator for seed. Every random choice in
// goras (initial weights, shuffling, dropout) draws from generators made here,
// so one seed fixes a whole run.
func NewRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^seed))
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
