// Command bf16 generates the amd64 bfloat16 kernels of package kernel
// (bf16_amd64.s) with avo: the GEMM tiles on VDPBF16PS and the packing
// loops that round float32 to bfloat16 pairs with VCVTNE2PS2BF16. Run it
// through go generate in package kernel (bf16_amd64.go).
//
// avo v0.5.0 and the Go assembler know neither instruction, so both are
// written as raw EVEX bytes (evexRRR) on physical registers; every memory
// access stays an ordinary instruction.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

func main() {
	ConstraintExpr("amd64,!purego")
	idx := GLOBL("bf16PairIdx", RODATA|NOPTR)
	// VPERMW's word indices interleaving the low 16 words (lo) with the
	// high 16 (hi): lo0 hi0 lo1 hi1 …
	for i := 0; i < 16; i++ {
		DATA(4*i, U16(i))
		DATA(4*i+2, U16(16+i))
	}
	tile(2)
	tile(1)
	cvt()
	pair(idx)
	Generate()
}

// evexRRR emits a 512-bit EVEX instruction of map 0F38 with register
// operands only: op zdst, zsrc1 (EVEX.vvvv), zsrc2 (ModRM.rm), no mask.
// pp is the implied prefix (2: F3, 3: F2). src1 < 0 means vvvv unused.
func evexRRR(op, pp byte, dst, src1, src2 int) {
	if src1 < 0 {
		src1 = 0 // stored inverted: 1111 and V' = 1, "no register"
	}
	p0 := byte(0x02) // map 0F38
	if dst&8 == 0 {
		p0 |= 0x80 // R̄
	}
	if src2&16 == 0 {
		p0 |= 0x40 // X̄ extends rm to 32 registers
	}
	if src2&8 == 0 {
		p0 |= 0x20 // B̄
	}
	if dst&16 == 0 {
		p0 |= 0x10 // R̄'
	}
	p1 := byte((^src1&15)<<3) | 4 | pp // W0, vvvv̄, 1, pp
	p2 := byte(0x40)                   // L'L = 10: 512 bits
	if src1&16 == 0 {
		p2 |= 0x08 // V̄'
	}
	modrm := byte(0xC0 | (dst&7)<<3 | src2&7)
	for _, b := range []byte{0x62, p0, p1, p2, op, modrm} {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{U8(b)}})
	}
}

// vdpbf16ps is VDPBF16PS acc, a, b: for each of 16 lanes,
// acc += a.hi·b.hi, then acc += a.lo·b.lo (each an FMA of exact products).
func vdpbf16ps(acc, a, b int) { evexRRR(0x52, 2, acc, a, b) }

// vcvtne2ps2bf16 is VCVTNE2PS2BF16 dst, hi, lo: dst's words 0–15 are lo's
// 16 values rounded to bfloat16 (nearest, ties to even), words 16–31 hi's.
func vcvtne2ps2bf16(dst, hi, lo int) { evexRRR(0x72, 3, dst, hi, lo) }

const signature = "func(k int, a *uint32, rsa int, csa int, b *uint32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32)"

// contract is the loop every tile must equal, stated once for the stubs.
const contract = `
a and b hold bfloat16 pairs: element p of a uint32 is its low half for even
p, its high half for odd p (bf16 widens to float32 by a 16-bit shift). For
i < rows and j < cols (cols given by mask), with q ascending and a float32
accumulator to which each exact product is added with one rounding:

	acc := float32(0)
	for q := 0; q < k; q++ {
		x, y := a[i*rsa+q*csa], b[q*ldb+j]
		acc = fma(hi(x), hi(y), acc)
		acc = fma(lo(x), lo(y), acc)
	}
	if beta == 0 {
		c[i*ldc+j] = alpha * acc
	} else {
		c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
	}

as VDPBF16PS computes it (denormal inputs and results count as zero).
k ≥ 1. Only the rows×cols elements of C and the elements of A and B named
above are touched.`

// tile emits gemmTileBF16x{16w}: up to 14 rows × 16w columns of C. The
// accumulators take registers 0–27 (row i, vector j: 2i+j for w = 2), B's
// step two vectors (28, 29) and A's pair, broadcast, register 30: 31 of 32.
// A zmm lane holds one pair, so a step is one VDPBF16PS per row and vector,
// twice the multiply-adds of the float32 tile's FMA.
func tile(w int) {
	name := fmt.Sprintf("gemmTileBF16x%d", 16*w)
	TEXT(name, NOSPLIT, signature)
	Pragma("noescape")
	asm.TileDoc(name, 14, 16*w, contract, "bit j of mask selects column j.")
	asm.Dispatch("rows", 14, name+"_rows%d")
	for rows := 14; rows >= 1; rows-- {
		Label(fmt.Sprintf("%s_rows%d", name, rows))
		o := asm.LoadOperands(rows)
		masks := asm.ColumnMasks(w)
		acc := func(i, j int) int { return i*w + j }
		accZ := func(i, j int) VecPhysical { return asm.Zmm[acc(i, j)] }
		asm.ZeroAcc(rows, w, accZ)
		o.Loop(fmt.Sprintf("%s_rows%d_loop", name, rows), func() {
			for j := 0; j < w; j++ {
				VMOVDQU32_Z(Mem{Base: o.B, Disp: 64 * j}, masks[j], asm.Zmm[28+j])
			}
			for i := 0; i < rows; i++ {
				VPBROADCASTD(o.ARow(i), Z30)
				for j := 0; j < w; j++ {
					vdpbf16ps(acc(i, j), 30, 28+j)
				}
			}
		})
		// The float32 tile's epilogue: alpha, beta and the C temporary
		// in registers 30, 31 and 28.
		asm.StoreMasked(name, rows, w, masks, accZ, func(r, j int) VecPhysical { return asm.Zmm[r] })
	}
}

// tailMask sets k to the low n bits, n ≤ 16 in a register: the lanes of
// a last, partial vector.
func tailMask(n GPVirtual, k Register) {
	one := GP32()
	MOVL(U32(1), one)
	SHLXL(n.As32(), one, one)
	DECL(one)
	KMOVD(one, k)
}

// cvt emits bf16Cvt: 32 values per step, rounded by VCVTNE2PS2BF16 into
// one vector of 16 pairs; the last step masked.
func cvt() {
	TEXT("bf16Cvt", NOSPLIT, "func(dst *uint32, src *float32, n int)")
	Pragma("noescape")
	Doc("bf16Cvt rounds src[:n] to bfloat16 (nearest, ties to even; NaN stays NaN,",
		"denormals become zero) and stores them in order as the 16-bit halves of",
		"dst[:(n+1)/2], low half first: dst[q] = bf16(src[2q]) | bf16(src[2q+1])<<16,",
		"the missing last value of an odd n counting as zero. n ≥ 0.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := GP64()
	Load(Param("n"), n)
	Label("cvt_loop")
	CMPQ(n, U8(32))
	JLT(LabelRef("cvt_tail"))
	VMOVUPS(Mem{Base: src}, Z0)
	VMOVUPS(Mem{Base: src, Disp: 64}, Z1)
	vcvtne2ps2bf16(2, 1, 0)
	VMOVDQU32(Z2, Mem{Base: dst})
	ADDQ(U8(128), src)
	ADDQ(U8(64), dst)
	SUBQ(U8(32), n)
	JMP(LabelRef("cvt_loop"))

	Label("cvt_tail")
	TESTQ(n, n)
	JZ(LabelRef("cvt_done"))
	// Lanes [0, n) of the 32: min(n, 16) of the first vector, the rest
	// of the second; then (n+1)/2 pairs are stored.
	lo, hi := GP64(), GP64()
	MOVQ(n, lo)
	MOVQ(U32(16), hi)
	CMPQ(lo, hi)
	CMOVQGT(hi, lo)
	tailMask(lo, K1)
	MOVQ(n, hi)
	SUBQ(lo, hi)
	tailMask(hi, K2)
	VMOVUPS_Z(Mem{Base: src}, K1, Z0)
	VMOVUPS_Z(Mem{Base: src, Disp: 64}, K2, Z1)
	vcvtne2ps2bf16(2, 1, 0)
	pairs := GP64()
	MOVQ(n, pairs)
	INCQ(pairs)
	SHRQ(U8(1), pairs)
	tailMask(pairs, K3)
	VMOVDQU32(Z2, K3, Mem{Base: dst})
	Label("cvt_done")
	VZEROUPPER()
	RET()
}

// pair emits bf16Pair: 16 values of lo and of hi per step, both rounded by
// one VCVTNE2PS2BF16 and interleaved by VPERMW; the last step masked.
func pair(idx Mem) {
	TEXT("bf16Pair", NOSPLIT, "func(dst *uint32, lo *float32, hi *float32, n int)")
	Pragma("noescape")
	Doc("bf16Pair sets dst[i] = bf16(lo[i]) | bf16(hi[i])<<16 for i < n, rounding as",
		"bf16Cvt: the pairs of two rows of a matrix, for a product whose depth runs",
		"down its columns. n ≥ 0.")
	dst := Load(Param("dst"), GP64())
	lo := Load(Param("lo"), GP64())
	hi := Load(Param("hi"), GP64())
	n := GP64()
	Load(Param("n"), n)
	VMOVDQU32(idx, Z3)
	Label("pair_loop")
	CMPQ(n, U8(16))
	JLT(LabelRef("pair_tail"))
	VMOVUPS(Mem{Base: lo}, Z0)
	VMOVUPS(Mem{Base: hi}, Z1)
	vcvtne2ps2bf16(2, 1, 0)
	VPERMW(Z2, Z3, Z2)
	VMOVDQU32(Z2, Mem{Base: dst})
	ADDQ(U8(64), lo)
	ADDQ(U8(64), hi)
	ADDQ(U8(64), dst)
	SUBQ(U8(16), n)
	JMP(LabelRef("pair_loop"))

	Label("pair_tail")
	TESTQ(n, n)
	JZ(LabelRef("pair_done"))
	tailMask(n, K1)
	VMOVUPS_Z(Mem{Base: lo}, K1, Z0)
	VMOVUPS_Z(Mem{Base: hi}, K1, Z1)
	vcvtne2ps2bf16(2, 1, 0)
	VPERMW(Z2, Z3, Z2)
	VMOVDQU32(Z2, K1, Mem{Base: dst})
	Label("pair_done")
	VZEROUPPER()
	RET()
}
