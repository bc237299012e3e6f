package goras

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// withWorkers runs f with the kernel's pool at w workers.
func withWorkers(w int, f func()) {
	kernel.SetWorkers(w)
	defer kernel.SetWorkers(0)
	f()
}

// unsplit is PredictOnBatch in one plan (split off).
func unsplit(t *testing.T, m *Model, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	splitOff = true
	defer func() { splitOff = false }()
	y, err := m.PredictOnBatch(x)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// A batch split into shares, one plan each, gives the bits of the whole
// batch in one plan (each sample's output depends on it alone): for the
// course MLP on MNIST-like inputs (mostly zeros, the sparse product), on
// dense inputs, and for a folded convolutional net; in 2 and 3 shares,
// also with samples that do not divide evenly.
func TestPredictOnBatchSplitGivesTheWholeBatch(t *testing.T) {
	mlp := NewSequential(layers.Input(28, 28), layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")), layers.Dense(10, layers.WithActivation("softmax")))
	sparse := randomTensor(3, 301, 28, 28)
	for i, v := range sparse.Data() {
		if v < 0.9 { // 82 % zeros, as MNIST's pixels
			sparse.Data()[i] = 0
		}
	}
	for _, c := range []struct {
		name string
		m    *Model
		x    *tensor.Tensor
	}{
		{"mlp, sparse inputs", mlp, sparse},
		{"mlp, dense inputs", mlp, randomTensor(4, 257, 28, 28)},
		{"folded conv net", foldNet(t, 2), randomTensor(5, 200, 7, 7, 2)},
	} {
		want := unsplit(t, c.m, c.x)
		for _, w := range []int{2, 3} {
			withWorkers(w, func() {
				if s := predictShares(c.x.Dim(0)); s != w {
					t.Fatalf("%s: %d samples in %d shares with %d workers", c.name, c.x.Dim(0), s, w)
				}
				got, err := c.m.PredictOnBatch(c.x)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range got.Data() {
					if math.Float32bits(v) != math.Float32bits(want.Data()[i]) {
						t.Fatalf("%s, %d shares: output %d is %v, %v in one plan", c.name, w, i, v, want.Data()[i])
					}
				}
			})
		}
	}
	if s := predictShares(splitMinRows*2 - 1); s != 1 && kernel.Workers() >= 2 {
		t.Errorf("%d samples split into %d shares; a share needs %d", splitMinRows*2-1, s, splitMinRows)
	}
}

// A NaN or ±Inf is reported as in one plan, the first bad sample of the
// batch whichever share holds it; a panicking op comes back as an error.
func TestPredictOnBatchSplitErrors(t *testing.T) {
	m := NewSequential(layers.Input(4), layers.Dense(3))
	withWorkers(2, func() {
		x := randomTensor(1, 200, 4)
		x.Data()[150*4+3] = float32(math.Inf(1))
		if _, err := m.PredictOnBatch(x); err == nil || !strings.Contains(err.Error(), "sample 150 of x holds +Inf at position 3") {
			t.Errorf("Inf in the second share: %v", err)
		}
		x.Data()[20*4+1] = float32(math.NaN())
		if _, err := m.PredictOnBatch(x); err == nil || !strings.Contains(err.Error(), "sample 20 of x holds NaN at position 1") {
			t.Errorf("NaN in the first share, Inf in the second: %v", err)
		}
		e := NewSequential(layers.Input(3), explodingLayer{layers.Dense(3)})
		if _, err := e.PredictOnBatch(randomTensor(1, 200, 3)); err == nil || !strings.Contains(err.Error(), "user op exploded") {
			t.Errorf("an op that panics: %v", err)
		}
		if _, err := m.PredictOnBatch(randomTensor(2, 200, 4)); err != nil {
			t.Errorf("after the errors: %v", err)
		}
	})
}

// Split calls from several goroutines at once (run under -race) give the
// whole batch's answer, and a call allocates nothing but its result.
func TestPredictOnBatchSplitConcurrentAndAllocFree(t *testing.T) {
	m := foldNet(t, 6)
	x := randomTensor(8, 300, 7, 7, 2)
	want := unsplit(t, m, x)
	withWorkers(2, func() {
		checkPredictOnBatchShared(t, m, x, want, 5)
	})
}

// panicData panics when gathered, as a buggy user Data would.
type panicData struct{ rowsData }

func (panicData) Gather([]float32, []int) { panic("gather exploded") }

// Predict splits each of its batches too: a model with two inputs and two
// outputs over 400 samples in batches of 150 (shares of 75, and a last
// batch of 100 not split) gives the bits of unsplit batches, each output's
// rows in place; a NaN is reported with its sample's index in the data,
// and a Gather that panics comes back as an error.
func TestPredictSplitsItsBatches(t *testing.T) {
	a, b := Input(5), Input(3)
	h := Call(layers.Dense(8, layers.WithActivation("relu")), Call(layers.Concatenate(), a, b))
	m, err := NewModel([]*KerasTensor{a, b}, []*KerasTensor{Call(layers.Dense(4, layers.WithActivation("softmax")), h), Call(layers.Dense(1), h)})
	if err != nil {
		t.Fatal(err)
	}
	x := Arrays{randomTensor(1, 400, 5), randomTensor(2, 400, 3)}
	splitOff = true
	want, err := m.PredictOutputs(x, BatchSize(150), Verbose(0))
	splitOff = false
	if err != nil {
		t.Fatal(err)
	}
	withWorkers(2, func() {
		got, err := m.PredictOutputs(x, BatchSize(150), Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		for o := range want {
			for i, v := range got[o].Data() {
				if math.Float32bits(v) != math.Float32bits(want[o].Data()[i]) {
					t.Fatalf("output %d, value %d: %v split, %v unsplit", o, i, v, want[o].Data()[i])
				}
			}
		}
		x[1].(*tensor.Tensor).Data()[290*3+2] = float32(math.Inf(-1))
		if _, err := m.PredictOutputs(x, BatchSize(150), Verbose(0)); err == nil || !strings.Contains(err.Error(), "sample 290 of x[1] holds -Inf at position 2") {
			t.Errorf("-Inf in sample 290: %v", err)
		}
		x[0].(*tensor.Tensor).Data()[299*5] = float32(math.NaN())
		if _, err := m.PredictOutputs(x, BatchSize(150), Verbose(0)); err == nil || !strings.Contains(err.Error(), "sample 299 of x holds NaN at position 0") {
			t.Errorf("NaN in input 0's sample 299, -Inf in input 1's sample 290: %v", err)
		}
		one := NewSequential(layers.Input(5), layers.Dense(2))
		if _, err := one.Predict(panicData{rowsData{randomTensor(3, 200, 5)}}, BatchSize(200), Verbose(0)); err == nil || !strings.Contains(err.Error(), "gather exploded") {
			t.Errorf("a Gather that panics: %v", err)
		}
	})
}

// Predict on a single tensor input runs its batches as PredictOnBatch
// does, each worker copying and checking its own samples (split in shares,
// or in chunks for the larger batch): the outputs keep the bits of one
// plan over the whole input, and a NaN or ±Inf is reported by Predict's
// name with its sample's index in the whole input.
func TestPredictSplitsATensorInput(t *testing.T) {
	mlp := NewSequential(layers.Input(28, 28), layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")), layers.Dense(10, layers.WithActivation("softmax")))
	x := randomTensor(6, 1401, 28, 28)
	for i, v := range x.Data() {
		if v < 0.9 {
			x.Data()[i] = 0
		}
	}
	want := unsplit(t, mlp, x)
	withWorkers(2, func() {
		for _, batch := range []int{150, 700} {
			if batch == 700 && mlp.chunkRows(batch, 2) == 0 {
				t.Fatalf("a batch of %d does not take the chunks", batch)
			}
			got, err := mlp.Predict(x, BatchSize(batch), Verbose(0))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got.Data() {
				if math.Float32bits(v) != math.Float32bits(want.Data()[i]) {
					t.Fatalf("batch %d: output %d is %v, %v in one plan", batch, i, v, want.Data()[i])
				}
			}
			bad := x.Clone()
			bad.Data()[1234*784+5] = float32(math.NaN())
			if _, err := mlp.Predict(bad, BatchSize(batch), Verbose(0)); err == nil ||
				!strings.Contains(err.Error(), "goras: predict: sample 1234 of x holds NaN at position 5") {
				t.Errorf("batch %d, NaN in sample 1234: %v", batch, err)
			}
		}
	})
}

// concurrentOnly is Data (not a tensor) whose Gather may run concurrently.
type concurrentOnly struct{ Data }

func (concurrentOnly) ConcurrentGather() bool { return true }

// panicky is concurrentOnly whose Gather panics on the samples from bad on.
type panicky struct {
	concurrentOnly
	bad int
}

func (p panicky) Gather(dst []float32, rows []int) {
	if rows[len(rows)-1] >= p.bad {
		panic("gather exploded")
	}
	p.concurrentOnly.Gather(dst, rows)
}

// Predict on Data whose Gather may run concurrently has each worker gather
// its own share: the outputs keep the bits of one plan, a NaN is reported
// with its sample's index in the whole input, and a Gather that panics
// comes back as an error.
func TestPredictGathersInShares(t *testing.T) {
	mlp := NewSequential(layers.Input(28, 28), layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")), layers.Dense(10, layers.WithActivation("softmax")))
	x := randomTensor(7, 601, 28, 28)
	want := unsplit(t, mlp, x)
	withWorkers(2, func() {
		got, err := mlp.Predict(concurrentOnly{x}, BatchSize(300), Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got.Data() {
			if math.Float32bits(v) != math.Float32bits(want.Data()[i]) {
				t.Fatalf("output %d is %v, %v in one plan", i, v, want.Data()[i])
			}
		}
		bad := x.Clone()
		bad.Data()[470*784+9] = float32(math.Inf(-1))
		if _, err := mlp.Predict(concurrentOnly{bad}, BatchSize(300), Verbose(0)); err == nil ||
			!strings.Contains(err.Error(), "goras: predict: sample 470 of x holds -Inf at position 9") {
			t.Errorf("-Inf in sample 470: %v", err)
		}
		if _, err := mlp.Predict(panicky{concurrentOnly{x}, 500}, BatchSize(300), Verbose(0)); err == nil ||
			!strings.Contains(err.Error(), "gather exploded") {
			t.Errorf("a Gather that panics: %v", err)
		}
	})
}
