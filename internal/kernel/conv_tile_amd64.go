//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./convtile -out ../conv_tile_amd64.s -stubs ../conv_tile_stub_amd64.go -pkg kernel"

// avx512Tile is convTileAVX512x32 (conv_tile_amd64.s): 14 pixels × 32
// channels, the GEMM tile's shape.
var avx512Tile = directTile{name: "avx512", mr: 14, nr: 32, fn: tileConvAVX512}

// tileConvAVX512 checks the operands' extents (the last value each row
// of the tile reads or writes; index panics) and runs the assembly.
func tileConvAVX512(k1, kh int, a []float32, rsa, ars int, b []float32, ldb int, c []float32, ldc int, scale, shift []float32, flags, rows, cols int) {
	_ = a[(rows-1)*rsa+(kh-1)*ars+k1-1]
	_ = b[(kh*k1-1)*ldb+cols-1]
	_ = c[(rows-1)*ldc+cols-1]
	sc, sh := epiloguePtrs(scale, shift, flags, cols)
	convTileAVX512x32(k1, kh, &a[0], rsa, ars, &b[0], ldb, &c[0], ldc, sc, sh, flags, rows, uint32(1)<<cols-1)
}

// epiloguePtrs checks and returns the per-channel operands of an
// assembly epilogue over n channels (convTileAVX512x32's,
// winoOutputAVX512's): scale where flags scale, shift where they scale or
// shift, nil where they do not, so that an unused slice may be empty.
func epiloguePtrs(scale, shift []float32, flags, n int) (sc, sh *float32) {
	if flags&convScale != 0 {
		_ = scale[n-1]
		sc = &scale[0]
	}
	if flags&(convScale|convShift) != 0 {
		_ = shift[n-1]
		sh = &shift[0]
	}
	return sc, sh
}

// defaultTile is the AVX-512 tile where the CPU has it; elsewhere on amd64
// none, so that ForwardAffine runs Forward's SIMD paths rather than the
// pure-Go tile.
func defaultTile() *directTile {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ {
		directTiles = append(directTiles, &avx512Tile)
		return &avx512Tile
	}
	return nil
}
