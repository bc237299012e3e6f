package kernel

import (
	"math"
	"testing"
)

// FirstNonFinite against math.IsNaN/IsInf at every position and length,
// with the largest finite values and denormals, which must pass.
func TestFirstNonFinite(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.Float32frombits(0x7fc00001), math.Float32frombits(0xff800001)}
	good := []float32{0, -0.0, 1, -1, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40}
	for n := 0; n < 140; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = good[i%len(good)]
		}
		if got := FirstNonFinite(x); got != -1 {
			t.Fatalf("n=%d finite values: got %d, want -1", n, got)
		}
		for at := 0; at < n; at++ {
			for _, b := range bad {
				x[at] = b
				if n > at+3 {
					x[at+3] = b // a later one must not be reported first
				}
				if got := FirstNonFinite(x); got != at {
					t.Fatalf("n=%d, %g at %d: got %d", n, b, at, got)
				}
				if got := firstNonFiniteGeneric(x, 0); got != at {
					t.Fatalf("generic: n=%d, %g at %d: got %d", n, b, at, got)
				}
				x[at] = good[at%len(good)]
				if n > at+3 {
					x[at+3] = good[(at+3)%len(good)]
				}
			}
		}
	}
}

func BenchmarkFirstNonFinite(b *testing.B) {
	x := make([]float32, 100*784) // a batch of 100 MNIST digits
	b.SetBytes(int64(4 * len(x)))
	b.Run("simd", func(b *testing.B) {
		for b.Loop() {
			FirstNonFinite(x)
		}
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			firstNonFiniteGeneric(x, 0)
		}
	})
}
