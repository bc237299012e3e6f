package serve

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// Requests of the wrong shape, holding NaN or ±Inf, nil or empty are
// refused with an error that names the problem, while good requests of
// other goroutines, in the same batches, get their answers; nothing bad
// reaches the model.
func TestBadRequestsAreRefusedAlone(t *testing.T) {
	m := zoo(t, "mlp")
	rec := &recorder{m: m}
	b, err := New(m, WithMaxBatch(8), withPredict(rec.predict))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	nan := digits(m, 2, 1)
	nan.Data()[784+5] = float32(math.NaN())
	inf := digits(m, 1, 2)
	inf.Data()[3] = float32(math.Inf(-1))
	bad := []struct {
		x    *tensor.Tensor
		want string
	}{
		{nan, "sample 1 of x holds NaN at position 5"},
		{inf, "sample 0 of x holds -Inf at position 3"},
		{tensor.New(28, 28), "expects x of shape (None, 28, 28), got (28, 28); it looks like a single sample: add the batch axis, x.Reshape(1, 28, 28)"},
		{tensor.New(2, 784), "got (2, 784); the sizes agree: x.Reshape(2, 28, 28) makes it fit"},
		{tensor.New(1, 28, 27), "got (1, 28, 27); reshape it to match"},
		{tensor.New(0, 28, 28), "x holds no samples"},
		{nil, "x is nil"},
	}
	var wg sync.WaitGroup
	good := make(chan int, 16*10)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if (g+i)%2 == 0 {
					c := bad[(g+i/2)%len(bad)]
					_, err := b.Predict(context.Background(), c.x)
					if err == nil || !strings.Contains(err.Error(), c.want) {
						t.Errorf("got %v, want an error saying %q", err, c.want)
					}
					continue
				}
				x := digits(m, 1, uint64(100*g+i))
				want, _ := m.PredictOnBatch(x)
				got, err := b.Predict(context.Background(), x)
				if err != nil {
					t.Error(err)
					continue
				}
				if err := near(got, want, 1e-6); err != nil {
					t.Error(err)
				}
				good <- 1
			}
		}()
	}
	wg.Wait()
	close(good)
	st := b.Stats()
	if st.Samples != int64(len(good)) || st.Requests != int64(len(good)) || rec.bad != 0 {
		t.Errorf("%d good one-sample requests; Stats %+v; %d batches held NaN or ±Inf", len(good), st, rec.bad)
	}
}

// A request whose context ends before a batch takes it leaves the queue:
// Predict returns at once, while the only worker is still busy, and its
// samples never run.
func TestCancelBeforeTheBatch(t *testing.T) {
	m := zoo(t, "mlp")
	rec := &recorder{m: m, hold: make(chan struct{}), entered: make(chan int, 10)}
	b, err := New(m, WithWorkers(1), withPredict(rec.predict))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	first := make(chan error)
	go func() {
		_, err := b.Predict(context.Background(), digits(m, 1, 1))
		first <- err
	}()
	<-rec.entered
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error)
	go func() {
		_, err := b.Predict(ctx, digits(m, 3, 2))
		second <- err
	}()
	waitFor(func() bool { return b.Stats().Requests == 2 })
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) { // the worker still holds the first batch
		t.Errorf("cancelled request: %v, want context.Canceled", err)
	}
	b.mu.Lock()
	left := b.queued
	b.mu.Unlock()
	close(rec.hold)
	if err := <-first; err != nil {
		t.Error(err)
	}
	if s := rec.batches(); left != 0 || len(s) != 1 {
		t.Errorf("after the cancel %d samples stayed queued; batches %v, want [1]", left, s)
	}
	// A context already done: nothing is queued.
	if _, err := b.Predict(ctx, digits(m, 1, 3)); !errors.Is(err, context.Canceled) || b.Stats().Requests != 2 {
		t.Errorf("done context: %v, %d requests", err, b.Stats().Requests)
	}
}

// A request whose context ends after a batch took it returns ctx.Err()
// at once, its answer dropped; the part of a request cut across batches
// that no batch has taken yet leaves the queue; the batcher serves on.
func TestCancelAfterTheBatchTookIt(t *testing.T) {
	m := zoo(t, "mlp")
	rec := &recorder{m: m, hold: make(chan struct{}), entered: make(chan int, 10)}
	b, err := New(m, WithMaxBatch(4), WithWorkers(1), withPredict(rec.predict))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := b.Predict(ctx, digits(m, 6, 1)) // 4 in the first batch, 2 left
		done <- err
	}()
	if n := <-rec.entered; n != 4 {
		t.Fatalf("first batch of %d samples, want 4", n)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	close(rec.hold)
	x := digits(m, 2, 2)
	want, _ := m.PredictOnBatch(x)
	got, err := b.Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if err := near(got, want, 1e-6); err != nil {
		t.Error(err)
	}
	if s := rec.batches(); len(s) != 2 || s[1] != 2 {
		t.Errorf("batches %v, want [4 2]: the cancelled request's last 2 samples do not run", s)
	}
}

// Close waits for the batch that runs and runs the queued ones; Predict
// during and after Close returns ErrClosed; a second Close does nothing;
// no goroutine is left behind.
func TestClose(t *testing.T) {
	m := zoo(t, "mlp")
	if _, err := m.PredictOnBatch(digits(m, 1, 0)); err != nil { // start what the model starts once
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	rec := &recorder{m: m, hold: make(chan struct{}), entered: make(chan int, 100)}
	b, err := New(m, WithWorkers(2), WithMaxBatch(4), withPredict(rec.predict))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 9)
	for i := range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.Predict(context.Background(), digits(m, 1, uint64(i)))
			errs <- err
		}()
		if i < 2 {
			<-rec.entered // both workers hold a batch of 1
		}
	}
	waitFor(func() bool { return b.Stats().Requests == 9 })
	closed := make(chan error)
	go func() { closed <- b.Close() }()
	waitFor(b.closed.Load)
	if _, err := b.Predict(context.Background(), digits(m, 1, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Predict while closing: %v, want ErrClosed", err)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while batches were running")
	default:
	}
	close(rec.hold)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a request queued before Close: %v", err)
		}
	}
	if st := b.Stats(); st.Samples != 9 {
		t.Errorf("%d samples ran, want 9", st.Samples)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := b.Predict(context.Background(), digits(m, 1, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Predict after Close: %v, want ErrClosed", err)
	}
	waitFor(func() bool { return runtime.NumGoroutine() <= before })
}

// A panic in a batch (a user's layer that panics on a marked input, or
// anything else in the batch's call) comes back to every request of that
// batch as an error, and to no other; the next batches run as usual.
func TestPanicFailsItsBatchOnly(t *testing.T) {
	m := goras.NewSequential(layers.Input(4), &panicky{}, layers.Dense(3))
	mark := func(x *tensor.Tensor) *tensor.Tensor { x.Data()[0] = marker; return x }
	var failing atomic.Bool
	rec := &recorder{m: m, hold: make(chan struct{}), entered: make(chan int, 10)}
	hook := func(x *tensor.Tensor) (*tensor.Tensor, error) {
		if failing.Load() && x.Dim(0) == 2 {
			panic("hook panics on a batch of 2")
		}
		return rec.predict(x)
	}
	b, err := New(m, WithWorkers(1), withPredict(hook))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	row := func(seed uint64) *tensor.Tensor {
		x := tensor.New(1, 4)
		x.FillUniform(tensor.NewRNG(seed), -1, 1)
		return x
	}
	ask := func(xs ...*tensor.Tensor) []error {
		errs := make([]error, len(xs))
		var wg sync.WaitGroup
		for i, x := range xs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = b.Predict(context.Background(), x)
			}()
		}
		waitFor(func() bool { return b.Stats().Requests >= int64(len(xs)) })
		wg.Wait()
		return errs
	}
	// The worker holds a first batch while four requests queue, one of
	// them marked: they run together, as a batch of 4, and all fail.
	first := make(chan error)
	go func() {
		_, err := b.Predict(context.Background(), row(0))
		first <- err
	}()
	<-rec.entered
	var errs []error
	queued := make(chan struct{})
	go func() {
		errs = ask(row(1), row(2), mark(row(3)), row(4))
		close(queued)
	}()
	waitFor(func() bool { return b.Stats().Requests == 5 })
	close(rec.hold)
	<-queued
	if err := <-first; err != nil {
		t.Errorf("the batch before: %v", err)
	}
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "panicky: marked input") || !strings.Contains(err.Error(), "batch of 4 samples") {
			t.Errorf("request %d of the failing batch: %v", i, err)
		}
	}
	if s := rec.batches(); len(s) != 2 || s[1] != 4 {
		t.Errorf("batches %v, want [1 4]", s)
	}
	// A panic outside the model (here the hook's) fails its batch too.
	failing.Store(true)
	if _, err := b.Predict(context.Background(), tensor.New(2, 4)); err == nil || !strings.Contains(err.Error(), "hook panics on a batch of 2") {
		t.Errorf("a batch whose call panics: %v", err)
	}
	failing.Store(false)
	for i, err := range ask(row(5), row(6), row(7)) {
		if err != nil {
			t.Errorf("request %d after the panics: %v", i, err)
		}
	}
}

// marker is the input value panicky panics on.
const marker = 12345

// panicky is a user's layer, as examples/custom_layer writes one, that
// passes its input on and panics when a sample starts with marker.
type panicky struct{ name string }

func (l *panicky) Name() string                                { return l.name }
func (l *panicky) SetName(name string)                         { l.name = name }
func (l *panicky) ClassName() string                           { return "Panicky" }
func (l *panicky) Config() map[string]any                      { return map[string]any{"name": l.name} }
func (l *panicky) Params() []*autograd.Param                   { return nil }
func (l *panicky) Build(in []int, _ *rand.Rand) ([]int, error) { return in, nil }
func (l *panicky) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	op := &panickyOp{x: x, per: x.Value.Len() / x.Value.Dim(0)}
	op.y = p.NewVar(false, x.Shape()...)
	p.AddOp(op)
	return op.y
}

type panickyOp struct {
	x, y *autograd.Var
	per  int
}

func (o *panickyOp) Forward(bool) {
	x := o.x.Value.Data()
	for i := 0; i < len(x); i += o.per {
		if x[i] == marker {
			panic("panicky: marked input")
		}
	}
	copy(o.y.Value.Data(), x)
}

func (o *panickyOp) Backward() {}

func TestNewRefuses(t *testing.T) {
	mlp := zoo(t, "mlp")
	in1, in2 := goras.Input(3), goras.Input(3)
	two, err := goras.NewModel([]*goras.KerasTensor{in1, in2}, []*goras.KerasTensor{goras.Call(layers.Add(), in1, in2)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    *goras.Model
		opts []Option
		want string
	}{
		{nil, nil, "the model is nil"},
		{mlp, []Option{WithMaxBatch(0)}, "WithMaxBatch(0): a batch takes at least 1 sample"},
		{mlp, []Option{WithMaxWait(-1)}, "WithMaxWait(-1ns): the wait cannot be negative"},
		{mlp, []Option{WithWorkers(0)}, "WithWorkers(0): at least 1 worker"},
		{mlp, []Option{WithWorkers(1 << 20)}, "WithWorkers(1048576): at least 1 worker runs the batches and at most 256"},
		{mlp, []Option{WithMaxBatch(1 << 30)}, "WithMaxBatch(1073741824): a batch takes at least 1 sample and at most 16384"},
		{two, nil, "the model has 2 inputs and 1 outputs"},
		{goras.NewSequential(layers.Dense(3)), nil, "input shape"},
	} {
		b, err := New(c.m, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error saying %q", err, c.want)
		}
		if b != nil {
			b.Close()
		}
	}
}
