package kernel

import (
	"fmt"
	"testing"
)

// BenchmarkQGemm measures the int8 GEMM beside the float32 Gemm on the
// shapes of the quantized networks (one image's convolution, a chunk of
// images' Dense, LeNet-5's smaller ones where AMX's set-up weighs), one
// worker. GOP/s counts a multiply-add as two.
//
//	go test -run XXX -bench QGemm ./internal/kernel/
func BenchmarkQGemm(b *testing.B) {
	for _, s := range []struct{ m, k, n int }{{224, 576, 64}, {896, 25, 6}, {32, 3136, 256}, {32, 400, 120}, {32, 120, 84}, {32, 84, 10}} {
		a := make([]uint8, s.m*s.k+4)
		w := make([]int8, s.k*s.n)
		for i := range a {
			a[i] = uint8(i * 7)
		}
		for i := range w {
			w[i] = int8(i * 13)
		}
		q := NewQMatrix(w, 1, s.k, s.n)
		cols := (s.n + 15) / 16 * 16
		scale, offset := make([]float32, cols), make([]float32, cols)
		dst := make([]uint8, s.m*s.n)
		ops := 2 * float64(s.m*s.k*s.n)
		for _, im := range qImpls() {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", s.m, s.k, s.n, im), func(b *testing.B) {
				im.use()
				defer qDefault()
				for b.Loop() {
					QGemmU8(dst, s.n, a, s.k, []int{0}, q, s.m, scale, offset, 0)
				}
				b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
			})
		}
		fa, fb, fc := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
		b.Run(fmt.Sprintf("%dx%dx%d/float32", s.m, s.k, s.n), func(b *testing.B) {
			SetWorkers(1)
			defer SetWorkers(0)
			for b.Loop() {
				Gemm(false, false, s.m, s.n, s.k, 1, fa, s.k, fb, s.n, 0, fc, s.n)
			}
			b.ReportMetric(ops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
		})
	}
}
