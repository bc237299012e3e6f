package kernel

import "sync"

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
	c := newCall(job, n, n, 1) // the caller; each message adds one
	for i := 1; i < min(n, w); i++ {
		c.refs.Add(1)
		if !forkPool.offer(c) {
			c.refs.Add(-1)
			break
		}
	}
	c.finish("a task of kernel.Fork")
}

// forkPool is Fork's helpers, apart from Parallel's so that a task's own
// Parallel calls find those free. Its calls come from the same free list.
var forkPool struct {
	mu sync.Mutex
	helperPool
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
		forkPool.start()
	}
}
