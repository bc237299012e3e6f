package goras

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
)

// A graph with a skip connection, a shared layer and two outputs saves and
// loads: the same architecture, compile settings and predictions, bit for
// bit.
func TestGraphSaveLoadRoundTrip(t *testing.T) {
	m := residualModel(t)
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}},
		LossWeights: []float64{0.5, 2}, OutputMetrics: [][]string{{"accuracy"}, nil}}); err != nil {
		t.Fatal(err)
	}
	x := randomTensor(1, 6, 4)
	if _, err := m.TrainOnBatch(x, Arrays{oneHotRows(6, 3, 2), randomTensor(3, 6, 1)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "graph.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.ToJSON()
	b, _ := back.ToJSON()
	if a != b {
		t.Errorf("architecture changed in the round trip:\n%s\n%s", a, b)
	}
	if jsonRound(t, m.CompileConfig()) != jsonRound(t, back.CompileConfig()) {
		t.Errorf("compile config %v, loaded %v", m.CompileConfig(), back.CompileConfig())
	}
	want, err := m.PredictOutputs(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.PredictOutputs(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if d := firstBitDiff(got[i].Data(), want[i].Data()); d >= 0 {
			t.Errorf("output %d differs at %d after loading", i, d)
		}
	}
	if len(back.Layers()) != len(m.Layers()) || len(back.Params()) != len(m.Params()) {
		t.Errorf("loaded %d layers and %d weights, want %d and %d (the shared layer once)", len(back.Layers()), len(back.Params()), len(m.Layers()), len(m.Params()))
	}
}

func jsonRound(t *testing.T, v map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v) // maps are written with sorted keys
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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

// Checkpoint and resume of a graph model are bit-exact, as for Sequential.
func TestGraphResumeIsBitIdentical(t *testing.T) {
	x, y := ckptData(48)
	straight := dropoutGraph(5)
	ckptCompile(t, straight)
	hStraight := ckptFit(t, straight, x, y, 4, 0)

	first := dropoutGraph(5)
	ckptCompile(t, first)
	h1 := ckptFit(t, first, x, y, 2, 0)
	path := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := first.SaveCheckpoint(path, 1, h1); err != nil {
		t.Fatal(err)
	}
	resumed, ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	h2 := ckptFit(t, resumed, x, y, 4, ck.Epoch+1)
	if d := sameState(resumed, straight); d != "" {
		t.Fatalf("resumed graph differs from the uninterrupted one: %s", d)
	}
	sameHistory(t, "resumed History", ck.History.Concat(h2), hStraight, true)
}

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
