package main

import (
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// The residual network builds with Keras's parameter count and learns: a
// few steps on 16 random digits lower its loss.
func TestResidualModel(t *testing.T) {
	m, err := newModel()
	if err != nil {
		t.Fatal(err)
	}
	// conv 3·3·1·32+32 = 320; block 2·(3·3·32·32+32) = 18,496; conv
	// 3·3·32·64+64 = 18,496; block 2·(3·3·64·64+64) = 73,856; dense
	// 7·7·64·10+10 = 31,370.
	if got, want := m.CountParams(), 320+18496+18496+73856+31370; got != want {
		t.Errorf("%d weights, want %d", got, want)
	}
	adam, _ := optimizers.Get("adam")
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	x, y := tensor.New(16, 28, 28, 1), tensor.New(16, 10)
	for i := range x.Data() {
		x.Data()[i] = r.Float32()
	}
	for i := range 16 {
		y.Data()[i*10+i%10] = 1
	}
	first, err := m.TrainOnBatch(x, y)
	if err != nil {
		t.Fatal(err)
	}
	last := first
	for range 30 {
		last, _ = m.TrainOnBatch(x, y)
	}
	if !(last < first/2) {
		t.Errorf("loss went from %g to %g in 30 steps on one batch; want it at least halved", first, last)
	}
}
