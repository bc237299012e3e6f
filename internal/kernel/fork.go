package kernel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Fork runs job.Run(i, i+1) for each of n coarse tasks (the shares of a
// batch, say, each running a whole plan forward) on up to Workers()
// goroutines, the caller's included, and returns when all are done.
// Unlike Parallel's chunks, its tasks may call Parallel themselves: they
// run on goroutines of their own pool (one fewer than Workers), so the
// workers' helpers stay free for the kernels the tasks call. Tasks are
// claimed as Parallel's chunks are: a helper slow to wake, or busy with
// another Fork, costs nothing, as the caller runs what nobody has claimed.
// A task that panics has its panic raised again in the caller once every
// task has ended. Fork allocates nothing; it must not be called from
// inside a Job of Parallel or another Fork.
func Fork(n int, job Job) {
	if n <= 0 {
		return
	}
	w := Workers()
	if n == 1 || w == 1 {
		for i := range n {
			job.Run(i, i+1)
		}
		return
	}
	ensureForkHelpers(w - 1)
	c := getCall()
	c.job, c.n, c.chunks = job, n, n
	c.next.Store(0)
	c.left.Store(int64(n))
	c.pending.Add(n)
	c.refs.Store(1) // the caller; each message adds one
	for i := 1; i < min(n, w); i++ {
		// As Parallel: no more messages waiting than helpers, so that a
		// call never waits for a helper busy elsewhere.
		if forkPool.queued.Add(1) > forkPool.helpers.Load() {
			forkPool.queued.Add(-1)
			break
		}
		c.refs.Add(1)
		forkPool.tasks <- c
	}
	c.work()
	c.wait()
	p := c.panicked.Swap(nil)
	c.release()
	if p != nil {
		panic(fmt.Sprintf("%v\n[a task of kernel.Fork panicked; its goroutine's stack:]\n%s", p.value, p.stack))
	}
}

// forkPool is Fork's helpers, apart from Parallel's so that a task's own
// Parallel calls find those free. Its calls come from the same free list.
var forkPool struct {
	mu      sync.Mutex
	tasks   chan *call
	queued  atomic.Int32 // messages sent and not yet received
	helpers atomic.Int32 // helper goroutines running; only ever grows
}

// ensureForkHelpers starts Fork's helpers until there are n, each with two
// calls on the free list, as ensureHelpers does for Parallel's.
func ensureForkHelpers(n int) {
	if int(forkPool.helpers.Load()) >= n {
		return
	}
	forkPool.mu.Lock()
	defer forkPool.mu.Unlock()
	if forkPool.tasks == nil {
		forkPool.tasks = make(chan *call, 1024)
	}
	for int(forkPool.helpers.Load()) < n {
		pool.mu.Lock()
		pool.free = append(pool.free, new(call), new(call))
		pool.mu.Unlock()
		forkPool.helpers.Add(1)
		go forkHelper()
	}
}

func forkHelper() {
	for {
		c := forkReceive()
		forkPool.queued.Add(-1)
		c.work()
		c.release()
	}
}

// forkReceive is receive for Fork's queue: it polls for helperSpin before
// it blocks, for the same reason (waking a sleeping goroutine costs tens of
// microseconds on a virtual machine).
func forkReceive() *call {
	if helperSpin == 0 {
		return <-forkPool.tasks
	}
	start := time.Now()
	for i := 0; ; i++ {
		select {
		case c := <-forkPool.tasks:
			return c
		default:
		}
		if i&63 == 63 && time.Since(start) > helperSpin {
			return <-forkPool.tasks
		}
		runtime.Gosched()
	}
}
