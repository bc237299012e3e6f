package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemmTile times the largest tile of the active implementation
// alone on packed panels that stay in L1 (or L2 for the deepest), to
// separate the tile's own rate from the blocking's.
func BenchmarkGemmTile(b *testing.B) {
	kern := active
	r := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{64, 128, 192, 256, 384, 512} {
		b.Run(fmt.Sprintf("%s/k=%d", kern.name, k), func(b *testing.B) {
			a, bp, c := randSlice(r, kern.mr*k), randSlice(r, kern.nr*k), randSlice(r, kern.mr*kern.nr)
			for b.Loop() {
				kern.tile(k, a, 1, kern.mr, bp, kern.nr, c, kern.nr, 1, 0, kern.mr, kern.nr)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
