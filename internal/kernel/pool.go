package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Job is a piece of parallel work: Run does pieces [lo, hi) of it.
// Run must be safe to call concurrently on disjoint ranges.
type Job interface{ Run(lo, hi int) }

// task is sent by value over the pool's channel so that dispatch allocates
// nothing; done points at a WaitGroup recycled through wgFree.
type task struct {
	job    Job
	lo, hi int
	done   *sync.WaitGroup
}

var pool struct {
	once    sync.Once
	workers atomic.Int32 // chunks a Parallel call may use, the caller included
	mu      sync.Mutex
	started int // helper goroutines running; only ever grows
	tasks   chan task
	wgMu    sync.Mutex
	wgFree  []*sync.WaitGroup
}

func poolInit() {
	pool.once.Do(func() {
		// The channel is buffered so that dispatch rarely blocks; its size
		// bounds nothing else.
		pool.tasks = make(chan task, 64)
		if pool.workers.Load() == 0 {
			pool.workers.Store(int32(runtime.GOMAXPROCS(0)))
		}
		ensureHelpers(int(pool.workers.Load()))
	})
}

// ensureHelpers starts goroutines until w-1 helpers run (the calling
// goroutine is the w-th worker). Helpers are never stopped: lowering the
// worker count only makes Parallel use fewer of them.
func ensureHelpers(w int) {
	pool.mu.Lock()
	for pool.started < w-1 {
		pool.started++
		go helper()
	}
	pool.mu.Unlock()
}

func helper() {
	for t := range pool.tasks {
		t.job.Run(t.lo, t.hi)
		t.done.Done()
	}
}

// Workers returns the number of chunks Parallel may split work into: the
// size of the process-wide pool, the calling goroutine included.
func Workers() int {
	poolInit()
	return int(pool.workers.Load())
}

// SetWorkers sets the pool size; n ≤ 0 means runtime.GOMAXPROCS(0).
// Tests use it to compare 1 worker with N; results of every kernel are
// independent of it.
func SetWorkers(n int) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	poolInit()
	ensureHelpers(n)
	pool.workers.Store(int32(n))
}

// Parallel splits [0, n) into at most Workers() contiguous chunks of at least
// grain pieces each (grain < 1 counts as 1), runs job.Run on every chunk and
// returns when all are done. With a single chunk it runs inline on the
// calling goroutine, so small work costs no synchronization. It must not be
// called from inside a Job.
func Parallel(n, grain int, job Job) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := min(Workers(), n/grain)
	if chunks <= 1 {
		job.Run(0, n)
		return
	}
	wg := getWG()
	wg.Add(chunks - 1)
	for i := 1; i < chunks; i++ {
		pool.tasks <- task{job: job, lo: i * n / chunks, hi: (i + 1) * n / chunks, done: wg}
	}
	job.Run(0, n/chunks)
	wg.Wait()
	putWG(wg)
}

// A free list rather than sync.Pool: sync.Pool drops its items at every GC,
// which would make a steady-state training step allocate now and then.
func getWG() *sync.WaitGroup {
	pool.wgMu.Lock()
	defer pool.wgMu.Unlock()
	if n := len(pool.wgFree); n > 0 {
		wg := pool.wgFree[n-1]
		pool.wgFree = pool.wgFree[:n-1]
		return wg
	}
	return new(sync.WaitGroup)
}

func putWG(wg *sync.WaitGroup) {
	pool.wgMu.Lock()
	pool.wgFree = append(pool.wgFree, wg)
	pool.wgMu.Unlock()
}
