package ensemble

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// members returns a small ensemble of real models: a softmax MLP and a
// convnet compiled with a from-logits loss, so that Predict softmaxes one
// and checks the other.
func members(t *testing.T) []Model {
	t.Helper()
	mlp := goras.NewSequential(layers.Input(8, 8, 1), layers.Flatten(),
		layers.Dense(16, layers.WithActivation("relu")),
		layers.Dense(4, layers.WithActivation("softmax")))
	mlp.SetSeed(1)
	cnn := goras.NewSequential(layers.Input(8, 8, 1),
		layers.Conv2D(4, 3, layers.WithActivation("relu"), layers.WithPadding("same")),
		layers.MaxPooling2D(), layers.Flatten(), layers.Dense(4))
	cnn.SetSeed(2)
	if err := cnn.Compile(goras.CompileOptions{Loss: losses.CategoricalCrossentropy{FromLogits: true}}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*goras.Model{mlp, cnn} {
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
	}
	return []Model{mlp, cnn}
}

// Many goroutines predicting with one ensemble (the same models, the same
// images, test-time augmentation on) get, bit for bit, what one goroutine
// gets: each call has its own shifted views and sums (run under -race).
func TestPredictFromManyGoroutines(t *testing.T) {
	ms := members(t)
	x := tensor.New(160, 8, 8, 1) // batches of 160: a model's Predict splits them over the workers (64 rows a share)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range x.Data() {
		x.Data()[i] = r.Float32()
	}
	opts := []Option{WithShifts(TTAShifts...), WithBatchSize(160)}
	want, err := Predict(ms, x, opts...)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, calls = 8, 3
	errs := make(chan error, goroutines*calls)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for c := range calls {
				o := opts
				if (g+c)%2 == 1 { // another batch size: other plans, the same rows
					o = append(slices.Clone(opts), WithBatchSize(30+g))
				}
				got, err := Predict(ms, x, o...)
				switch {
				case err != nil:
					errs <- err
				case !slices.Equal(got.Data(), want.Data()):
					errs <- fmt.Errorf("goroutine %d, call %d: probabilities differ from one goroutine's", g, c)
				}
			}
		})
	}
	wg.Wait()
	for len(errs) > 0 { // close is the test's float comparison here
		t.Error(<-errs)
	}
}
