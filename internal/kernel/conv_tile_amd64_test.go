//go:build amd64 && !purego

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvTileWhole holds the direct tile's loops for all 32 channels,
// which load B's rows whole, to its masked loops, which a tile of 31
// channels takes: each channel's sum is its own, so the first 31 must
// agree bit for bit, for every row count, depths with and without a
// remainder after the unrolled steps, and one or three window rows.
func TestConvTileWhole(t *testing.T) {
	if !thisCPU.avx512 {
		t.Skip("no AVX-512 here")
	}
	r := rand.New(rand.NewPCG(45, 46))
	const ldb, ldc = 32 + 3, 32 + 1
	for rows := 1; rows <= 14; rows++ {
		for _, k1 := range []int{1, 4, 7, 96} {
			for _, kh := range []int{1, 3} {
				name := fmt.Sprintf("rows=%d/k1=%d/kh=%d", rows, k1, kh)
				rsa, ars := k1+2, (k1+2)*rows+5
				a := randSlice(r, (kh-1)*ars+rows*rsa+k1)
				b := randSlice(r, kh*k1*ldb)
				scale, shift := randSlice(r, 32), randSlice(r, 32)
				whole, masked := make([]float32, rows*ldc), make([]float32, rows*ldc)
				convTileAVX512x32(k1, kh, &a[0], rsa, ars, &b[0], ldb, &whole[0], ldc, &scale[0], &shift[0], convScale, rows, ^uint32(0))
				convTileAVX512x32(k1, kh, &a[0], rsa, ars, &b[0], ldb, &masked[0], ldc, &scale[0], &shift[0], convScale, rows, 1<<31-1)
				for i := 0; i < rows; i++ {
					for j := 0; j < 31; j++ {
						if math.Float32bits(whole[i*ldc+j]) != math.Float32bits(masked[i*ldc+j]) {
							t.Fatalf("%s: c[%d,%d] = %g with every channel, %g with 31", name, i, j, whole[i*ldc+j], masked[i*ldc+j])
						}
					}
					if masked[i*ldc+31] != 0 {
						t.Fatalf("%s: the 31-channel tile wrote channel 31", name)
					}
				}
			}
		}
	}
}
