package serve

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// ErrClosed is what Predict returns once Close has been called.
var ErrClosed = errors.New("serve: the batcher is closed")

// Defaults of the options.
const (
	DefaultMaxBatch               = 64
	DefaultMaxWait  time.Duration = 0
)

// Option tunes New.
type Option func(*config)

type config struct {
	maxBatch int
	maxWait  time.Duration
	workers  int
	// predict runs a gathered batch; nil means the model's PredictOnBatch.
	// Tests set it (withPredict) to count, block or panic.
	predict func(*tensor.Tensor) (*tensor.Tensor, error)
}

// WithMaxBatch is the most samples one PredictOnBatch call of the batcher
// takes. Default 64 (DefaultMaxBatch); at least 1, at most 16,384.
func WithMaxBatch(n int) Option { return func(c *config) { c.maxBatch = n } }

// WithMaxWait is the longest the oldest queued request waits for others
// to fill its batch while a worker is free to run it. Default 0
// (DefaultMaxWait): a free worker takes what is queued as soon as the
// goroutines ready to run have had a turn, and batches grow from the
// requests that arrive while the workers are busy, as Triton's dynamic
// batcher does by default. A wait pays only for requests that come
// whether or not earlier ones were answered (the clients of a server):
// callers that wait for their answer before they ask again never fill a
// batch beyond their number, and each batch then waits the whole
// MaxWait. On 2 cores, 1 ms gave 16 such callers of LeNet-5 9,800
// samples/s instead of 137,000 (BENCH.md). Not negative.
func WithMaxWait(d time.Duration) Option { return func(c *config) { c.maxWait = d } }

// WithWorkers is how many batches may run at once, each on a worker
// goroutine of its own. Default runtime.GOMAXPROCS(0), read by New; at
// least 1, at most 256. PredictOnBatch runs a batch of fewer than 128 samples mostly
// on one core, so one worker a core keeps the cores busy: on 2 cores, 64
// callers of LeNet-5 got 151,000 samples/s from 2 workers, 109,000 from 1.
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// Batcher serves one model to many goroutines: Predict queues a request,
// a worker gathers queued requests into a batch, runs the model once on
// it and hands each caller its rows. Predict, Stats and Close may be
// called from any number of goroutines at once. The model must not change
// (Fit, Compile, SetWeights, ...) while a Batcher serves it; Predict and
// PredictOnBatch on it directly are fine.
type Batcher struct {
	m       *goras.Model
	in, out []int // per-sample shapes of the model's input and output
	inLen   int   // values of one input sample
	outLen  int   // values of one output sample
	cfg     config
	sizes   []int // the batch sizes it runs, ascending (batchSizes)

	mu     sync.Mutex
	queue  []*request  // first come first; the head may be partly taken
	queued int         // samples in queue not yet taken
	closed atomic.Bool // set under mu, read anywhere

	wake   chan struct{} // capacity 1: the queue or closed changed for the gatherer
	gather sync.Mutex    // held by the worker gathering the next batch
	timer  *time.Timer   // the gatherer's, for MaxWait
	wg     sync.WaitGroup
	// reading is read-held by every worker from the moment it takes
	// requests (under mu) until it has copied their samples, so that a
	// caller leaving early can wait until its x is no longer read.
	reading sync.RWMutex

	requests, batches, samples atomic.Int64
}

// request is one call of Predict: the caller's samples, and where its
// answer goes. A request may be cut across batches (batchSizes).
type request struct {
	x    []float32 // n samples: the caller's, read by the batch that takes them
	n    int
	next int       // the first sample no batch has taken yet; under mu
	at   time.Time // when queued, with a MaxWait
	// out is the answer: a view of the output of the batch that ran the
	// request whole, or made by take for one cut across batches.
	out  *tensor.Tensor
	left atomic.Int64 // samples not answered yet; done closes at 0
	// failed is set by the first batch of the request that failed, which
	// alone writes err.
	failed atomic.Bool
	err    error
	done   chan struct{}
}

// The largest MaxBatch and Workers New takes: beyond, the plans it
// builds ahead (Workers × batch sizes, each with every buffer of the
// model for its size) would hold memory no server means to give.
const (
	maxMaxBatch = 1 << 14
	maxWorkers  = 256
)

// New starts serving m. The model must have one input and one output;
// New builds it if need be, then warms it up: it runs, from as many
// goroutines at once as there are workers, one batch of every size the
// batcher will use, so that the first requests do not pay for building
// the model's plans. Options: WithMaxBatch (64), WithMaxWait (0),
// WithWorkers (GOMAXPROCS). Call Close when done.
//
// The model's plan cache must hold the plans the batcher uses: Workers ×
// the sizes (powers of two below MaxBatch, and MaxBatch: 7 for 64), 14
// with the defaults on 2 cores, within goras's default of 16; with more
// workers raise it, e.g. m.SetPlanCache(goras.PlanCache{MaxPlans: 64}),
// or plans are dropped and built again while serving.
func New(m *goras.Model, opts ...Option) (*Batcher, error) {
	if m == nil {
		return nil, errors.New("serve: new: the model is nil")
	}
	cfg := config{maxBatch: DefaultMaxBatch, maxWait: DefaultMaxWait, workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxBatch < 1 || cfg.maxBatch > maxMaxBatch {
		return nil, fmt.Errorf("serve: new: WithMaxBatch(%d): a batch takes at least 1 sample and at most %d (New builds a plan, every buffer of the model, for each batch size up to it)", cfg.maxBatch, maxMaxBatch)
	}
	if cfg.maxWait < 0 {
		return nil, fmt.Errorf("serve: new: WithMaxWait(%v): the wait cannot be negative; 0 runs what is queued without waiting", cfg.maxWait)
	}
	if cfg.workers < 1 || cfg.workers > maxWorkers {
		return nil, fmt.Errorf("serve: new: WithWorkers(%d): at least 1 worker runs the batches and at most %d (each holds a plan per batch size; one a core is the default)", cfg.workers, maxWorkers)
	}
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("serve: new: %w", err)
	}
	if len(m.Inputs()) != 1 || len(m.Outputs()) != 1 {
		return nil, fmt.Errorf("serve: new: the model has %d inputs and %d outputs; a Batcher serves models of one input and one output", len(m.Inputs()), len(m.Outputs()))
	}
	b := &Batcher{
		m: m, cfg: cfg,
		in:    append([]int(nil), m.InputShape()...),
		out:   append([]int(nil), m.OutputShape()...),
		sizes: batchSizes(cfg.maxBatch),
		wake:  make(chan struct{}, 1),
		timer: time.NewTimer(time.Hour),
	}
	b.timer.Stop()
	b.inLen, b.outLen = tensor.Numel(b.in), tensor.Numel(b.out)
	if b.cfg.predict == nil {
		b.cfg.predict = m.PredictOnBatch
	}
	if err := b.warmUp(); err != nil {
		return nil, err
	}
	b.wg.Add(cfg.workers)
	for range cfg.workers {
		go b.work()
	}
	return b, nil
}

// batchSizes are the batch sizes a batcher of at most most samples runs:
// the powers of two below most, and most. A gathered batch of another
// size runs the largest of them it holds, and the rest of it waits at the
// head of the queue for the next batch (take). The model keeps a plan per
// batch size it has run, with every buffer of the batch: a batch of any
// size from 1 to 64 would mean 64 plans a worker, more than the model's
// plan cache keeps by default (16), which would drop and build plans
// while serving; seven sizes fit, and can be built before the first
// request. Cutting rather than padding to the next size computes no
// sample that nobody asked for.
func batchSizes(most int) []int {
	var s []int
	for p := 1; p < most; p *= 2 {
		s = append(s, p)
	}
	return append(s, most)
}

// warmUp runs a batch of zeros of every size from cfg.workers goroutines
// at once, so that the model holds a plan of each size for each worker
// (PredictOnBatch builds one when none of its size is free). Started
// together, the calls overlap while they build; nothing forces them to,
// so a plan may still be built on a request, once.
func (b *Batcher) warmUp() error {
	errs := make([]error, b.cfg.workers)
	for _, s := range b.sizes {
		x := tensor.New(append([]int{s}, b.in...)...)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[w] = b.m.PredictOnBatch(x)
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("serve: new: warming up with a batch of %d: %w", s, err)
		}
	}
	return nil
}

// Predict returns the model's output for x, shape (n, ...) for the n
// samples of x, shape (n, ...input shape). It queues x with other
// callers' samples and waits for the batch that runs them; the answer is
// x's rows of that batch's output. They may differ from what a
// PredictOnBatch call of x alone gives in the last bits (2.4e-7 relative
// at most, measured), because goras chooses some kernels by batch size: a
// convolution of fewer than 4 samples, for one. x is not copied: it
// must not change until Predict returns, after which no batch reads it,
// whatever the outcome.
//
// A request of the wrong shape, or holding NaN or ±Inf, is refused before
// it is queued, with an error that says what was wrong; other callers
// never see it. When ctx is done before a batch has taken the request, it
// leaves the queue and Predict returns ctx.Err() at once; when a batch
// has already taken it, Predict returns ctx.Err() at once too and the
// answer is dropped. A batch whose PredictOnBatch fails (or panics)
// fails every request in it with that error; the next batches run as
// usual. After Close, Predict returns ErrClosed.
func (b *Batcher) Predict(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := b.request(x)
	if err != nil {
		return nil, err
	}
	if b.cfg.maxWait > 0 {
		r.at = time.Now()
	}
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.queue = append(b.queue, r)
	was, now := b.queued, b.queued+r.n
	b.queued = now
	b.mu.Unlock()
	b.requests.Add(1)
	// The gatherer waits for a first request, or for a full batch.
	if was == 0 || (was < b.cfg.maxBatch && now >= b.cfg.maxBatch) {
		b.signal()
	}
	select {
	case <-r.done:
		return r.answer()
	case <-ctx.Done():
	}
	b.mu.Lock()
	taken := r.next > 0
	b.remove(r)
	b.mu.Unlock()
	if taken { // a worker may be copying x: wait until it is done
		b.reading.Lock()
		b.reading.Unlock()
	}
	select {
	case <-r.done: // answered meanwhile: the answer is as good as the error
		return r.answer()
	default:
		return nil, ctx.Err()
	}
}

func (r *request) answer() (*tensor.Tensor, error) {
	if r.failed.Load() {
		return nil, r.err
	}
	return r.out, nil
}

// request checks x, its shape and its values, and makes its request.
func (b *Batcher) request(x *tensor.Tensor) (*request, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	if err := b.checkShape(x); err != nil {
		return nil, err
	}
	if at := kernel.FirstNonFinite(x.Data()); at >= 0 {
		return nil, fmt.Errorf("serve: predict: sample %d of x holds %g at position %d of the sample; the model cannot predict from NaN or infinite inputs: fix or drop that sample", at/b.inLen, x.Data()[at], at%b.inLen)
	}
	r := &request{x: x.Data(), n: x.Dim(0), done: make(chan struct{})}
	r.left.Store(int64(r.n))
	return r, nil
}

// checkShape reports a tensor that is not a batch of the model's input
// samples, and how to make it one.
func (b *Batcher) checkShape(x *tensor.Tensor) error {
	if x == nil {
		return errors.New("serve: predict: x is nil")
	}
	got := x.Shape()
	if len(got) == len(b.in)+1 && tensor.SameShape(got[1:], b.in) {
		if got[0] == 0 {
			return errors.New("serve: predict: x holds no samples")
		}
		return nil
	}
	hint := "reshape it to match, or serve a model whose layers.Input declares the shape the data has"
	switch {
	case tensor.SameShape(got, b.in):
		hint = fmt.Sprintf("it looks like a single sample: add the batch axis, x.Reshape(1, %s)", tensor.DimsString(b.in))
	case len(got) >= 1 && got[0] > 0 && tensor.Numel(got[1:]) == b.inLen:
		hint = fmt.Sprintf("the sizes agree: x.Reshape(%d, %s) makes it fit", got[0], tensor.DimsString(b.in))
	}
	return fmt.Errorf("serve: predict: the model expects x of shape %s, got %s; %s", tensor.ShapeString(b.in, true), tensor.ShapeString(got, false), hint)
}

// remove takes r out of the queue if no batch has taken any of its
// samples, or takes the samples no batch has taken of a request cut
// across batches (the answer is dropped anyway). Called with mu held.
func (b *Batcher) remove(r *request) {
	for i, q := range b.queue {
		if q == r {
			b.queued -= r.n - r.next
			r.next = r.n
			copy(b.queue[i:], b.queue[i+1:])
			b.queue[len(b.queue)-1] = nil
			b.queue = b.queue[:len(b.queue)-1]
			return
		}
	}
}

// signal wakes the gatherer, if it waits.
func (b *Batcher) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Close stops taking requests (Predict returns ErrClosed), runs the
// requests already queued, without waiting for more, and returns once
// every worker has ended. Calling it again does nothing more.
func (b *Batcher) Close() error {
	b.mu.Lock()
	b.closed.Store(true)
	b.mu.Unlock()
	b.signal()
	b.wg.Wait()
	return nil
}

// Stats counts what a Batcher has done since New.
type Stats struct {
	Requests int64 // requests queued
	Batches  int64 // batches run: one PredictOnBatch call each
	Samples  int64 // samples in those batches
}

// Stats returns the counts so far; Samples/Batches is the mean batch.
func (b *Batcher) Stats() Stats {
	return Stats{Requests: b.requests.Load(), Batches: b.batches.Load(), Samples: b.samples.Load()}
}

// MaxBatch, MaxWait and Workers are the batcher's settings.
func (b *Batcher) MaxBatch() int          { return b.cfg.maxBatch }
func (b *Batcher) MaxWait() time.Duration { return b.cfg.maxWait }
func (b *Batcher) Workers() int           { return b.cfg.workers }
