package mnist

import (
	"math/rand/v2"
	"testing"
)

// TestGatherScalesRowsInOrder: Gather writes the asked images in the asked
// order (repeats, the last image, any order), each pixel v as v/255
// correctly rounded to float32 (float64's quotient rounded once more is
// exact for these: 53 ≥ 2·24 + 2 bits).
func TestGatherScalesRowsInOrder(t *testing.T) {
	const n, rows, cols = 300, 28, 28
	im := &Images{N: n, Rows: rows, Cols: cols, Pixels: make([]uint8, n*rows*cols)}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range im.Pixels {
		im.Pixels[i] = uint8(rng.IntN(256))
	}
	batch := []int{n - 1, 0, 17, 17, 150, 3, n - 1}
	for range 100 {
		batch = append(batch, rng.IntN(n))
	}
	sz := rows * cols
	dst := make([]float32, len(batch)*sz)
	im.Gather(dst, batch)
	for i, r := range batch {
		for j := range sz {
			want := float32(float64(im.Pixels[r*sz+j]) / 255)
			if got := dst[i*sz+j]; got != want {
				t.Fatalf("row %d (image %d), pixel %d: %v, want %v", i, r, j, got, want)
			}
		}
	}
}
