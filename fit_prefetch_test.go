package goras

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// watched wraps a Data and records how it was gathered: whether two
// Gathers of it ever ran at once, whether one ran beside a callback, and
// how many were prefetched (by Fit's goroutine, or by the step when the
// goroutine had not started them). panicAt > 0 makes the
// panicAt-th Gather of a batch of 64 panic (Fit's checks and Predict
// gather other sizes).
type watched struct {
	Data
	inFlight  atomic.Int32
	overlap   atomic.Bool
	besideCB  atomic.Bool
	prefetch  atomic.Int32
	calls     atomic.Int32
	panicAt   int32
	callbacks *atomic.Int32 // callbacks running now, or nil
}

func (w *watched) Gather(dst []float32, rows []int) {
	if w.inFlight.Add(1) > 1 {
		w.overlap.Store(true)
	}
	defer w.inFlight.Add(-1)
	prefetched, stolen := prefetchCaller()
	if prefetched || stolen {
		w.prefetch.Add(1)
	}
	if len(rows) == 64 && w.calls.Add(1) == w.panicAt {
		panic("watched: the data went away")
	}
	w.beside(prefetched)
	time.Sleep(50 * time.Microsecond) // a slow Gather widens any window for a race
	w.Data.Gather(dst, rows)
	w.beside(prefetched)
}

// beside records a Gather of Fit's goroutine while a callback runs.
func (w *watched) beside(prefetched bool) {
	if prefetched && w.callbacks != nil && w.callbacks.Load() > 0 {
		w.besideCB.Store(true)
	}
}

// prefetchCaller says whether the caller runs on Fit's prefetching
// goroutine (goroutine), or gathers a prefetched batch on the step's
// (stolen: the goroutine had not started it).
func prefetchCaller() (goroutine, stolen bool) {
	pc := make([]uintptr, 32)
	frames := runtime.CallersFrames(pc[:runtime.Callers(2, pc)])
	for {
		f, more := frames.Next()
		switch {
		case strings.HasSuffix(f.Function, "(*prefetcher).loop"):
			return true, false
		case strings.HasSuffix(f.Function, "(*prefetcher).settle"):
			return false, true
		}
		if !more {
			return false, false
		}
	}
}

// weightBits returns every weight of m (moving statistics included) as
// float32 bits.
func weightBits(m *Model) [][]uint32 {
	var out [][]uint32
	for _, p := range m.Params() {
		b := make([]uint32, p.Value.Len())
		for i, v := range p.Value.Data() {
			b[i] = math.Float32bits(v)
		}
		out = append(out, b)
	}
	return out
}

func sameBits(t *testing.T, what string, with, without [][]uint32) {
	t.Helper()
	if len(with) != len(without) {
		t.Fatalf("%s: %d weight arrays with prefetching, %d without", what, len(with), len(without))
	}
	for i := range with {
		for j := range with[i] {
			if with[i][j] != without[i][j] {
				t.Fatalf("%s: weight array %d, element %d: %g with prefetching, %g without", what, i, j,
					math.Float32frombits(with[i][j]), math.Float32frombits(without[i][j]))
			}
		}
	}
}

// fitBoth trains a model from build twice, with and without prefetching,
// and returns the final weights and histories of each; fit gets the model
// and the watched data of the run.
func fitBoth(t *testing.T, build func() *Model, fit func(m *Model, on bool) (*History, error)) (on, off [][]uint32, hOn, hOff *History, errOn, errOff error) {
	t.Helper()
	defer func() { prefetchFit = true }()
	keepPrefetching(t)
	for _, p := range []bool{true, false} {
		prefetchFit = p
		m := build()
		h, err := fit(m, p)
		if p {
			on, hOn, errOn = weightBits(m), h, err
		} else {
			off, hOff, errOff = weightBits(m), h, err
		}
	}
	return
}

// keepPrefetching turns off, until the test ends, what stops prefetching
// on a loaded machine (where the step gathers its batch itself) or for a
// long step, so that the tests' counts of prefetched batches hold
// whatever else runs.
func keepPrefetching(t *testing.T) {
	late, share := prefetchLate, prefetchShare
	prefetchLate, prefetchShare = prefetchWindow, 0
	t.Cleanup(func() { prefetchLate, prefetchShare = late, share })
}

func sameHistory(t *testing.T, a, b *History) {
	t.Helper()
	for k, v := range b.History {
		for i := range v {
			if a.History[k][i] != v[i] {
				t.Errorf("History[%q] with prefetching %v, without %v", k, a.History[k], v)
				break
			}
		}
	}
}

// The course's MLP on uint8 pixels (mnist.Images), shuffled, 2 epochs of
// 10 batches and a smaller last one (1030 images in batches of 100), with
// a validation split: every weight ends with the same bits with
// prefetching as without, and every batch but each epoch's first three
// was prefetched.
func TestFitPrefetchSameBitsMLP(t *testing.T) {
	const n = 1150 // 1035 trained (10 batches of 100, one of 35), 115 held out
	r := rand.New(rand.NewPCG(3, 4))
	im := &mnist.Images{N: n, Rows: 28, Cols: 28, Pixels: make([]uint8, n*784)}
	for i := range im.Pixels {
		if r.IntN(5) == 0 { // MNIST is mostly background: the sparse product path
			im.Pixels[i] = uint8(r.IntN(256))
		}
	}
	labels := make(mnist.Labels, n)
	for i := range labels {
		labels[i] = uint8(r.IntN(10))
	}
	build := func() *Model {
		m := NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(50, layers.WithActivation("relu")), layers.Dense(10, layers.WithActivation("softmax")))
		m.SetSeed(11)
		sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(CompileOptions{Optimizer: sgd, Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	var x *watched
	on, off, hOn, hOff, errOn, errOff := fitBoth(t, build, func(m *Model, _ bool) (*History, error) {
		x = &watched{Data: im}
		return m.Fit(context.Background(), x, labels, BatchSize(100), Epochs(2), Verbose(0), ValidationSplit(0.1))
	})
	if errOn != nil || errOff != nil {
		t.Fatal(errOn, errOff)
	}
	sameBits(t, "MLP", on, off)
	sameHistory(t, hOn, hOff)
	if got := x.prefetch.Load(); got != 0 {
		t.Errorf("without prefetching, %d Gathers ran on the prefetching goroutine", got)
	}
	// Rerun with prefetching to count (x is the last run's).
	prefetchFit = true
	m := build()
	x = &watched{Data: im}
	if _, err := m.Fit(context.Background(), x, labels, BatchSize(100), Epochs(2), Verbose(0), ValidationSplit(0.1)); err != nil {
		t.Fatal(err)
	}
	if got := x.prefetch.Load(); got != 2*8 {
		t.Errorf("%d batches were prefetched; want 8 an epoch (all but the first three of 11)", got)
	}
	if x.overlap.Load() {
		t.Error("two Gathers of x ran at once")
	}
}

// A model with two inputs and two outputs, BatchNormalization, Dropout
// (its masks drawn in the same order whichever plan draws them) and sample
// weights, trained 3 epochs with a smaller last batch: the same bits.
func TestFitPrefetchSameBitsTwoInputs(t *testing.T) {
	build := func() *Model {
		a, b := Input(40), Input(24)
		h := Call(layers.Concatenate(), Call(layers.Dense(16, layers.WithActivation("relu")), a), b)
		h = Call(layers.Dropout(0.25), Call(layers.BatchNormalization(), h))
		out1 := Call(layers.Dense(3, layers.WithActivation("softmax")), h)
		out2 := Call(layers.Dense(1), h)
		m, err := NewModel([]*KerasTensor{a, b}, []*KerasTensor{out1, out2})
		if err != nil {
			t.Fatal(err)
		}
		m.SetSeed(7)
		adam, err := optimizers.Get("adam")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(CompileOptions{Optimizer: adam, Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}}}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	const n = 300 // batches of 64: 4 and one of 44
	sw := make([]float32, n)
	for i := range sw {
		sw[i] = float32(i%7) / 3
	}
	xa, xb := randomTensor(1, n, 40), randomTensor(2, n, 24)
	y := Arrays{oneHotRows(n, 3, 3), randomTensor(4, n, 1)}
	var wa *watched
	on, off, hOn, hOff, errOn, errOff := fitBoth(t, build, func(m *Model, _ bool) (*History, error) {
		wa = &watched{Data: xa}
		return m.Fit(context.Background(), Arrays{wa, xb}, y, BatchSize(64), Epochs(3), Verbose(0), SampleWeight(sw))
	})
	if errOn != nil || errOff != nil {
		t.Fatal(errOn, errOff)
	}
	sameBits(t, "two inputs", on, off)
	sameHistory(t, hOn, hOff)
	if len(hOn.History["loss"]) != 3 {
		t.Fatalf("history %v", hOn.History)
	}
	prefetchFit = true
	defer func() { prefetchFit = true }()
	m := build()
	wa = &watched{Data: xa}
	if _, err := m.Fit(context.Background(), Arrays{wa, xb}, y, BatchSize(64), Epochs(1), Verbose(0), SampleWeight(sw)); err != nil {
		t.Fatal(err)
	}
	if got := wa.prefetch.Load(); got != 2 {
		t.Errorf("%d batches were prefetched; want 2 (all but the first three of 5)", got)
	}
}

// Training with prefetching allocates nothing per step once its plans
// exist: a Fit call of 40 steps an epoch makes as many allocations as one
// of 4, give or take a few that are not the steps': the runtime allocates
// a channel's waiting record (a sudog) when a goroutine sleeps and its
// caches are empty, as after a collection. So the collector is off, the
// fewest of three calls each are compared, and the 72 extra steps may
// bring up to 24 of those (the race detector's slow steps let the
// goroutine sleep between batches); one allocation per step would be 72.
func TestFitPrefetchAllocatesNothingPerStep(t *testing.T) {
	m := NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(50, layers.WithActivation("relu")), layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(2)
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.MeanSquaredError{}}); err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(4000, 28, 28), oneHotRows(4000, 10, 1)
	for i := range x.Data() {
		x.Data()[i] = float32(i%255) / 255
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	fit := func(steps int) uint64 {
		least := uint64(math.MaxUint64)
		for range 3 {
			var a, b runtime.MemStats
			runtime.ReadMemStats(&a)
			if _, err := m.Fit(context.Background(), x, y, BatchSize(100), Epochs(2), Verbose(0), StepsPerEpoch(steps)); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&b)
			least = min(least, b.Mallocs-a.Mallocs)
		}
		return least
	}
	fit(40) // builds the plans
	short, long := fit(4), fit(40)
	if long >= short+24 {
		t.Errorf("a Fit of 2×40 steps made %d allocations, one of 2×4 steps %d: %.2f per step", long, short, float64(long-short)/72)
	}
	if short < 20 {
		t.Errorf("a Fit call made %d allocations: fewer than its twin plan alone, so the test no longer counts what it should", short)
	}
}

// A step that finds its batch not started gathers it itself, and more
// than prefetchLate such batches in a window of prefetchWindow stop
// prefetching until the epoch ends (drain); as many as prefetchLate do
// not, nor any before the goroutine has first run.
func TestFitPrefetchStopsWhenLate(t *testing.T) {
	m := NewSequential(layers.Input(3), layers.Dense(2))
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.MeanSquaredError{}}); err != nil {
		t.Fatal(err)
	}
	x, y := randomTensor(1, 8, 3), randomTensor(2, 8, 2)
	r := &fitRun{m: m}
	if err := m.checkData("fit", x, y, &r.train); err != nil {
		t.Fatal(err)
	}
	bp, err := m.plan(4, true, &r.train)
	if err != nil {
		t.Fatal(err)
	}
	p := &r.pf
	run := func(late int) {
		t.Helper()
		for i := range prefetchWindow {
			p.job = prefetchJob{r: r, bp: bp, rows: []int{7, 6, 5, 4}, step: 1}
			p.state.Store(jobQueued)
			if i >= late { // as if the goroutine had gathered it
				p.state.Store(jobDone)
			}
			p.settle()
			if p.err != nil || !p.filled {
				t.Fatalf("settle: filled %v, error %v", p.filled, p.err)
			}
		}
	}
	// Before the goroutine has first run, every batch the step gathers
	// is its start-up: none counts.
	run(prefetchWindow)
	if p.off || p.late != 0 || p.settled != 0 {
		t.Fatalf("before the goroutine started, %d late batches of %d counted (off %v, late %d, settled %d)", prefetchWindow, prefetchWindow, p.off, p.late, p.settled)
	}
	p.running.Store(true) // as if it had
	run(prefetchLate)
	if p.off {
		t.Fatalf("%d late batches of %d stopped prefetching", prefetchLate, prefetchWindow)
	}
	if got, want := bp.xs[0].Value.Data()[0], x.Data()[7*3]; got != want {
		t.Errorf("the step's own gather wrote %g first, want sample 7's %g", got, want)
	}
	run(prefetchLate + 1)
	if !p.off || !p.quiet.Load() {
		t.Fatalf("%d late batches of %d left prefetching on", prefetchLate+1, prefetchWindow)
	}
	p.drain()
	if p.off || p.quiet.Load() || p.settled != 0 {
		t.Error("a new epoch did not prefetch again")
	}
}
