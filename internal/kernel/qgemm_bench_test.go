package kernel

import (
	"fmt"
	"testing"
)

// BenchmarkQGemm measures the int8 GEMM beside the float32 Gemm on the
// shapes of the quantized networks (one image's convolution, a chunk of
// images' Dense, LeNet-5's smaller ones where AMX's set-up weighs), one
// worker. GOP/s counts a multiply-add as two. A shape with taps reads its
// depth as a convolution does: taps runs of k/taps bytes, rows of A apart
// (LeNet-5's second convolution: five kernel rows of 5 pixels × 6
// channels, over one image's 10×10 outputs).
//
//	go test -run XXX -bench QGemm ./internal/kernel/
func BenchmarkQGemm(b *testing.B) {
	for _, s := range []struct{ m, k, n, taps int }{{224, 576, 64, 1}, {896, 25, 6, 1}, {32, 3136, 256, 1}, {32, 400, 120, 1}, {32, 120, 84, 1}, {32, 84, 10, 1}, {100, 150, 16, 5}} {
		run := s.k / s.taps
		offs := make([]int, s.taps)
		for t := range offs {
			offs[t] = t * run
		}
		lda := s.k
		a := make([]uint8, s.m*lda+s.k+4)
		w := make([]int8, s.k*s.n)
		for i := range a {
			a[i] = uint8(i * 7)
		}
		for i := range w {
			w[i] = int8(i * 13)
		}
		q := NewQMatrix(w, s.taps, run, s.n)
		cols := (s.n + 15) / 16 * 16
		scale, offset := make([]float32, cols), make([]float32, cols)
		dst := make([]uint8, s.m*s.n)
		ops := 2 * float64(s.m*s.k*s.n)
		name := fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n)
		if s.taps > 1 {
			name += fmt.Sprintf("_taps%d", s.taps)
		}
		for _, im := range qImpls() {
			b.Run(fmt.Sprintf("%s/%s", name, im), func(b *testing.B) {
				im.use()
				defer qDefault()
				for b.Loop() {
					QGemmU8(dst, s.n, a, lda, offs, q, s.m, scale, offset, 0)
				}
				b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
		}
		fa, fb, fc := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
		b.Run(name+"/float32", func(b *testing.B) {
			SetWorkers(1)
			defer SetWorkers(0)
			for b.Loop() {
				Gemm(false, false, s.m, s.n, s.k, 1, fa, s.k, fb, s.n, 0, fc, s.n)
			}
			b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
	}
}
