package kernel

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Job is a piece of parallel work: Run does pieces [lo, hi) of it.
// Run must be safe to call concurrently on disjoint ranges.
type Job interface{ Run(lo, hi int) }

// call is one Parallel invocation. Chunks are claimed from next by whoever
// gets there first, the calling goroutine included: a helper that is slow to
// wake (tens of microseconds on a busy or virtualised machine, as long as a
// whole small Gemm) then costs nothing, as the caller runs its chunk itself.
// Chunk boundaries do not depend on who runs them, so results do not either.
//
// A call is recycled through a free list, so dispatch allocates nothing. It
// is reference-counted because a helper may receive it after the caller has
// returned; the last holder puts it back.
type call struct {
	job       Job
	n, chunks int
	next      atomic.Int64
	left      atomic.Int64   // chunks not yet finished, for the caller's spin
	pending   sync.WaitGroup // the same, for its blocking wait
	refs      atomic.Int32
	panicked  atomic.Pointer[workerPanic] // the first chunk that panicked
}

// workerPanic is a panic caught in a chunk, to be raised again in the
// caller's goroutine: a panic left in a helper goroutine would end the
// process, where no recover of the caller can reach it.
type workerPanic struct {
	value any
	stack []byte
}

func (c *call) work() {
	for {
		i := int(c.next.Add(1) - 1)
		if i >= c.chunks {
			return
		}
		c.run(i)
		c.left.Add(-1)
		c.pending.Done()
	}
}

// run does chunk i, keeping a panic for the caller.
func (c *call) run(i int) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked.CompareAndSwap(nil, &workerPanic{value: r, stack: debug.Stack()})
		}
	}()
	c.job.Run(i*c.n/c.chunks, (i+1)*c.n/c.chunks)
}

// Waking a sleeping goroutine takes tens to hundreds of microseconds on a
// virtual machine whose idle cores are halted (measured 40–140 µs here),
// as long as a whole convolution pass of a small network; a training step
// makes dozens of Parallel calls, a few hundred microseconds apart. So, as
// OpenMP runtimes do, both sides spin before they sleep: a helper polls for
// the next call for helperSpin after finishing one, and the caller polls for
// its helpers' chunks for callerSpin. Each poll yields the processor
// (runtime.Gosched), so spinning never keeps runnable goroutines waiting.
// GORAS_WAIT_POLICY=passive turns spinning off, for processes that share
// their cores with other work (OMP_WAIT_POLICY's name and values).
var helperSpin, callerSpin = spinTimes(os.Getenv("GORAS_WAIT_POLICY"), os.Stderr)

// spinTimes returns the spins for a wait policy: "active" (the default)
// or "passive" (none); anything else is reported on warn and taken as
// active.
func spinTimes(policy string, warn io.Writer) (helper, caller time.Duration) {
	switch strings.ToLower(strings.TrimSpace(policy)) {
	case "passive":
		return 0, 0
	case "", "active":
	default:
		fmt.Fprintf(warn, "goras: GORAS_WAIT_POLICY=%q is neither active nor passive; using active\n", policy)
	}
	return 2 * time.Millisecond, 20 * time.Millisecond
}

// wait returns when every chunk of c is done.
func (c *call) wait() {
	if callerSpin == 0 {
		c.pending.Wait()
		return
	}
	start := time.Now()
	for i := 0; c.left.Load() > 0; i++ {
		if i&63 == 63 && time.Since(start) > callerSpin {
			c.pending.Wait()
			return
		}
		runtime.Gosched()
	}
}

func (c *call) release() {
	if c.refs.Add(-1) == 0 {
		c.job = nil
		callFree.put(c)
	}
}

var pool struct {
	once    sync.Once
	workers atomic.Int32 // chunks a Parallel call may use, the caller included
	fixed   atomic.Bool  // set by SetWorkers(n > 0): workers no longer follows GOMAXPROCS
	helperPool
	mu sync.Mutex // held while helpers start and workers changes
}

// callFree holds the calls not in use.
var callFree freeList[call]

func poolInit() {
	pool.once.Do(func() {
		// Buffered so that dispatch never waits for a helper. Parallel queues
		// at most one message per helper (see queued), far below the buffer.
		pool.tasks = make(chan *call, 1024)
		if pool.workers.Load() == 0 {
			pool.workers.Store(int32(runtime.GOMAXPROCS(0)))
		}
		ensureHelpers(int(pool.workers.Load()))
	})
}

// ensureHelpers starts goroutines until w-1 helpers run (the calling
// goroutine is the w-th worker). Helpers are never stopped: lowering the
// worker count only makes Parallel use fewer of them.
//
// Each helper adds two calls to the free list, enough for the call it runs
// and one queued for it, so steady-state Parallel never allocates.
func ensureHelpers(w int) {
	pool.mu.Lock()
	ensureHelpersLocked(w)
	pool.mu.Unlock()
}

// ensureHelpersLocked is ensureHelpers with pool.mu held.
func ensureHelpersLocked(w int) {
	for int(pool.helpers.Load()) < w-1 {
		pool.start()
	}
}

// Workers returns the number of chunks Parallel may split work into: the
// size of the process-wide pool, the calling goroutine included. Unless
// SetWorkers fixed it, it follows runtime.GOMAXPROCS, read on every call
// (so that `go test -cpu 1,2` and a program that changes GOMAXPROCS get
// what they asked for).
func Workers() int {
	poolInit()
	if pool.fixed.Load() {
		return int(pool.workers.Load())
	}
	n := runtime.GOMAXPROCS(0)
	if int32(n) != pool.workers.Load() {
		// Under the lock, so that a SetWorkers in between is not undone.
		pool.mu.Lock()
		if !pool.fixed.Load() {
			ensureHelpersLocked(n)
			pool.workers.Store(int32(n))
		}
		n = int(pool.workers.Load())
		pool.mu.Unlock()
	}
	return n
}

// SetWorkers sets the pool size; n ≤ 0 means following
// runtime.GOMAXPROCS(0), the default. Tests use it to compare 1 worker with
// N; results of every kernel are independent of it.
func SetWorkers(n int) {
	poolInit()
	pool.mu.Lock()
	defer pool.mu.Unlock()
	pool.fixed.Store(n > 0)
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	ensureHelpersLocked(n)
	pool.workers.Store(int32(n))
}

// Parallel splits [0, n) into at most Workers() contiguous chunks of at least
// grain pieces each (grain < 1 counts as 1), runs job.Run on every chunk and
// returns when all are done. With a single chunk it runs inline on the
// calling goroutine, so small work costs no synchronization. Chunk i is
// always [i*n/chunks, (i+1)*n/chunks), whichever goroutine runs it. It must
// not be called from inside a Job.
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
	c := newCall(job, n, chunks, int32(chunks)) // the caller and chunks-1 messages
	// A message per helper wanted, those pool.offer turns down uncounted.
	for i := 1; i < chunks; i++ {
		if !pool.offer(c) {
			c.refs.Add(-1)
		}
	}
	c.finish("a chunk of kernel.Parallel")
}
