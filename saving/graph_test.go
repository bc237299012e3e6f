package saving_test

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

func randomTensor(seed uint64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range t.Data() {
		t.Data()[i] = float32(r.NormFloat64())
	}
	return t
}

func oneHotRows(n, k int, seed uint64) *tensor.Tensor {
	t := tensor.New(n, k)
	r := rand.New(rand.NewPCG(seed, 9))
	for i := range n {
		t.Data()[i*k+r.IntN(k)] = 1
	}
	return t
}

func sgdOpt(t testing.TB) optimizers.Optimizer {
	t.Helper()
	o, err := optimizers.Get("sgd")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// residualModel is x → d1 → (+ x) → a shared layer called twice →
// concatenate → two heads: a skip connection, a layer called twice, and two
// outputs.
func residualModel(t testing.TB) *goras.Model {
	t.Helper()
	in := goras.Input(4)
	h := goras.Call(layers.Dense(4, layers.WithActivation("tanh")), in)
	h = goras.Call(layers.Add(), h, in)
	shared := layers.Dense(4, layers.WithActivation("tanh"), layers.WithName("shared"))
	a := goras.Call(shared, h)
	b := goras.Call(shared, a)
	c := goras.Call(layers.Concatenate(), a, b)
	out1 := goras.Call(layers.Dense(3, layers.WithActivation("softmax")), c)
	out2 := goras.Call(layers.Dense(1), b)
	m, err := goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{out1, out2})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSeed(3)
	return m
}

// A graph with a skip connection, a shared layer and two outputs saves and
// loads: the same architecture, compile settings and predictions, bit for
// bit.
func TestGraphSaveLoadRoundTrip(t *testing.T) {
	m := residualModel(t)
	if err := m.Compile(goras.CompileOptions{Optimizer: sgdOpt(t), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}},
		LossWeights: []float64{0.5, 2}, OutputMetrics: [][]string{{"accuracy"}, nil}}); err != nil {
		t.Fatal(err)
	}
	x := randomTensor(1, 6, 4)
	if _, err := m.TrainOnBatch(x, goras.Arrays{oneHotRows(6, 3, 2), randomTensor(3, 6, 1)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "graph.safetensors")
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
	back, err := saving.Load(path)
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
	want, err := m.PredictOutputs(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.PredictOutputs(x, goras.Verbose(0))
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
func dropoutGraph(seed uint64) *goras.Model {
	in := goras.Input(6, 6, 1)
	f := goras.Call(layers.Flatten(), in)
	a := goras.Call(layers.Dense(8, layers.WithActivation("relu")), f)
	a = goras.Call(layers.Dropout(0.3), a)
	b := goras.Call(layers.Dense(8, layers.WithActivation("tanh")), f)
	out := goras.Call(layers.Dense(3, layers.WithActivation("softmax")), goras.Call(layers.Concatenate(), a, b))
	m, err := goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{out})
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
	if err := saving.SaveCheckpoint(first, path, 1, h1); err != nil {
		t.Fatal(err)
	}
	resumed, ck, err := saving.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	h2 := ckptFit(t, resumed, x, y, 4, ck.Epoch+1)
	if d := sameState(resumed, straight); d != "" {
		t.Fatalf("resumed graph differs from the uninterrupted one: %s", d)
	}
	sameHistory(t, "resumed History", ck.History.Concat(h2), hStraight, true)
}
