package kernel

import (
	"runtime"
	"slices"
	"testing"
)

// BenchmarkFMAAfterGemm shows why the peak a product is held against
// depends on where and when the FMA loop runs: on one thread, locked, in
// its CPU time, it times the FMA loop (FMAPeak's, 50,000 iterations, about
// 0.2 ms) right after a 512³ product, as BenchmarkGemmPeak's one-core
// pairs do, and in a run of FMA loops alone, as FMAPeak's 20 ms runs are;
// blocks of 20 of each, alternated, so that both see the same host. A CPU
// that lowers its clock under the product's load (caches and FMAs busy
// together draw more power than FMAs on registers) runs the loop slower
// after a product than in a run of its own. It reports the median and the
// best of each (after-gemm-GFLOP/s, fma-only-GFLOP/s) and the medians'
// ratio (%after-gemm-of-fma-only). Run it with -benchtime 10x (ten blocks
// of each kind); BENCH.md, round 12, quotes it.
func BenchmarkFMAAfterGemm(b *testing.B) {
	a, bb, c := timedOperands(b, 1)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l := fmaLoops[0]
	const iters, block = 50000, 20
	const m, n, k = 512, 512, 512
	timed := func() float64 {
		c0, _ := threadCPUTime()
		l.loop(iters)
		c1, _ := threadCPUTime()
		return l.gflops(1, iters, c1-c0)
	}
	var after, alone []float64
	for b.Loop() {
		for range block {
			gemmWith(active, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			after = append(after, timed())
		}
		l.loop(5 * iters) // a millisecond of FMAs before the block's first
		for range block {
			alone = append(alone, timed())
		}
	}
	ma, mo := median(after), median(alone)
	b.ReportMetric(ma, "after-gemm-GFLOP/s")
	b.ReportMetric(slices.Max(after), "after-gemm-best-GFLOP/s")
	b.ReportMetric(mo, "fma-only-GFLOP/s")
	b.ReportMetric(slices.Max(alone), "fma-only-best-GFLOP/s")
	b.ReportMetric(100*ma/mo, "%after-gemm-of-fma-only")
}
