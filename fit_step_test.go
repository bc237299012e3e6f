package goras

import (
	"context"
	"math"
	"testing"

	"github.com/goras-ml/goras/constraints"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
)

// Constraints hold after every update, as Keras applies them: a NonNeg
// kernel has no negative weight and each column of a MaxNorm(0.5) kernel
// has a norm of at most 0.5, while the unconstrained weights go where the
// gradient takes them.
func TestConstraintsHoldAfterTraining(t *testing.T) {
	m := NewSequential(layers.Input(6),
		layers.Dense(5, layers.WithActivation("tanh"), layers.WithKernelConstraint(constraints.NonNeg())),
		layers.Dense(3, layers.WithActivation("softmax"), layers.WithKernelConstraint(constraints.MaxNorm(0.5))))
	m.SetSeed(2)
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	x, y := randomTensor(3, 64, 6), oneHotRows(64, 3, 4)
	if _, err := m.Fit(context.Background(), x, y, Epochs(5), BatchSize(8), Verbose(0)); err != nil {
		t.Fatal(err)
	}
	k1, b1, k2 := m.Params()[0].Value.Data(), m.Params()[1].Value.Data(), m.Params()[2].Value.Data()
	for i, v := range k1 {
		if v < 0 {
			t.Fatalf("NonNeg kernel weight %d is %g", i, v)
		}
	}
	negBias := false
	for _, v := range b1 {
		negBias = negBias || v < 0
	}
	if !negBias {
		t.Error("no bias went negative: the test cannot tell a constraint applied to every weight")
	}
	for j := range 3 { // kernel (5, 3): the norm over axis 0 of each column
		var n float64
		for i := range 5 {
			n += float64(k2[i*3+j]) * float64(k2[i*3+j])
		}
		if math.Sqrt(n) > 0.5+1e-6 {
			t.Errorf("MaxNorm(0.5) column %d has norm %g", j, math.Sqrt(n))
		}
	}
}
