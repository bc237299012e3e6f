package goras

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
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

// The first calls of a model not built yet (NewSequential, or SetSeed
// after NewModel), made from several goroutines at once, build it once:
// none runs on a half-built graph (run under -race).
func TestPredictBuildsOnceFromManyGoroutines(t *testing.T) {
	x := randomTensor(8, 12, 6, 6, 1)
	want, err := dropoutGraph(2).Predict(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		m := dropoutGraph(2) // SetSeed: not built
		var wg sync.WaitGroup
		errs := make(chan string, 4)
		start := make(chan struct{})
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start // all at once
				var p *tensor.Tensor
				var err error
				if g%2 == 0 {
					p, err = m.PredictOnBatch(x)
				} else {
					p, err = m.Predict(x, Verbose(0))
				}
				switch {
				case err != nil:
					errs <- err.Error()
				case !slices.Equal(p.Data(), want.Data()):
					errs <- "a first prediction differs from a built model's"
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}

// Evaluate from several goroutines, beside Predict, gives what one call
// gives: the calls share the plan of their batch size, and take turns
// (run under -race).
func TestEvaluateFromManyGoroutines(t *testing.T) {
	m := dropoutGraph(2)
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	x, y := randomTensor(8, 40, 6, 6, 1), oneHotRows(40, 3, 1)
	want, err := m.Evaluate(x, y, Verbose(0), BatchSize(8))
	if err != nil {
		t.Fatal(err)
	}
	wantP, err := m.Predict(x, Verbose(0), BatchSize(8))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 6*10)
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if g%3 == 2 {
					p, err := m.Predict(x, Verbose(0), BatchSize(8))
					if err != nil || !slices.Equal(p.Data(), wantP.Data()) {
						errs <- fmt.Sprintf("Predict beside Evaluate: %v", err)
					}
					continue
				}
				got, err := m.Evaluate(x, y, Verbose(0), BatchSize(8))
				if err != nil || got["loss"] != want["loss"] || got["accuracy"] != want["accuracy"] {
					errs <- fmt.Sprintf("Evaluate from a goroutine: %v, %v; alone %v", got, err, want)
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

// checkPredictOnBatchShared has four goroutines call m.PredictOnBatch(x)
// rounds times each and get want, bit for bit, and checks that a call
// allocates no more than its result does.
func checkPredictOnBatchShared(t *testing.T, m *Model, x, want *tensor.Tensor, rounds int) {
	t.Helper()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				got, err := m.PredictOnBatch(x)
				if err != nil {
					t.Error(err)
					return
				}
				for i, v := range got.Data() {
					if v != want.Data()[i] {
						t.Errorf("output %d: %v from a goroutine, %v alone", i, v, want.Data()[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	result := testing.AllocsPerRun(10, func() { newOutput(x.Shape()[0], m.outputs[0].shape) })
	if n := testing.AllocsPerRun(20, func() { m.PredictOnBatch(x) }); n > result {
		t.Errorf("PredictOnBatch of %d samples allocates %v times; the result alone takes %v", x.Shape()[0], n, result)
	}
}
