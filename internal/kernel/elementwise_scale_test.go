package kernel

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestScaleUint8Rows gathers rows in shuffled order, repeats included, at
// row lengths around the vector widths and the prefetch threshold, in both
// implementations, against float32(v)/div element by element.
func TestScaleUint8Rows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 10, 63, 64, 65, 784} {
		const count = 37
		src := make([]uint8, count*n)
		for i := range src {
			src[i] = uint8(r.IntN(256))
		}
		for _, batch := range []int{0, 1, 3, 4, 5, 20} {
			rows := make([]int, batch)
			for i := range rows {
				rows[i] = r.IntN(count)
			}
			for _, simd := range elementwiseImpls() {
				dst := make([]float32, batch*n)
				withSIMD(simd, func() { ScaleUint8Rows(dst, src, n, rows, 255) })
				for i, row := range rows {
					for j := 0; j < n; j++ {
						if got, want := dst[i*n+j], float32(src[row*n+j])/255; got != want {
							t.Fatalf("%s, n %d, batch %d: dst[%d][%d] (row %d) = %v, want %v", implName(simd), n, batch, i, j, row, got, want)
						}
					}
				}
			}
		}
	}
}

// TestScaleUint8RowsBadCalls: a row outside the source or a destination of
// the wrong length panics with what was wrong, before anything is written.
func TestScaleUint8RowsBadCalls(t *testing.T) {
	src := make([]uint8, 3*4)
	for _, c := range []struct {
		name string
		dst  []float32
		rows []int
		want string
	}{
		{"row past the end", make([]float32, 8), []int{0, 3}, "row 3 of 4 bytes is outside a source of 12"},
		{"negative row", make([]float32, 4), []int{-1}, "row -1"},
		{"short destination", make([]float32, 7), []int{0, 1}, "2 rows of 4 into 7 values"},
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) {
					t.Errorf("%s: panic %q, want it to say %q", c.name, msg, c.want)
				}
			}()
			c.dst[0] = 7
			ScaleUint8Rows(c.dst, src, 4, c.rows, 255)
			t.Errorf("%s: no panic", c.name)
		}()
		if c.dst[0] != 7 {
			t.Errorf("%s: wrote before panicking", c.name)
		}
	}
}

// BenchmarkScaleUint8Rows gathers batches of 100 random rows of 784 bytes
// (MNIST images) from a 47 MB set, larger than the caches: ScaleUint8Rows
// against ScaleUint8 called row by row, which waits for each row's first
// cache misses in turn.
func BenchmarkScaleUint8Rows(b *testing.B) {
	const count, n, batch = 60000, 784, 100
	src := make([]uint8, count*n)
	for i := range src {
		src[i] = uint8(i * 13)
	}
	perm := rand.New(rand.NewPCG(1, 2)).Perm(count)
	dst := make([]float32, batch*n)
	for _, bc := range []struct {
		name string
		f    func(rows []int)
	}{
		{"rows", func(rows []int) { ScaleUint8Rows(dst, src, n, rows, 255) }},
		{"row-by-row", func(rows []int) {
			for i, r := range rows {
				ScaleUint8(dst[i*n:(i+1)*n], src[r*n:(r+1)*n], 255)
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(batch * n)
			at := 0
			for b.Loop() {
				bc.f(perm[at : at+batch])
				at = (at + batch) % (count - batch)
			}
		})
	}
}
