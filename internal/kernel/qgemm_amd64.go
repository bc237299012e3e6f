//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd _asm && go run ./int8 -out ../qgemm_amd64.s -stubs ../qgemm_stub_amd64.go -pkg kernel"

// qVec says the int8 GEMM tiles and the quantizer of qgemm_amd64.s may run:
// VPDPBUSD is AVX512_VNNI, the byte masks and VPMOVUSDB need AVX512F/BW.
// qPool says the uint8 pooling may too (VPERMI2B is AVX512_VBMI).
var (
	qVec  = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI
	qPool = qVec && cpu.X86.HasAVX512VBMI
)

// qTileAsm calls the assembly tile for nv vectors of columns.
func qTileAsm(nv int, a *uint8, lda int, offs *int, taps, groups int, b *int8, dst *byte, ldd, rows, mode int, scale, offset []float32, lo float32, mask uint16) {
	var sp, op *float32
	if len(scale) > 0 {
		sp, op = &scale[0], &offset[0]
	}
	switch nv {
	case 1:
		qTile1(a, lda, offs, taps, groups, b, dst, ldd, rows, mode, sp, op, lo, mask)
	case 2:
		qTile2(a, lda, offs, taps, groups, b, dst, ldd, rows, mode, sp, op, lo, mask)
	case 3:
		qTile3(a, lda, offs, taps, groups, b, dst, ldd, rows, mode, sp, op, lo, mask)
	default:
		qTile4(a, lda, offs, taps, groups, b, dst, ldd, rows, mode, sp, op, lo, mask)
	}
}

func quantizeU8Asm(dst []uint8, src []float32, inv, zp float32) {
	quantizeU8(&dst[0], &src[0], len(dst), inv, zp)
}

func maxPool2x2U8RowAsm(y, x []uint8, rs, l int, idx *[128]uint8) {
	maxPool2x2U8Row(&y[0], &x[0], rs, len(y), l, &idx[0])
}
