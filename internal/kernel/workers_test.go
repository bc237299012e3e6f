package kernel

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countJob records which pieces ran, for TestParallel.
type countJob struct{ hits []int32 }

func (j *countJob) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		j.hits[i]++
	}
}

func TestParallel(t *testing.T) {
	defer SetWorkers(0)
	for _, w := range []int{1, 2, 3, 8} {
		SetWorkers(w)
		if Workers() != w {
			t.Fatalf("Workers() = %d after SetWorkers(%d)", Workers(), w)
		}
		for _, n := range []int{0, 1, 5, 100, 1001} {
			for _, grain := range []int{0, 1, 7, 1000} {
				j := &countJob{hits: make([]int32, n)}
				Parallel(n, grain, j)
				for i, h := range j.hits {
					if h != 1 {
						t.Fatalf("workers=%d n=%d grain=%d: piece %d ran %d times", w, n, grain, i, h)
					}
				}
			}
		}
	}
	SetWorkers(2)
	j := &countJob{hits: make([]int32, 64)}
	if a := testing.AllocsPerRun(50, func() { Parallel(64, 1, j) }); a != 0 {
		t.Errorf("Parallel: %v allocs per call, want 0", a)
	}
}

// Without SetWorkers, the pool follows GOMAXPROCS as it changes.
func TestWorkersFollowGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer SetWorkers(0)
	SetWorkers(0)
	for _, p := range []int{1, 3, 2} {
		runtime.GOMAXPROCS(p)
		if got := Workers(); got != p {
			t.Errorf("GOMAXPROCS %d: Workers() = %d", p, got)
		}
	}
	SetWorkers(5)
	runtime.GOMAXPROCS(1)
	if got := Workers(); got != 5 {
		t.Errorf("after SetWorkers(5) and GOMAXPROCS 1: Workers() = %d, want 5", got)
	}
}

func TestSpinTimes(t *testing.T) {
	for _, c := range []struct {
		policy string
		spin   bool
		warn   string
	}{{"", true, ""}, {"active", true, ""}, {" PASSIVE ", false, ""}, {"passive", false, ""}, {"lazy", true, `GORAS_WAIT_POLICY="lazy"`}} {
		var w strings.Builder
		h, cl := spinTimes(c.policy, &w)
		if (h > 0 && cl > 0) != c.spin || (h == 0) != (cl == 0) {
			t.Errorf("spinTimes(%q) = %v, %v; want spinning %v on both sides", c.policy, h, cl, c.spin)
		}
		if got := w.String(); (c.warn == "") != (got == "") || !strings.Contains(got, c.warn) {
			t.Errorf("spinTimes(%q) warned %q, want a warning containing %q", c.policy, got, c.warn)
		}
	}
}

// slowJob's second piece outlasts the caller's spin (callerSpin); its first
// piece waits (up to 200 ms) for the second to start, so that when the
// caller takes the first piece and a helper the second, the caller must fall
// back to sleeping until the helper is done. (Parallel promises no helper:
// when none is free the caller runs both pieces, and that must work too.)
type slowJob struct {
	done     [2]atomic.Bool
	started  chan struct{}
	waitedOn atomic.Bool // the first piece saw the second start
}

func (j *slowJob) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		if i == 1 {
			close(j.started)
			time.Sleep(callerSpin + 10*time.Millisecond)
		} else {
			select {
			case <-j.started:
				j.waitedOn.Store(true)
			case <-time.After(200 * time.Millisecond):
			}
		}
		j.done[i].Store(true)
	}
}

func TestParallelWaitsForSlowChunks(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(2)
	sideBySide := 0
	for range 3 {
		j := &slowJob{started: make(chan struct{})}
		Parallel(2, 1, j)
		if !j.done[0].Load() || !j.done[1].Load() {
			t.Fatalf("Parallel returned before both pieces ran: %v %v", j.done[0].Load(), j.done[1].Load())
		}
		if j.waitedOn.Load() {
			sideBySide++
		}
	}
	t.Logf("%d of 3 calls ran the pieces side by side", sideBySide)
}

// wakeJob spins for iters steps per piece and records when piece 1 starts.
type wakeJob struct {
	iters  int
	sink   [2]float64
	start1 time.Time
}

func (j *wakeJob) Run(lo, hi int) {
	if lo <= 1 && 1 < hi {
		j.start1 = time.Now()
	}
	for i := lo; i < hi; i++ {
		s := 1.0
		for range j.iters {
			s = s*1.0000001 + 1e-9
		}
		j.sink[i] = s
	}
}

// BenchmarkParallelWake times Parallel over two pieces of three sizes on
// 2 workers and reports, as wake-µs, the median delay from the call to the
// start of piece 1 (which a helper runs when it arrives in time). Compare
// GORAS_WAIT_POLICY=passive (helpers sleep between calls) with the
// default.
func BenchmarkParallelWake(b *testing.B) {
	defer SetWorkers(0)
	SetWorkers(2)
	for _, iters := range []int{3000, 30000, 300000} {
		j := &wakeJob{iters: iters}
		b.Run(fmt.Sprint(iters), func(b *testing.B) {
			var delays []time.Duration
			for b.Loop() {
				t0 := time.Now()
				Parallel(2, 1, j)
				delays = append(delays, j.start1.Sub(t0))
			}
			slices.Sort(delays)
			b.ReportMetric(float64(delays[len(delays)/2].Nanoseconds())/1e3, "wake-µs")
		})
	}
}

// panicky panics in every chunk but the first, wherever it runs.
type panicky struct{ ran atomic.Int64 }

func (p *panicky) Run(lo, hi int) {
	p.ran.Add(1)
	if lo > 0 {
		panic(fmt.Sprintf("chunk at %d fails", lo))
	}
}

// A panic in a chunk, run by a helper goroutine or by the caller, comes
// back to Parallel's caller (where a recover can catch it) after every
// chunk has ended, and the pool goes on working.
func TestParallelPanicReachesTheCaller(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(4)
	for range 50 {
		p := &panicky{}
		msg := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			Parallel(4, 1, p)
			return "no panic"
		}()
		if !strings.Contains(msg, "fails") || !strings.Contains(msg, "kernel.Parallel panicked") {
			t.Fatalf("recovered %q, want the chunk's panic", msg)
		}
		if got := p.ran.Load(); got != 4 {
			t.Fatalf("%d chunks ran before Parallel returned, want all 4", got)
		}
	}
	var s sum
	Parallel(1000, 1, &s)
	if got := s.total.Load(); got != 1000 {
		t.Errorf("after the panics a Parallel call covered %d of 1000", got)
	}
}

type sum struct{ total atomic.Int64 }

func (s *sum) Run(lo, hi int) { s.total.Add(int64(hi - lo)) }
