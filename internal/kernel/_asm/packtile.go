package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

// packPrefetchRows is how many rows of B ahead the packing tile asks for:
// B's rows are ldb apart (2 KiB and more, or Gemm would not pack them), so
// the hardware's stream prefetchers, which keep within a page, see one or
// two rows of each page and do not follow.
const packPrefetchRows = 8

// packTile emits gemmTilePackAVX512x32: a full 14×32 tile of the
// 32-column AVX-512 tile, A's rows contiguous (csa = 1), that reads B's
// rows in place and writes each one, once loaded, to the packed panel dst
// (dst[p*32+j] = B(p, j)). Gemm packs B's panels this way in their first
// tile: the copy's loads are the tile's own and its stores go through
// ports the FMAs leave idle, where a separate packing pass took 4–6 % of a
// 512³ product on an Intel Xeon. The products and their order are the
// general tile's, so C gets the same bits.
func packTile() {
	const name, rows = "gemmTilePackAVX512x32", 14
	TEXT(name, NOSPLIT, "func(k int, a *float32, rsa int, csa int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask uint32, dst *float32)")
	Pragma("noescape")
	Doc(name+" computes a tile of 14 rows and 32 columns of C as gemmTileAVX512x32",
		"does with rows = 14, every bit of mask set and csa = 1, the only arguments",
		"it takes, and copies B's k rows of 32 values to dst, dst[p*32+j] = b[p*ldb+j].")
	k := Load(Param("k"), GP64())
	bases, rs, rs3, _ := asm.LoadA(rows)
	b := Load(Param("b"), GP64())
	lb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), lb)
	d := Load(Param("dst"), GP64())
	pf := GP64()
	IMUL3Q(U32(packPrefetchRows), lb, pf)
	masks := asm.ColumnMasks(2)
	prefetchC(rows, 2)
	step, acc := avx512Step(rows, []int{16, 16}, masks)
	asm.ZeroAcc(rows, 2, acc)
	loop := name + "_loop"
	Label(loop)
	PREFETCHT0(Mem{Base: b, Index: pf, Scale: 1})
	PREFETCHT0(Mem{Base: b, Index: pf, Scale: 1, Disp: 64})
	step(func(i int) Mem { return asm.Row(bases, rs, rs3, i) }, func(j int) Mem { return Mem{Base: b, Disp: 64 * j} }, true)
	// The step leaves B's row in registers 28 and 29.
	VMOVUPS(Z28, Mem{Base: d})
	VMOVUPS(Z29, Mem{Base: d, Disp: 64})
	ADDQ(lb, b)
	ADDQ(U8(128), d)
	for _, base := range bases {
		ADDQ(U8(4), base)
	}
	DECQ(k)
	JNZ(LabelRef(loop))
	asm.StoreMasked(name, rows, 2, masks, acc, func(r, j int) VecPhysical { return asm.Zmm[r] })
}
