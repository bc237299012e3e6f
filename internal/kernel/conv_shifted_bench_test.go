package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkShiftedDW times the shifted path's weight gradient of one
// sample (shiftedDW) with every GEMM implementation available here, on
// the bounty CNN's three 3×3 geometries (padded input WP×WP×ci, gradient
// of co channels), taking 128 samples in turn so that each starts cold,
// as in a training step. It is how the AVX2 tile's columns loop was
// measured on an AVX-512 machine (internal/kernel/BENCH.md, round 6).
func BenchmarkShiftedDW(b *testing.B) {
	const samples = 128
	r := rand.New(rand.NewPCG(9, 10))
	for _, g := range [][3]int{{30, 32, 32}, {16, 32, 64}, {16, 64, 64}} {
		wp, ci, co := g[0], g[1], g[2]
		oh, pix := wp-2, (wp-2)*wp-2
		src, dyg := randSlice(r, samples*wp*wp*ci), randSlice(r, samples*oh*wp*co)
		dw := make([]float32, 9*ci*co)
		for _, kern := range kernels {
			if kern == &genericKernel {
				continue
			}
			b.Run(fmt.Sprintf("%s/wp=%d,ci=%d,co=%d", kern.name, wp, ci, co), func(b *testing.B) {
				n := 0
				for b.Loop() {
					n = (n + 1) % samples
					shiftedDW(kern, dw, src[n*wp*wp*ci:], wp, ci, 3, 3, dyg[n*oh*wp*co:], pix, co)
				}
				b.ReportMetric(2*float64(pix*9*ci*co)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
