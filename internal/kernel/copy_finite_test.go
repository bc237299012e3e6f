package kernel

import (
	"math"
	"slices"
	"testing"
)

// CopyFinite against copy then FirstNonFinite, with NaN or ±Inf at and
// around the chunk boundaries and a second one after the first.
func TestCopyFinite(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, n := range []int{0, 1, 31, 32, 33, copyFiniteChunk - 1, copyFiniteChunk, copyFiniteChunk + 1, 3*copyFiniteChunk + 17} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i%97) - 48.5
		}
		for _, at := range []int{-1, 0, 5, copyFiniteChunk - 1, copyFiniteChunk, copyFiniteChunk + 1, 2*copyFiniteChunk + 3, n - 1} {
			if at >= n {
				continue
			}
			s := slices.Clone(src)
			if at >= 0 {
				s[at] = bad[at%len(bad)]
				if at+40 < n {
					s[at+40] = bad[(at+1)%len(bad)]
				}
			}
			dst := make([]float32, n)
			for i := range dst {
				dst[i] = 7
			}
			got := CopyFinite(dst, s)
			if got != at {
				t.Fatalf("n=%d, bad value at %d: CopyFinite says %d", n, at, got)
			}
			if want := FirstNonFinite(s); got != want {
				t.Fatalf("n=%d: CopyFinite says %d, FirstNonFinite %d", n, got, want)
			}
			for i := range s {
				if math.Float32bits(dst[i]) != math.Float32bits(s[i]) {
					t.Fatalf("n=%d, bad value at %d: dst[%d] = %v, src %v", n, at, i, dst[i], s[i])
				}
			}
		}
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("CopyFinite of unequal lengths did not panic")
		}
	}()
	CopyFinite(make([]float32, 3), make([]float32, 4))
}

func BenchmarkCopyFinite(b *testing.B) {
	src, dst := make([]float32, 784*1000), make([]float32, 784*1000)
	b.Run("fused", func(b *testing.B) {
		b.SetBytes(int64(4 * len(src)))
		for range b.N {
			CopyFinite(dst, src)
		}
	})
	b.Run("copy-then-check", func(b *testing.B) {
		b.SetBytes(int64(4 * len(src)))
		for range b.N {
			copy(dst, src)
			FirstNonFinite(dst)
		}
	})
}
