package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
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
	bases, rs, rs3, _ := loadA(rows)
	b := Load(Param("b"), GP64())
	lb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), lb)
	d := Load(Param("dst"), GP64())
	pf := GP64()
	IMUL3Q(U32(packPrefetchRows), lb, pf)
	m := Load(Param("mask"), GP32())
	KMOVW(m, K1)
	SHRL(U8(16), m)
	KMOVW(m, K2)
	prefetchC(rows, 2)
	step, acc := avx512Step(rows, []int{16, 16}, []Register{K1, K2})
	for i := 0; i < rows; i++ {
		for j := 0; j < 2; j++ {
			VXORPS(acc(i, j), acc(i, j), acc(i, j))
		}
	}
	loop := name + "_loop"
	Label(loop)
	PREFETCHT0(Mem{Base: b, Index: pf, Scale: 1})
	PREFETCHT0(Mem{Base: b, Index: pf, Scale: 1, Disp: 64})
	step(func(i int) Mem { return rowAddr(bases, rs, rs3, i) }, func(j int) Mem { return Mem{Base: b, Disp: 64 * j} }, true)
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
	storeTile(name, rows, 2, 64, acc, func(mem Mem, j int, dst VecPhysical) {
		VMOVUPS_Z(mem, []Register{K1, K2}[j], dst)
	}, func(src VecPhysical, j int, mem Mem) {
		VMOVUPS(src, []Register{K1, K2}[j], mem)
	}, func(r, j int) VecPhysical { return zmm(r) })
}
