//go:build amd64 && !purego

#include "textflag.h"
#include "amx_amd64.h"

// Written by hand, as bf16_amx_amd64.s is: the AMX instructions are bytes
// named by macros (amx_amd64.h has the shared ones and says why).

#define TILELOADD_T5_DI_R8  BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x07
#define TDPBUSD_T0_T4_T5    BYTE $0xc4; BYTE $0xe2; BYTE $0x51; BYTE $0x5e; BYTE $0xc4
#define TDPBUSD_T1_T4_T5    BYTE $0xc4; BYTE $0xe2; BYTE $0x51; BYTE $0x5e; BYTE $0xcc
#define TDPBUSD_T2_T4_T5    BYTE $0xc4; BYTE $0xe2; BYTE $0x51; BYTE $0x5e; BYTE $0xd4
#define TDPBUSD_T3_T4_T5    BYTE $0xc4; BYTE $0xe2; BYTE $0x51; BYTE $0x5e; BYTE $0xdc

// The four accumulators' addresses in this row tile's sums (16 int32
// columns each, rows 256 bytes apart): R11, R12, R13, AX, with BX the
// stride. The tile's sums start at 0(SP).
#define OUT_ADDRS MOVQ 0(SP), R11; LEAQ 64(R11), R12; LEAQ 128(R11), R13; LEAQ 192(R11), AX; MOVQ $256, BX

// func amxTileU8(a *uint8, lda int, offs *int, taps int, full int, tail int, b *int8, tapB int, nv int, out *int32, cfg *byte, cfgTail *byte, tiles int)
//
// For the tiles row tiles of cfg's rows each (a row tile's rows 16·lda
// bytes of A and 16·256 bytes of out after the one before), i < rows and
// j < 16·nv, out[tile][i*64+j] = Σ over the taps t and the groups g of four
// bytes: the bytes a[i*lda+offs[t]+4g+e] (uint8) times B's (int8), in int32
// (TDPBUSD; exact, so the same sums as VPDPBUSD's and the Go loop's). B is
// a QMatrix block of nv vectors: tap t's groups start tapB bytes after tap
// t-1's, group g of vector v at ((g·nv)+v)·64. The depth runs in full
// chunks of 16 groups under cfg for every row tile, then, when tail > 0,
// in one chunk of tail groups under cfgTail for every row tile, the sums
// kept in out across the change of configuration (loading one zeroes the
// tiles). One configuration for all the row tiles: loading it and
// releasing the tiles is a fixed cost of each call, not small beside
// the nine taps of a 3×3 convolution's row tile.
TEXT ·amxTileU8(SB), NOSPLIT, $16-104
	MOVQ cfg+80(FP), CX
	LDTILECFG_CX
	MOVQ lda+8(FP), DX
	MOVQ nv+64(FP), R13
	MOVQ R13, R8
	SHLQ $6, R8              // B's rows: nv vectors of 64 bytes
	MOVQ R8, BX
	SHLQ $4, BX              // B's chunks: 16 rows
	MOVQ a+0(FP), CX         // this row tile's A
	MOVQ out+72(FP), AX
	MOVQ AX, 0(SP)           // this row tile's sums
	MOVQ tiles+96(FP), AX
	MOVQ AX, 8(SP)           // row tiles left

tileLoop:
	TILEZERO_T0
	TILEZERO_T1
	TILEZERO_T2
	TILEZERO_T3
	MOVQ offs+16(FP), R11
	MOVQ b+48(FP), R12
	MOVQ taps+24(FP), R9
	CMPQ full+32(FP), $0
	JEQ  storeTile           // no whole chunk: the tail pass does it all

tapLoop:
	MOVQ CX, SI
	ADDQ (R11), SI
	MOVQ R12, AX             // this chunk's B
	MOVQ full+32(FP), R10

chunkLoop:
	// A chunk: 64 bytes of A (T4, rows DX apart from SI) against the nv
	// vectors of B (T5, rows R8 apart from DI, the vectors 64 bytes apart).
	MOVQ AX, DI
	TILELOADD_T4_SI_DX
	TILELOADD_T5_DI_R8
	TDPBUSD_T0_T4_T5
	CMPQ R13, $1
	JEQ  vecsDone
	ADDQ $64, DI
	TILELOADD_T5_DI_R8
	TDPBUSD_T1_T4_T5
	CMPQ R13, $2
	JEQ  vecsDone
	ADDQ $64, DI
	TILELOADD_T5_DI_R8
	TDPBUSD_T2_T4_T5
	CMPQ R13, $3
	JEQ  vecsDone
	ADDQ $64, DI
	TILELOADD_T5_DI_R8
	TDPBUSD_T3_T4_T5

vecsDone:
	ADDQ $64, SI
	ADDQ BX, AX
	DECQ R10
	JNZ  chunkLoop
	ADDQ $8, R11
	ADDQ tapB+56(FP), R12
	DECQ R9
	JNZ  tapLoop

storeTile:
	OUT_ADDRS
	TILESTORED_R11_BX_T0
	TILESTORED_R12_BX_T1
	TILESTORED_R13_BX_T2
	TILESTORED_AX_BX_T3
	MOVQ nv+64(FP), R13
	MOVQ R8, BX
	SHLQ $4, BX
	ADDQ $4096, 0(SP)        // the next row tile: 16 rows of sums on
	MOVQ DX, AX
	SHLQ $4, AX
	ADDQ AX, CX              // and 16 rows of A
	DECQ 8(SP)
	JNZ  tileLoop

	MOVQ tail+40(FP), R10
	TESTQ R10, R10
	JZ   done
	MOVQ cfgTail+88(FP), CX
	LDTILECFG_CX
	MOVQ a+0(FP), CX
	MOVQ out+72(FP), AX
	MOVQ AX, 0(SP)
	MOVQ tiles+96(FP), AX
	MOVQ AX, 8(SP)

tailTile:
	OUT_ADDRS
	TILELOADD_T0_R11_BX
	TILELOADD_T1_R12_BX
	TILELOADD_T2_R13_BX
	TILELOADD_T3_AX_BX
	MOVQ nv+64(FP), R13
	MOVQ full+32(FP), R10
	SHLQ $6, R10             // A's offset of the tail: 64·full
	MOVQ R8, BX
	SHLQ $4, BX
	IMULQ full+32(FP), BX    // B's: 16·full rows
	MOVQ offs+16(FP), R11
	MOVQ b+48(FP), R12
	ADDQ BX, R12
	MOVQ taps+24(FP), R9

tailLoop:
	MOVQ CX, SI
	ADDQ (R11), SI
	ADDQ R10, SI
	MOVQ R12, DI
	TILELOADD_T4_SI_DX
	TILELOADD_T5_DI_R8
	TDPBUSD_T0_T4_T5
	CMPQ R13, $1
	JEQ  tailVecsDone
	ADDQ $64, DI
	TILELOADD_T5_DI_R8
	TDPBUSD_T1_T4_T5
	CMPQ R13, $2
	JEQ  tailVecsDone
	ADDQ $64, DI
	TILELOADD_T5_DI_R8
	TDPBUSD_T2_T4_T5
	CMPQ R13, $3
	JEQ  tailVecsDone
	ADDQ $64, DI
	TILELOADD_T5_DI_R8
	TDPBUSD_T3_T4_T5

tailVecsDone:
	ADDQ $8, R11
	ADDQ tapB+56(FP), R12
	DECQ R9
	JNZ  tailLoop
	OUT_ADDRS
	TILESTORED_R11_BX_T0
	TILESTORED_R12_BX_T1
	TILESTORED_R13_BX_T2
	TILESTORED_AX_BX_T3
	ADDQ $4096, 0(SP)
	MOVQ DX, AX
	SHLQ $4, AX
	ADDQ AX, CX
	DECQ 8(SP)
	JNZ  tailTile

done:
	TILERELEASE
	RET

// func amxRequantU8(src *int32, dst *uint8, ldd int, rows int, nv int, scale *float32, offset *float32, lo float32, mask uint16)
//
// QGemmU8's epilogue over amxTileU8's sums: for i < rows and the 16·nv
// columns (the last vector's lanes that mask names),
//
//	dst[i*ldd+j] = uint8(roundEven(min(max(float32(float32(src[i*64+j])·scale[j]) + offset[j], lo), 255)))
//
// as Requantize does it: VCVTDQ2PS, VMULPS then VADDPS (no FMA), the clamp,
// VCVTPS2DQ under the default rounding (to even), VPMOVUSDB.
TEXT ·amxRequantU8(SB), NOSPLIT, $0-62
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ ldd+16(FP), DX
	MOVQ rows+24(FP), R9
	MOVQ nv+32(FP), R13
	MOVQ scale+40(FP), R10
	MOVQ offset+48(FP), R11
	VBROADCASTSS lo+56(FP), Z30
	MOVL $0x437f0000, AX     // 255.0
	VPBROADCASTD AX, Z31
	KXNORW K0, K0, K2        // all lanes
	KMOVW mask+60(FP), K1

row:
	XORQ CX, CX              // vector
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R10, R8
	MOVQ R11, R12

vec:
	VCVTDQ2PS (AX), Z0
	VMULPS   (R8), Z0, Z0
	VADDPS   (R12), Z0, Z0
	VMAXPS   Z30, Z0, Z0
	VMINPS   Z31, Z0, Z0
	VCVTPS2DQ Z0, Z0
	VPMOVUSDB Z0, X1
	INCQ CX
	CMPQ CX, R13
	JEQ  last
	VMOVDQU8 X1, K2, (BX)
	ADDQ $64, AX
	ADDQ $16, BX
	ADDQ $64, R8
	ADDQ $64, R12
	JMP  vec

last:
	VMOVDQU8 X1, K1, (BX)
	ADDQ $256, SI
	ADDQ DX, DI
	DECQ R9
	JNZ  row
	VZEROUPPER
	RET
