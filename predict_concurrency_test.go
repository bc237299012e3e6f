package goras

import (
	"slices"
	"sync"
	"testing"

	"github.com/goras-ml/goras/layers"
)

// Eight goroutines predicting with one model get what one goroutine gets
// (run under -race in CI).
func TestPredictFromManyGoroutines(t *testing.T) {
	m := dropoutGraph(2)
	x := randomTensor(8, 40, 6, 6, 1)
	want, err := m.Predict(x, Verbose(0), BatchSize(7))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*20)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				var got []float32
				if (g+i)%2 == 0 {
					p, err := m.Predict(x, Verbose(0), BatchSize(3+g))
					if err != nil {
						errs <- err.Error()
						return
					}
					got = p.Data()
				} else {
					row := i % 40
					one := x.Slice(row, row+1)
					p, err := m.PredictOnBatch(one)
					if err != nil {
						errs <- err.Error()
						return
					}
					got = p.Data()
					if !slices.Equal(got, want.Data()[row*3:row*3+3]) {
						errs <- "PredictOnBatch differs from Predict"
					}
					continue
				}
				if !slices.Equal(got, want.Data()) {
					errs <- "Predict from a goroutine differs"
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// The same with a convolutional model large enough that the kernels split
// their work over the worker pool, whose calls then come from many
// goroutines at once.
func TestPredictConvFromManyGoroutines(t *testing.T) {
	m := NewSequential(layers.Input(16, 16, 1),
		layers.Conv2D(8, 3, layers.WithActivation("relu"), layers.WithPadding("same")),
		layers.MaxPooling2D(),
		layers.Conv2D(16, 3, layers.WithActivation("relu")),
		layers.Flatten(),
		layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(4)
	x := randomTensor(9, 64, 16, 16, 1)
	want, err := m.Predict(x, Verbose(0), BatchSize(64))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	bad := make(chan int, 6)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				got, err := m.Predict(x, Verbose(0), BatchSize(64))
				if err != nil || !slices.Equal(got.Data(), want.Data()) {
					bad <- g
					return
				}
			}
		}()
	}
	wg.Wait()
	close(bad)
	for g := range bad {
		t.Errorf("goroutine %d got other predictions than a lone call", g)
	}
}

// dropoutGraph is a two-branch graph with Dropout, so that a checkpoint must
// carry the graph's random state too.
func dropoutGraph(seed uint64) *Model {
	in := Input(6, 6, 1)
	f := Call(layers.Flatten(), in)
	a := Call(layers.Dense(8, layers.WithActivation("relu")), f)
	a = Call(layers.Dropout(0.3), a)
	b := Call(layers.Dense(8, layers.WithActivation("tanh")), f)
	out := Call(layers.Dense(3, layers.WithActivation("softmax")), Call(layers.Concatenate(), a, b))
	m, err := NewModel([]*KerasTensor{in}, []*KerasTensor{out})
	if err != nil {
		panic(err)
	}
	m.SetSeed(seed)
	return m
}
