//go:build amd64 && !purego

#include "textflag.h"
#include "funcdata.h"
#include "amx_amd64.h"

// Written by hand: Go's assembler has no AMX mnemonics, so each AMX
// instruction is spelled as its bytes (from GNU as, checked with objdump),
// named by the macro that holds it (amx_amd64.h: those qgemm_amx_amd64.s
// shares). Only the registers these macros name may carry their operands.

#define TILELOADD_T5_R9_DX  BYTE $0xc4; BYTE $0xc2; BYTE $0x7b; BYTE $0x4b; BYTE $0x2c; BYTE $0x11
#define TILELOADD_T6_DI_R8  BYTE $0xc4; BYTE $0xa2; BYTE $0x7b; BYTE $0x4b; BYTE $0x34; BYTE $0x07
#define TILELOADD_T7_R10_R8 BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x3c; BYTE $0x02
#define TDPBF16PS_T0_T4_T6  BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xc4
#define TDPBF16PS_T1_T4_T7  BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xcc
#define TDPBF16PS_T2_T5_T6  BYTE $0xc4; BYTE $0xe2; BYTE $0x4a; BYTE $0x5c; BYTE $0xd5
#define TDPBF16PS_T3_T5_T7  BYTE $0xc4; BYTE $0xe2; BYTE $0x42; BYTE $0x5c; BYTE $0xdd

// A step of the depth (16 pairs, or the tail under cfgTail): two row tiles
// of A (T4, T5) or one, both column halves of B (T6, T7).
#define STEP_TWO TILELOADD_T4_SI_DX; TILELOADD_T5_R9_DX; TILELOADD_T6_DI_R8; TILELOADD_T7_R10_R8; TDPBF16PS_T0_T4_T6; TDPBF16PS_T1_T4_T7; TDPBF16PS_T2_T5_T6; TDPBF16PS_T3_T5_T7
#define STEP_ONE TILELOADD_T4_SI_DX; TILELOADD_T6_DI_R8; TILELOADD_T7_R10_R8; TDPBF16PS_T0_T4_T6; TDPBF16PS_T1_T4_T7

// The sums to and from out (rows 128 bytes apart: BX), quarter by quarter.
#define SAVE_TWO TILESTORED_R11_BX_T0; TILESTORED_R12_BX_T1; TILESTORED_R13_BX_T2; TILESTORED_AX_BX_T3
#define LOAD_TWO TILELOADD_T0_R11_BX; TILELOADD_T1_R12_BX; TILELOADD_T2_R13_BX; TILELOADD_T3_AX_BX
#define SAVE_ONE TILESTORED_R11_BX_T0; TILESTORED_R12_BX_T1
#define LOAD_ONE TILELOADD_T0_R11_BX; TILELOADD_T1_R12_BX

// func amxTileBF16(k16 int, a *uint32, rsa int, b *uint32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, cfg *byte, tail int, cfgTail *byte, segs int, segA int, segB int)
//
// Tiles: T0..T3 accumulate C's four 16×16 quarters (T2, T3 only when
// rows > 16), T4/T5 hold 16 rows of A (16 pairs each), T6/T7 16 pair rows
// of B's two column halves. cfg configures them for rows (amxConfigs);
// cfgTail the same with A's tiles tail pairs wide and B's tail rows deep,
// for the last step of the depth. Loading a configuration zeroes the
// tiles, so the sums wait in out (32×32 floats) across the change: the
// first 4 KiB of this frame, which Go would zero on every call were it a
// Go array. The depth runs in segs segments of k16 steps, A and B
// starting segA and segB pairs further at each (a tail only with one
// segment); 4096(SP) counts the segments left, 4104(SP) and 4112(SP) hold
// A's and B's jumps from the end of one segment to the start of the next.
TEXT ·amxTileBF16(SB), $4120-128
	NO_LOCAL_POINTERS
	MOVQ cfg+80(FP), CX
	LDTILECFG_CX
	MOVQ k16+0(FP), AX
	MOVQ segs+104(FP), CX
	MOVQ CX, 4096(SP)
	MOVQ segA+112(FP), CX
	SHLQ $2, CX
	MOVQ AX, R9
	SHLQ $6, R9
	SUBQ R9, CX
	MOVQ CX, 4104(SP)
	MOVQ a+8(FP), SI
	MOVQ rsa+16(FP), DX
	SHLQ $2, DX
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R8
	SHLQ $2, R8
	LEAQ 64(DI), R10
	MOVQ R8, BX
	SHLQ $4, BX               // a step is 16 pair rows of B
	MOVQ AX, R9
	IMULQ BX, R9
	MOVQ segB+120(FP), CX
	SHLQ $2, CX
	SUBQ R9, CX
	MOVQ CX, 4112(SP)
	LEAQ 0(SP), R11
	LEAQ 64(R11), R12
	LEAQ 2048(R11), R13
	TILEZERO_T0
	TILEZERO_T1
	MOVQ rows+64(FP), CX
	CMPQ CX, $16
	JLE  amxOne

	TILEZERO_T2
	TILEZERO_T3
	MOVQ DX, R9
	SHLQ $4, R9
	ADDQ SI, R9               // A's row 16
	TESTQ AX, AX
	JZ   amxTwoDone

amxTwoSeg:
	MOVQ k16+0(FP), AX

amxTwo:
	STEP_TWO
	ADDQ $64, SI
	ADDQ $64, R9
	ADDQ BX, DI
	ADDQ BX, R10
	DECQ AX
	JNZ  amxTwo
	DECQ 4096(SP)
	JZ   amxTwoDone
	ADDQ 4104(SP), SI
	ADDQ 4104(SP), R9
	ADDQ 4112(SP), DI
	ADDQ 4112(SP), R10
	JMP  amxTwoSeg

amxTwoDone:
	MOVQ  $128, BX
	LEAQ  2112(R11), AX
	SAVE_TWO
	MOVQ  tail+88(FP), CX
	TESTQ CX, CX
	JZ    amxStored
	MOVQ  cfgTail+96(FP), CX
	LDTILECFG_CX
	LOAD_TWO
	STEP_TWO
	SAVE_TWO
	JMP   amxStored

amxOne:
	TESTQ AX, AX
	JZ    amxOneDone

amxOneSeg:
	MOVQ k16+0(FP), AX

amxOneLoop:
	STEP_ONE
	ADDQ $64, SI
	ADDQ BX, DI
	ADDQ BX, R10
	DECQ AX
	JNZ  amxOneLoop
	DECQ 4096(SP)
	JZ   amxOneDone
	ADDQ 4104(SP), SI
	ADDQ 4112(SP), DI
	ADDQ 4112(SP), R10
	JMP  amxOneSeg

amxOneDone:
	MOVQ  $128, BX
	SAVE_ONE
	MOVQ  tail+88(FP), CX
	TESTQ CX, CX
	JZ    amxStored
	MOVQ  cfgTail+96(FP), CX
	LDTILECFG_CX
	LOAD_ONE
	STEP_ONE
	SAVE_ONE

amxStored:
	TILERELEASE

	// C = alpha·out (+ beta·C), row by row, the columns mask names.
	MOVQ         c+40(FP), AX
	MOVQ         ldc+48(FP), CX
	SHLQ         $2, CX
	LEAQ         0(SP), R11
	MOVQ         rows+64(FP), DX
	MOVL         mask+72(FP), R8
	KMOVW        R8, K1
	SHRL         $16, R8
	KMOVW        R8, K2
	VBROADCASTSS alpha+56(FP), Z30
	VBROADCASTSS beta+60(FP), Z31
	VXORPS       X28, X28, X28
	VUCOMISS     X28, X31
	JNE          amxBeta
	JPS          amxBeta

amxSet:
	VMULPS  (R11), Z30, Z0
	VMULPS  64(R11), Z30, Z1
	VMOVUPS Z0, K1, (AX)
	VMOVUPS Z1, K2, 64(AX)
	ADDQ    $128, R11
	ADDQ    CX, AX
	DECQ    DX
	JNZ     amxSet
	VZEROUPPER
	RET

amxBeta:
	VMULPS      (R11), Z30, Z0
	VMULPS      64(R11), Z30, Z1
	VMOVUPS.Z   (AX), K1, Z2
	VMOVUPS.Z   64(AX), K2, Z3
	VFMADD231PS Z31, Z2, Z0
	VFMADD231PS Z31, Z3, Z1
	VMOVUPS     Z0, K1, (AX)
	VMOVUPS     Z1, K2, 64(AX)
	ADDQ        $128, R11
	ADDQ        CX, AX
	DECQ        DX
	JNZ         amxBeta
	VZEROUPPER
	RET
