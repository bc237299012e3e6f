package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestColumnSumsVec holds columnSums with its assembly loop against the
// AddTo loop bit for bit: accumulators of 3 to 64 vectors (one to eight
// at a time, and several passes), a remainder or none, ±0s, infinities,
// and NaNs of two payloads on the same lane of two blocks (the sum keeps
// the accumulator's, as addVec does).
func TestColumnSumsVec(t *testing.T) {
	defer func() { colSumsVecOff = false }()
	for _, f := range []int{1, 3, 5, 6, 7, 10, 16, 17, 32, 64} {
		for _, rows := range []int{1, 16, 17, 90, 896} {
			t.Run(fmt.Sprintf("f=%d/rows=%d", f, rows), func(t *testing.T) {
				r := rand.New(rand.NewPCG(uint64(f), uint64(rows)))
				src := randSlice(r, rows*f)
				for i := range src {
					switch r.IntN(16) {
					case 0:
						src[i] = float32(math.Copysign(0, -1))
					case 1:
						src[i] = float32(math.Inf(1 - 2*r.IntN(2)))
					}
				}
				l := convBiasReps * f
				if len(src) > 2*l {
					src[3] = math.Float32frombits(0x7fc00001)
					src[l+3] = math.Float32frombits(0xffc00002)
				}
				base := randSlice(r, f)
				var got, want []float32
				for _, off := range []bool{true, false} {
					colSumsVecOff = off
					dst := append([]float32(nil), base...)
					columnSums(dst, src, rows, f, make([]float32, l))
					if off {
						want = dst
					} else {
						got = dst
					}
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("dst[%d] = %v (bits %#x), want %v (bits %#x) as by AddTo",
							i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			})
		}
	}
}
