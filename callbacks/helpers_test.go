package callbacks_test

import (
	"math"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// tinyModel is a compiled Dense(3→2) model whose weights the tests set by
// hand; SGD with rate lr.
func tinyModel(t testing.TB, lr float64) *goras.Model {
	t.Helper()
	m := goras.NewSequential(layers.Input(3), layers.Dense(2))
	opt, err := optimizers.NewSGD(optimizers.LearningRate(lr))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.MeanSquaredError{}}); err != nil {
		t.Fatal(err)
	}
	return m
}

// setWeights fills every weight with values drawn from seed: the model's
// state "after epoch seed".
func setWeights(m *goras.Model, seed uint64) {
	rng := tensor.NewRNG(seed)
	for _, p := range m.Params() {
		p.Value.FillNormal(rng, 0, 1)
	}
}

// weights copies every weight, for bit-exact comparison.
func weights(m *goras.Model) [][]float32 {
	var out [][]float32
	for _, p := range m.Params() {
		out = append(out, append([]float32(nil), p.Value.Data()...))
	}
	return out
}

func sameBits(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

// drive runs cb over a sequence of epoch values of name, as Fit would call
// it, setting the weights to those of "epoch e" before each epoch's end. It
// returns the epochs run (stopping when the model's StopTraining is set).
func drive(m *goras.Model, cb goras.Callback, name string, values []float64) int {
	cb.SetModel(m)
	m.StopTraining = false // before the hooks, as Fit does, so that OnTrainBegin may stop
	cb.OnTrainBegin(goras.Logs{})
	run := 0
	for e, v := range values {
		if m.StopTraining {
			break
		}
		cb.OnEpochBegin(e, goras.Logs{})
		setWeights(m, uint64(100+e))
		cb.OnEpochEnd(e, goras.Logs{name: v, "other": 1})
		run++
	}
	cb.OnTrainEnd(goras.Logs{})
	return run
}

// blobs: n samples of a 3-class problem on 4 features; class k is centred
// on +1 at features j ≡ k (mod 3).
func blobs(n int, seed uint64) (x, y *tensor.Tensor) {
	rng := tensor.NewRNG(seed)
	x, y = tensor.New(n, 4), tensor.New(n, 3)
	for i := 0; i < n; i++ {
		k := i % 3
		for j := 0; j < 4; j++ {
			v := 0.3 * rng.NormFloat64()
			if j%3 == k {
				v++
			}
			x.Data()[i*4+j] = float32(v)
		}
		y.Data()[i*3+k] = 1
	}
	return x, y
}
