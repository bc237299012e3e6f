package kernel

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkGemmPeak times the 512³ product on 1 and 2 workers against the
// FMA peak of as many cores, the two measured alternately (one FMAPeak-like
// run of 1.4 M FMAs per core, then one product) so that both see the same
// clock. Each iteration is one such pair; run it with -benchtime 40x or so.
// It reports the product's best and median GFLOP/s, the peak's best,
// best/best as %peak, and the median of each pair's ratio as
// %peak-median. On one worker both are timed in the thread's CPU time where
// the OS gives it (Linux), which leaves out the time other jobs held the
// core. On two the peak is FMAPeak's (per-thread CPU time, summed) and the
// product is timed on the wall clock, which counts every moment another
// job held either core against the product: on a shared machine the
// median understates it, the best much less. So on two it also times the
// peak as the product runs: the FMA loop on the pool's workers through
// Parallel, as much of it per worker as the product has, on the wall
// clock (peak-wall-GFLOP/s; the best product over its best, %peak-wall;
// the median of each pair's product over it, %peak-wall-median): both
// then pay the same wake-ups and the same moments a core is taken away.
// Last, it runs FMAPeak once and reports it
// with the best product over it (%FMAPeak). internal/kernel/BENCH.md
// quotes its results.
func BenchmarkGemmPeak(b *testing.B) {
	if len(fmaLoops) == 0 {
		b.Skip("no FMA loop on this CPU or build")
	}
	for _, cores := range []int{1, 2} {
		b.Run(fmt.Sprintf("%s/512x512x512/cores=%d", active.name, cores), func(b *testing.B) {
			SetWorkers(cores)
			defer SetWorkers(0)
			benchPeakPairs(b, active, cores, 512, 512, 512)
		})
	}
}

// benchPeakPairs runs the alternating measurement of BenchmarkGemmPeak for
// one implementation and shape.
func benchPeakPairs(b *testing.B, kern *microKernel, cores, m, n, k int) {
	r := rand.New(rand.NewPCG(7, 8))
	a, bb, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
	gemmWith(kern, false, false, m, n, k, 1, a, k, bb, n, 0, c, n) // warm: workspaces, pool
	clock := wallClock
	if cores == 1 {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if _, ok := threadCPUTime(); ok {
			clock = func() time.Duration { d, _ := threadCPUTime(); return d }
		}
	}
	l := fmaLoops[0]
	const iters = 50000
	flops := 2 * float64(m) * float64(n) * float64(k)
	wallJob := fmaJob{l, int(flops / float64(cores) / l.flops)} // the product's FLOPs per worker
	var peaks, rates, ratios, wallPeaks, wallRatios []float64
	for b.Loop() {
		var p float64
		if cores == 1 {
			t0 := clock()
			l.loop(iters)
			p = l.gflops(1, iters, clock()-t0)
		} else {
			// The pool's peak first: the product still follows
			// FMAPeak's run, as in the rounds before it existed.
			t0 := clock()
			Parallel(cores, 1, wallJob)
			wallPeaks = append(wallPeaks, l.gflops(cores, wallJob.iters, clock()-t0))
			p = l.rate(cores, iters)
		}
		t0 := clock()
		gemmWith(kern, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
		g := flops / (clock() - t0).Seconds() / 1e9
		peaks, rates, ratios = append(peaks, p), append(rates, g), append(ratios, g/p)
	}
	if cores > 1 {
		for i, wp := range wallPeaks {
			wallRatios = append(wallRatios, rates[i]/wp)
		}
		slices.Sort(wallPeaks)
		slices.Sort(wallRatios)
		b.ReportMetric(wallPeaks[len(wallPeaks)-1], "peak-wall-GFLOP/s")
		b.ReportMetric(100*slices.Max(rates)/wallPeaks[len(wallPeaks)-1], "%peak-wall")
		b.ReportMetric(100*wallRatios[len(wallRatios)/2], "%peak-wall-median")
	}
	slices.Sort(peaks)
	slices.Sort(rates)
	slices.Sort(ratios)
	best := rates[len(rates)-1]
	// FMAPeak itself, after the pairs so as not to disturb them: its
	// loops run for 20 ms on fresh threads, which need not be the cores or
	// the clock the product had (BENCH.md, round 12).
	fp := FMAPeak(cores)
	b.ReportMetric(fp, "FMAPeak-GFLOP/s")
	b.ReportMetric(100*best/fp, "%FMAPeak")
	b.ReportMetric(best, "GFLOP/s")
	b.ReportMetric(rates[len(rates)/2], "GFLOP/s-median")
	b.ReportMetric(peaks[len(peaks)-1], "peak-GFLOP/s")
	b.ReportMetric(100*best/peaks[len(peaks)-1], "%peak")
	b.ReportMetric(100*ratios[len(ratios)/2], "%peak-median")
}

// fmaJob runs the FMA loop iters times on each chunk of a Parallel call:
// the peak measured through the pool, as a product is run.
type fmaJob struct {
	l     fmaLoop
	iters int
}

func (j fmaJob) Run(lo, hi int) {
	for range hi - lo {
		j.l.loop(j.iters)
	}
}

var wallStart = time.Now()

func wallClock() time.Duration { return time.Since(wallStart) }

// BenchmarkGemmBlocking times 512³ on one worker under the blocking of the
// active implementation with kc and mc varied (the tile and nc kept), the
// variants interleaved round by round so that all see the same load; it
// logs each one's best and median GFLOP/s in the thread's CPU time. It is
// how the kc and mc of this CPU's kind were chosen (BENCH.md); run it with
// -benchtime 40x -v.
func BenchmarkGemmBlocking(b *testing.B) {
	SetWorkers(1)
	defer SetWorkers(0)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	clock := wallClock
	if _, ok := threadCPUTime(); ok {
		clock = func() time.Duration { d, _ := threadCPUTime(); return d }
	}
	var variants []microKernel
	for _, kc := range []int{128, 256, 384, 512} {
		for _, mc := range []int{active.mr * 6, active.mr * 12, active.mr * 24} {
			v := *active
			v.kc, v.mc = kc, mc
			variants = append(variants, v)
		}
	}
	const m, n, k = 512, 512, 512
	r := rand.New(rand.NewPCG(7, 8))
	a, bb, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
	rates := make([][]float64, len(variants))
	for b.Loop() {
		for i := range variants {
			gemmWith(&variants[i], false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			t0 := clock()
			gemmWith(&variants[i], false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			rates[i] = append(rates[i], 2*m*n*k/(clock()-t0).Seconds()/1e9)
		}
	}
	for i, v := range variants {
		s := rates[i]
		slices.Sort(s)
		b.Logf("%s kc %3d mc %3d: best %6.1f median %6.1f GFLOP/s", v.name, v.kc, v.mc, s[len(s)-1], s[len(s)/2])
	}
}
