package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// bestLayers are the convolutions of the best recipe's network, whose
// inference onnxruntime is held against: (N,28,28,1) → 32 → pool →
// 64 → 64, all 3×3 "same".
func bestLayers(n int) []convCase {
	return []convCase{
		{n, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 1, 1},
		{n, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1, 1, 1},
		{n, 14, 14, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1},
	}
}

// BenchmarkConvInfer times an inference plan's convolution with a batch
// normalization folded in, at batch 1 and 8 of the best network's
// layers, on one worker and on all: "fold" as it was (the normalization's
// scale multiplied into the kernel, then Forward with the shift as bias),
// "direct" ForwardAffine's tile, "winograd" its Winograd path where the
// geometry takes it.
func BenchmarkConvInfer(b *testing.B) {
	defer SetWorkers(0)
	for _, workers := range []int{1, 0} {
		for _, n := range []int{1, 8} {
			for i, c := range bestLayers(n) {
				SetWorkers(workers)
				cv := NewConv2D(c.n, c.c, c.f, c.window())
				oh, ow := cv.OutShape()
				r := rand.New(rand.NewPCG(1, 1))
				x, w := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f)
				scale, shift, zero := randSlice(r, c.f), randSlice(r, c.f), make([]float32, c.f)
				folded := make([]float32, len(w))
				y := make([]float32, c.n*oh*ow*c.f)
				flops := 2 * float64(c.n*oh*ow*cv.k*c.f)
				wino := cv.wino
				for _, path := range []string{"fold", "direct", "winograd"} {
					if path == "winograd" && wino == nil {
						continue
					}
					b.Run(fmt.Sprintf("w%d/n%d/conv%d/%s", workers, n, i+1, path), func(b *testing.B) {
						cv.wino = nil
						if path == "winograd" {
							cv.wino = wino
						}
						for b.Loop() {
							if path == "fold" {
								ChannelAffine(folded, w, scale, zero, len(w)/c.f, c.f)
								cv.Forward(y, x, folded, shift, true)
							} else {
								cv.ForwardAffine(y, x, w, scale, shift, true)
							}
						}
						b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					})
				}
			}
		}
	}
}
