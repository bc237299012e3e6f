package kernel

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkGemmSplit shows what the 512³ product loses by being split
// between two workers, the question BenchmarkGemmPeak's two-core figures
// leave open (is the shortfall the product's or the host's?). Each
// iteration times the product on one worker, in the thread's CPU time, and
// then on two, on the wall clock, with each worker's part timed too: its
// CPU time, when it started and when it ended. It reports the medians of
//
//   - 1w-GFLOP/s and 2w-GFLOP/s: the product on one worker and on two;
//   - worker-GFLOP/s: the two workers' FLOPs over their summed CPU times,
//     the rate at which each computed while it ran;
//   - %of-2x1w: each pair's two-worker rate over twice its one-worker rate;
//   - %busy: the workers' summed CPU time over twice the wall time, the
//     share of the call in which both computed (the rest: the wake-up, the
//     wait for the later one, moments a core was taken away);
//   - start-lag-µs and end-wait-µs: how long after the call the later
//     worker started, and how long the first to finish waited for the
//     other.
//
// Run it with -benchtime 200x; internal/kernel/BENCH.md quotes it.
func BenchmarkGemmSplit(b *testing.B) {
	a, bb, c := timedOperands(b, 2)
	runtime.LockOSThread() // the one-worker product's clock, and the caller's chunk
	defer runtime.UnlockOSThread()
	const m, n, k = 512, 512, 512
	const flops = 2 * m * n * k
	product := func(parallel bool, times *[2]workerTimes) {
		j, units, par := newGemmJob(active, parallel, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
		if par != parallel || (par && j.claim == 0) {
			b.Fatalf("512³ on %v workers: parallel %v, claim %d; the benchmark follows gemmRun's split with blocks on demand", map[bool]int{false: 1, true: 2}[parallel], par, j.claim)
		}
		if par {
			Parallel(units, 1, timedJob{j, times})
		} else {
			j.Run(0, units)
		}
		jobFree.putZeroed(j)
	}
	var times [2]workerTimes
	product(true, &times) // warm: workspaces, the pool's helper
	var one, two, worker, ofOne, busy, lag, wait []float64
	for b.Loop() {
		c0, _ := threadCPUTime()
		product(false, nil)
		c1, _ := threadCPUTime()
		r1 := flops / (c1 - c0).Seconds() / 1e9

		w0 := time.Now()
		product(true, &times)
		wall := time.Since(w0)
		r2 := flops / wall.Seconds() / 1e9
		cpu := times[0].cpu + times[1].cpu
		one, two = append(one, r1), append(two, r2)
		worker = append(worker, flops/cpu.Seconds()/1e9)
		ofOne = append(ofOne, 100*r2/(2*r1))
		busy = append(busy, 100*cpu.Seconds()/(2*wall.Seconds()))
		first, last := times[0], times[1]
		if last.end.Before(first.end) {
			first, last = last, first
		}
		lag = append(lag, micros(max(times[0].start.Sub(w0), times[1].start.Sub(w0))))
		wait = append(wait, micros(last.end.Sub(first.end)))
	}
	for _, f := range []struct {
		v    []float64
		unit string
	}{
		{one, "1w-GFLOP/s"}, {two, "2w-GFLOP/s"}, {worker, "worker-GFLOP/s"},
		{ofOne, "%of-2x1w"}, {busy, "%busy"}, {lag, "start-lag-µs"}, {wait, "end-wait-µs"},
	} {
		b.ReportMetric(median(f.v), f.unit)
	}
}

// timedOperands skips a benchmark that needs the thread's CPU time and an
// FMA loop where they are missing, sets the pool to workers for the
// benchmark's length, and returns 512³'s operands: A, B and C.
func timedOperands(b *testing.B, workers int) (a, bb, c []float32) {
	if _, ok := threadCPUTime(); !ok || len(fmaLoops) == 0 {
		b.Skip("needs the thread's CPU time (Linux) and an AVX-512 or AVX2 CPU")
	}
	SetWorkers(workers)
	b.Cleanup(func() { SetWorkers(0) })
	r := rand.New(rand.NewPCG(7, 8))
	return randSlice(r, 512*512), randSlice(r, 512*512), randSlice(r, 512*512)
}

// workerTimes is one worker's part of a two-worker product.
type workerTimes struct {
	start, end time.Time
	cpu        time.Duration // the thread's CPU time over the part
}

// timedJob runs a gemmJob's chunk and keeps its times: chunk 0 (lo = 0,
// the caller's unless a helper claimed it first) in times[0], the other in
// times[1]. With blocks on demand each chunk computes whatever blocks its
// worker claims, so the pair covers the whole product.
type timedJob struct {
	job   *gemmJob
	times *[2]workerTimes
}

func (t timedJob) Run(lo, hi int) {
	w := 0
	if lo > 0 {
		w = 1
	}
	c0, _ := threadCPUTime()
	start := time.Now()
	t.job.Run(lo, hi)
	c1, _ := threadCPUTime()
	t.times[w] = workerTimes{start, time.Now(), c1 - c0}
}

func micros(d time.Duration) float64 { return d.Seconds() * 1e6 }

// median returns the median of v, sorting v.
func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}
