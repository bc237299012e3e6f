package serve

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/goras-ml/goras/tensor"
)

// batch is what a worker runs at once: pieces of queued requests, n
// samples in all, n one of the batcher's sizes.
type batch struct {
	pieces []piece
	n      int
}

// piece is samples [lo, hi) of a request.
type piece struct {
	r      *request
	lo, hi int
}

// work is one worker: it gathers a batch, runs it, and again, until Close
// has been called and nothing is queued. Workers take turns at
// gathering, so that one batch fills at a time; while every worker runs
// a batch, the requests that arrive wait in the queue for the first that
// is done, which takes up to MaxBatch of them at once: under load the
// batches grow by themselves.
func (b *Batcher) work() {
	defer b.wg.Done()
	xs := make(map[int]*tensor.Tensor, len(b.sizes)) // the input of each batch size, reused
	var bt batch
	for b.next(&bt) {
		x := xs[bt.n]
		if x == nil {
			x = tensor.New(append([]int{bt.n}, b.in...)...)
			xs[bt.n] = x
		}
		b.run(&bt, x)
	}
}

// next gathers the next batch into bt, and reports false once the batcher
// is closed and nothing is left to run. A batch is due when MaxBatch
// samples are queued, at once after Close, and otherwise:
//   - with a MaxWait, when the oldest queued request has waited it;
//   - without, once the goroutines ready to run have had a turn
//     (runtime.Gosched) in which no request came. Callers just answered
//     that ask again are such goroutines: they join this batch instead of
//     each running alone behind it. For LeNet-5 and 16 callers on 2 cores
//     the mean batch went from 1.4 to 7.8 samples, and the throughput
//     from 90,000 to 137,000 samples/s (BENCH.md).
func (b *Batcher) next(bt *batch) bool {
	b.gather.Lock()
	defer b.gather.Unlock()
	seen := 0 // samples queued before the last turn given
	for {
		b.mu.Lock()
		queued, closed := b.queued, b.closed.Load()
		var wait time.Duration
		if queued > 0 && b.cfg.maxWait > 0 {
			wait = b.cfg.maxWait - time.Since(b.queue[0].at)
		}
		if queued > 0 && (closed || queued >= b.cfg.maxBatch || (b.cfg.maxWait > 0 && wait <= 0) || (b.cfg.maxWait == 0 && queued == seen)) {
			b.take(bt, queued)
			b.mu.Unlock()
			return true
		}
		b.mu.Unlock()
		switch {
		case queued == 0 && closed:
			return false
		case queued == 0:
			// A request or Close signals wake (capacity 1, so that a
			// signal sent before this wait is not lost).
			<-b.wake
		case b.cfg.maxWait == 0:
			seen = queued
			runtime.Gosched()
		default:
			b.timer.Reset(wait) // a full batch or Close signals wake
			select {
			case <-b.wake:
				b.timer.Stop()
			case <-b.timer.C:
			}
		}
	}
}

// take moves the first samples of the queue, of the queued ones, into
// bt: MaxBatch of them, or the largest batch size there are enough for.
// The request whose samples the cut falls among stays at the head of
// the queue with the rest of its samples, its arrival time unchanged, so
// that they are due at once for the next batch. Called with mu held.
func (b *Batcher) take(bt *batch, queued int) {
	n := b.cfg.maxBatch
	if queued < n {
		for _, s := range b.sizes {
			if s <= queued {
				n = s
			}
		}
	}
	bt.pieces, bt.n = bt.pieces[:0], n
	b.reading.RLock() // before mu is let go: see Predict
	done := 0         // requests taken to their last sample
	for need := n; need > 0; {
		r := b.queue[done]
		k := min(need, r.n-r.next)
		if k < r.n && r.out == nil { // cut: its answer is put together
			r.out = tensor.New(append([]int{r.n}, b.out...)...)
		}
		bt.pieces = append(bt.pieces, piece{r: r, lo: r.next, hi: r.next + k})
		r.next += k
		need -= k
		if r.next == r.n {
			done++
		}
	}
	clear(b.queue[:done]) // so that the array's front holds no answered request
	b.queue = b.queue[done:]
	b.queued -= n
}

// run copies the batch's samples into x, runs the model on x and hands
// every request its rows, or the batch's error.
func (b *Batcher) run(bt *batch, x *tensor.Tensor) {
	d := x.Data()
	at := 0
	for _, p := range bt.pieces {
		at += copy(d[at:], p.r.x[p.lo*b.inLen:p.hi*b.inLen])
	}
	b.reading.RUnlock()
	out, err := b.call(x)
	if err != nil {
		err = fmt.Errorf("serve: the batch of %d samples this request ran in failed: %w", bt.n, err)
	}
	b.batches.Add(1)
	b.samples.Add(int64(bt.n))
	row := 0
	for i, p := range bt.pieces {
		k := p.hi - p.lo
		r := p.r
		if err != nil {
			if r.failed.CompareAndSwap(false, true) {
				r.err = err
			}
		} else if k == r.n {
			r.out = out.Slice(row, row+k) // the batch's output is the callers'
		} else {
			copy(r.out.Data()[p.lo*b.outLen:p.hi*b.outLen], out.Data()[row*b.outLen:(row+k)*b.outLen])
		}
		row += k
		// The last piece answered closes done: another worker may have
		// written the request's other rows, and its Add comes before.
		if r.left.Add(int64(-k)) == 0 {
			close(r.done)
		}
		bt.pieces[i] = piece{}
	}
}

// call runs the model on x: PredictOnBatch, which turns a panic of a
// layer into an error itself; anything else that panics comes back as an
// error here, so that the worker lives on for the next batches.
func (b *Batcher) call(x *tensor.Tensor) (out *tensor.Tensor, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	out, err = b.cfg.predict(x)
	if err == nil && (out == nil || out.Len() != x.Dim(0)*b.outLen) {
		var got []int
		if out != nil {
			got = out.Shape()
		}
		return nil, fmt.Errorf("the model answered %d samples with shape %v, expected (%d, %s)", x.Dim(0), got, x.Dim(0), tensor.DimsString(b.out))
	}
	return out, err
}
