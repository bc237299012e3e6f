package goras

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
)

// Fit's prefetching beside callbacks and panicking Gathers: a callback that
// stops, cancels, predicts or recompiles sees the batches as without
// prefetching, and a Gather's panic is an error naming its array.

// stopper is a callback that, at batch at of epoch 0, does what do says,
// and counts its calls in running while they run.
type stopper struct {
	BaseCallback
	at, epoch int
	do        func(m *Model)
	running   *atomic.Int32
	data      Data
	preds     int
}

func (s *stopper) OnEpochBegin(e int, _ Logs) { s.epoch = e }

func (s *stopper) OnTrainBatchBegin(b int, _ Logs) { s.hook(b, false) }
func (s *stopper) OnTrainBatchEnd(b int, _ Logs)   { s.hook(b, true) }

func (s *stopper) hook(b int, end bool) {
	s.running.Add(1)
	defer s.running.Add(-1)
	time.Sleep(100 * time.Microsecond) // a slow callback: a Gather beside it would see it
	if s.data != nil && end && b%3 == 1 {
		// Predict gathers the training data: never beside Fit's goroutine.
		if _, err := s.Model.Predict(s.data, BatchSize(50), Verbose(0)); err != nil {
			panic(err)
		}
		s.preds++
	}
	if s.do != nil && s.epoch == 0 && b == s.at && end {
		s.do(s.Model)
	}
}

// Callbacks that stop training, cancel the context, predict on the
// training data or recompile between batches: the same bits with
// prefetching as without, no Gather beside a callback or another Gather,
// and every error where it was.
func TestFitPrefetchCallbacks(t *testing.T) {
	build := func() *Model {
		m := NewSequential(layers.Input(64), layers.Dense(8, layers.WithActivation("tanh")), layers.Dense(3, layers.WithActivation("softmax")))
		m.SetSeed(9)
		if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	const n = 520 // batches of 64: 8 and one of 8
	x, y := randomTensor(5, n, 64), oneHotRows(n, 3, 6)
	for _, c := range []struct {
		name    string
		at      int  // the batch of epoch 0 whose hook acts
		begin   bool // act in OnTrainBatchBegin, not OnTrainBatchEnd
		do      func(m *Model, cancel context.CancelFunc)
		wantErr error
		predict bool
	}{
		{name: "stop at a batch's end", at: 2, do: func(m *Model, _ context.CancelFunc) { m.StopTraining = true }},
		{name: "stop at a batch's begin", at: 3, begin: true, do: func(m *Model, _ context.CancelFunc) { m.StopTraining = true }},
		{name: "cancel", at: 4, do: func(_ *Model, cancel context.CancelFunc) { cancel() }, wantErr: context.Canceled},
		{name: "predict on x", at: -1, predict: true},
		{name: "recompile", at: 3, do: func(m *Model, _ context.CancelFunc) {
			if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
				panic(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var seen []*watched // the prefetching run's data
			preds := 0
			on, off, hOn, hOff, errOn, errOff := fitBoth(t, build, func(m *Model, p bool) (*History, error) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				running := &atomic.Int32{}
				wx, wy := &watched{Data: x, callbacks: running}, &watched{Data: y, callbacks: running}
				cb := &stopper{at: c.at, running: running}
				if c.do != nil {
					cb.do = func(m *Model) { c.do(m, cancel) }
				}
				if c.predict {
					cb.data = wx
				}
				h, err := m.Fit(ctx, wx, wy, BatchSize(64), Epochs(2), Verbose(0), Callbacks(beginOrEnd(cb, c.begin)))
				if p {
					preds, seen = cb.preds, []*watched{wx, wy}
					if got := wx.prefetch.Load(); got == 0 {
						t.Error("no batch was prefetched")
					}
				}
				return h, err
			})
			if !errors.Is(errOn, c.wantErr) || !errors.Is(errOff, c.wantErr) {
				t.Fatalf("errors %v with prefetching and %v without; want %v", errOn, errOff, c.wantErr)
			}
			sameBits(t, c.name, on, off)
			sameHistory(t, hOn, hOff)
			if c.predict && preds == 0 {
				t.Fatal("the callback never predicted")
			}
			for _, w := range seen {
				if w.overlap.Load() || w.besideCB.Load() {
					t.Errorf("a Gather ran beside another (%v) or beside a callback (%v)", w.overlap.Load(), w.besideCB.Load())
				}
			}
		})
	}
}

// beginOrEnd makes s act at its batch's begin (OnTrainBatchBegin) rather
// than its end.
func beginOrEnd(s *stopper, begin bool) Callback {
	if !begin {
		return s
	}
	return &atBegin{s}
}

type atBegin struct{ *stopper }

func (a *atBegin) OnTrainBatchBegin(b int, _ Logs) {
	a.running.Add(1)
	defer a.running.Add(-1)
	if a.do != nil && a.epoch == 0 && b == a.at {
		a.do(a.Model)
	}
}

func (a *atBegin) OnTrainBatchEnd(int, Logs) {}

// A Gather that panics, in x or in y, on the prefetching goroutine or the
// caller's: Fit returns an error naming the array, after training the same
// batches to the same bits, and leaves no goroutine behind.
func TestFitPrefetchGatherPanics(t *testing.T) {
	build := func() *Model {
		m := NewSequential(layers.Input(64), layers.Dense(3, layers.WithActivation("softmax")))
		m.SetSeed(1)
		if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	const n = 512
	x, y := randomTensor(5, n, 64), oneHotRows(n, 3, 6)
	before := runtime.NumGoroutine()
	for _, c := range []struct {
		name        string
		xAt, yAt    int32
		want, batch string
	}{
		{"x, prefetched", 4, 0, "Gather method of x panicked", "batch 3"},
		{"y, prefetched", 0, 6, "Gather method of y panicked", "batch 5"},
		{"x, first batch of epoch 2", 9, 0, "Gather method of x panicked", "batch 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			on, off, _, _, errOn, errOff := fitBoth(t, build, func(m *Model, _ bool) (*History, error) {
				wx, wy := &watched{Data: x, panicAt: c.xAt}, &watched{Data: y, panicAt: c.yAt}
				return m.Fit(context.Background(), wx, wy, BatchSize(64), Epochs(2), Verbose(0))
			})
			for _, err := range []error{errOn, errOff} {
				if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.batch) || !strings.Contains(err.Error(), "the data went away") {
					t.Fatalf("error %v; want one saying %q on %q", err, c.want, c.batch)
				}
			}
			sameBits(t, c.name, on, off)
		})
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before {
		t.Errorf("%d goroutines after Fit, %d before", got, before)
	}
}
