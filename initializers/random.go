package initializers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/tensor"
)

// randomNormal is RandomNormal or, when name is "TruncatedNormal",
// TruncatedNormal.
type randomNormal struct {
	name         string
	mean, stddev float64
}

// RandomNormal draws every weight from N(mean, stddev²). Keras defaults:
// mean 0, stddev 0.05. It panics if stddev is negative or a value is not finite.
func RandomNormal(mean, stddev float64) Initializer {
	return must(newRandomNormal("RandomNormal", mean, stddev))
}

// TruncatedNormal draws every weight from N(mean, stddev²), redrawing values
// more than 2·stddev from the mean (so the weights' standard deviation is
// about 0.88·stddev; Keras does not correct for that here, unlike in
// VarianceScaling). Keras defaults: mean 0, stddev 0.05. It panics if stddev
// is negative or a value is not finite.
func TruncatedNormal(mean, stddev float64) Initializer {
	return must(newRandomNormal("TruncatedNormal", mean, stddev))
}

func newRandomNormal(name string, mean, stddev float64) (Initializer, error) {
	if !finite(mean) || !finite(stddev) || stddev < 0 {
		return nil, fmt.Errorf("initializers: %s: want finite mean and stddev ≥ 0, got mean %v, stddev %v", name, mean, stddev)
	}
	return randomNormal{name, mean, stddev}, nil
}

func (r randomNormal) Initialize(t *tensor.Tensor, rng *rand.Rand) {
	if r.name == "TruncatedNormal" {
		t.FillTruncatedNormal(rng, r.mean, r.stddev)
	} else {
		t.FillNormal(rng, r.mean, r.stddev)
	}
}

func (r randomNormal) Name() string { return r.name }

func (r randomNormal) Config() map[string]any {
	return map[string]any{"mean": r.mean, "stddev": r.stddev, "seed": nil}
}

type randomUniform struct{ minval, maxval float64 }

// RandomUniform draws every weight from U[minval, maxval). Keras defaults:
// -0.05, 0.05. It panics if minval > maxval or a value is not finite.
func RandomUniform(minval, maxval float64) Initializer {
	return must(newRandomUniform(minval, maxval))
}

func newRandomUniform(minval, maxval float64) (Initializer, error) {
	if !finite(minval) || !finite(maxval) || minval > maxval {
		return nil, fmt.Errorf("initializers: RandomUniform: want finite minval ≤ maxval, got minval %v, maxval %v", minval, maxval)
	}
	return randomUniform{minval, maxval}, nil
}

func (r randomUniform) Initialize(t *tensor.Tensor, rng *rand.Rand) {
	t.FillUniform(rng, r.minval, r.maxval)
}

func (r randomUniform) Name() string { return "RandomUniform" }

func (r randomUniform) Config() map[string]any {
	return map[string]any{"minval": r.minval, "maxval": r.maxval, "seed": nil}
}

// must turns a constructor's validation error into a panic: arguments written
// in Go code are programmer input. FromConfig returns the error instead.
func must(i Initializer, err error) Initializer {
	if err != nil {
		panic(err.Error())
	}
	return i
}
