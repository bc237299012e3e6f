package kernel

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// forkJob's tasks each sum their share of xs with Parallel inside, which
// Parallel's own chunks may not do.
type forkJob struct {
	xs   [][]float32
	sums []float32
	ran  []atomic.Int32
	jobs [8]sum // each task's Parallel job, made with forkJob so that Fork's allocations show alone
}

func (j *forkJob) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		j.ran[i].Add(1)
		s := &j.jobs[i]
		s.total.Store(0)
		Parallel(len(j.xs[i]), 1, s)
		j.sums[i] = float32(s.total.Load())
	}
}

func TestFork(t *testing.T) {
	defer SetWorkers(0)
	for _, w := range []int{1, 2, 3} {
		SetWorkers(w)
		for _, n := range []int{0, 1, 2, 5} {
			j := &forkJob{xs: make([][]float32, n), sums: make([]float32, n), ran: make([]atomic.Int32, n)}
			for i := range j.xs {
				j.xs[i] = make([]float32, 100*(i+1))
			}
			Fork(n, j)
			for i := range n {
				if r := j.ran[i].Load(); r != 1 {
					t.Fatalf("workers=%d n=%d: task %d ran %d times", w, n, i, r)
				}
				if j.sums[i] != float32(100*(i+1)) {
					t.Fatalf("workers=%d n=%d: task %d's Parallel covered %v of %d", w, n, i, j.sums[i], 100*(i+1))
				}
			}
		}
	}
	SetWorkers(2)
	j := &forkJob{xs: [][]float32{make([]float32, 64), make([]float32, 64)}, sums: make([]float32, 2), ran: make([]atomic.Int32, 2)}
	if a := testing.AllocsPerRun(50, func() { Fork(2, j) }); a != 0 {
		t.Errorf("Fork: %v allocs per call, want 0", a)
	}
}

// Forks from several goroutines at once, more of them than helpers: each
// runs all its tasks once (the callers do what no helper takes).
func TestForkConcurrent(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(2)
	var wg sync.WaitGroup
	bad := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				j := &forkJob{xs: [][]float32{make([]float32, 10+g), make([]float32, 20), make([]float32, 30)}, sums: make([]float32, 3), ran: make([]atomic.Int32, 3)}
				Fork(3, j)
				for i := range 3 {
					if j.ran[i].Load() != 1 || int(j.sums[i]) != len(j.xs[i]) {
						bad <- fmt.Sprintf("goroutine %d: task %d ran %d times, summed %v of %d", g, i, j.ran[i].Load(), j.sums[i], len(j.xs[i]))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(bad)
	for b := range bad {
		t.Error(b)
	}
}

func TestForkPanicReachesTheCaller(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(2)
	for range 20 {
		p := &panicky{}
		msg := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			Fork(4, p)
			return "no panic"
		}()
		if !strings.Contains(msg, "fails") || !strings.Contains(msg, "kernel.Fork panicked") {
			t.Fatalf("recovered %q, want the task's panic", msg)
		}
		if got := p.ran.Load(); got != 4 {
			t.Fatalf("%d tasks ran before Fork returned, want all 4", got)
		}
	}
}
