package kernel

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// helperPool is a set of helper goroutines that run the calls queued for
// them: Parallel's (pool) and Fork's (forkPool), two pools so that a Fork
// task's own Parallel calls find Parallel's helpers free. Both dispatch a
// call the same way: the caller queues messages for helpers, claims
// chunks itself as they do, and waits for the rest (finish).
type helperPool struct {
	tasks   chan *call
	queued  atomic.Int32 // messages sent and not yet received
	helpers atomic.Int32 // helper goroutines running; only ever grows
}

// start starts one more helper. It adds two calls to the free list,
// enough for the call it runs and one queued for it, so that steady-state
// dispatch never allocates.
func (p *helperPool) start() {
	p.helpers.Add(1)
	callFree.put(new(call))
	callFree.put(new(call))
	go p.serve()
}

// serve is a helper's loop: it runs the chunks it can claim of each call
// it receives.
func (p *helperPool) serve() {
	for {
		c := p.receive()
		p.queued.Add(-1)
		c.work()
		c.release()
	}
}

// receive takes the next call from the queue, polling it for helperSpin
// before it blocks on it (waking a sleeping goroutine costs tens of
// microseconds on a virtual machine).
func (p *helperPool) receive() *call {
	if helperSpin == 0 {
		return <-p.tasks
	}
	start := time.Now()
	for i := 0; ; i++ {
		select {
		case c := <-p.tasks:
			return c
		default:
		}
		if i&63 == 63 && time.Since(start) > helperSpin {
			return <-p.tasks
		}
		runtime.Gosched()
	}
}

// offer queues c for a helper, unless as many messages are already
// waiting as there are helpers: they are asleep or busy, and the caller
// will do the chunks itself. The bound keeps the number of calls alive,
// and so allocations, finite, and a call never waits for a helper busy
// elsewhere. It reports whether c was queued; the caller counts the
// message in c.refs before, since a helper may release c at once.
func (p *helperPool) offer(c *call) bool {
	if p.queued.Add(1) > p.helpers.Load() {
		p.queued.Add(-1)
		return false
	}
	p.tasks <- c
	return true
}

// newCall takes a call off the free list for job: n pieces in chunks
// chunks, held by refs (the caller and the messages counted so far).
func newCall(job Job, n, chunks int, refs int32) *call {
	c := callFree.get()
	c.job, c.n, c.chunks = job, n, chunks
	c.next.Store(0)
	c.left.Store(int64(chunks))
	c.pending.Add(chunks)
	c.refs.Store(refs)
	return c
}

// finish does the caller's part of c: chunks until none is left to claim,
// a wait for the others, and the release of c; then a panic of a chunk
// (what names them) is raised again, in the caller, where a recover can
// catch it. Every chunk has ended by then: no helper still writes.
func (c *call) finish(what string) {
	c.work()
	c.wait()
	p := c.panicked.Swap(nil)
	c.release()
	if p != nil {
		panic(fmt.Sprintf("%v\n[%s panicked; its goroutine's stack:]\n%s", p.value, what, p.stack))
	}
}
