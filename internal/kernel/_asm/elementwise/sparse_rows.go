package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The sparse products in two halves, for when A is known before the
// product runs (a training batch, gathered while the previous step runs):
// sparseCompressRowsAVX512 lists each row's non-zeros once, on whatever
// core is idle, and sparseGemmRowsAVX512x{16v} then does only the
// multiply-adds, in the same order and with the same two accumulators as
// sparseGemmAVX512x{16v}, so the results are the same bits.

// sparseCompressRows emits sparseCompressRowsAVX512: the non-zeros of one
// depth block of each row, appended as values and as depths within the
// block.
func sparseCompressRows() {
	name := "sparseCompressRowsAVX512"
	TEXT(name, NOSPLIT, "func(a *float32, lda int, k int, rows int, vals *float32, idx *int32, ptr *int32, kmask uint16)")
	Pragma("noescape")
	Doc(name+" appends, for i < rows, the elements of a[i*lda : i*lda+k] that",
		"are not ±0 (NaN is kept), in ascending order, to vals and their",
		"positions in the row to idx, from entry ptr[0], and sets ptr[i+1] to the",
		"number of entries after row i. Stores are whole vectors: vals and idx",
		"need 16 entries of room past the last one. kmask has k%16 bits set",
		"(0 when 16 divides k); 1 ≤ k ≤ 128.")
	a := Load(Param("a"), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	k := Load(Param("k"), GP64())
	rows := Load(Param("rows"), GP64())
	vals := Load(Param("vals"), GP64())
	idx := Load(Param("idx"), GP64())
	ptr := Load(Param("ptr"), GP64())
	km := Load(Param("kmask"), GP32())
	KMOVW(km, K3)
	VXORPS(Z5, Z5, Z5)
	cnt := GP64()
	MOVLQSX(Mem{Base: ptr}, cnt)
	sixteen := GP32()
	MOVL(U32(16), sixteen)
	VPBROADCASTD(sixteen, Z19)
	p, next := GP64(), GP64()
	sparseRows(name, rows, func() {
		XORQ(p, p)
		VMOVUPS(iota16, Z18) // the lanes' positions in the row
		sparseChunks(name, name+"_rowdone", a, p, next, k, func() {
			sparseAppendTo(cnt, Mem{Base: vals, Index: cnt, Scale: 4}, Mem{Base: idx, Index: cnt, Scale: 4})
		})
		MOVL(cnt.As32(), Mem{Base: ptr, Disp: 4})
		ADDQ(lda, a)
		ADDQ(U8(4), ptr)
	})
}

// sparseGemmRows emits sparseGemmRowsAVX512x{16v}: sparseGemmAVX512x{16v}
// with A's non-zeros listed ahead by sparseCompressRowsAVX512.
func sparseGemmRows(v int) {
	name := fmt.Sprintf("sparseGemmRowsAVX512x%d", 16*v)
	TEXT(name, 0, "func(vals *float32, idx *int32, ptr *int32, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask uint16)")
	Pragma("noescape")
	Doc(name+" computes, for i < rows and the columns j of "+fmt.Sprint(v)+" vector(s) of 16,",
		"", "\tc[i*ldc+j] = Σ_{ptr[i] ≤ t < ptr[i+1]} vals[t]*b[idx[t]*ldb+j] + beta*c[i*ldc+j]", "",
		"in the order and with the accumulators of sparseGemmAVX512x"+fmt.Sprint(16*v)+" (the",
		"entries alternate between two, added at the end of the row; beta == 0: C",
		"is not read): given the lists sparseCompressRowsAVX512 made of one",
		"depth block of A, the same bits. B is packed as for sparseGemmAVX512x"+fmt.Sprint(16*v)+";",
		"C is written in the columns that mask selects in the last vector.",
		"idx[t]*ldb*4 fits in an int32.")
	vals := Load(Param("vals"), GP64())
	idx := Load(Param("idx"), GP64())
	ptr := Load(Param("ptr"), GP64())
	b := Load(Param("b"), GP64())
	st := Load(Param("ldb"), GP64())
	SHLQ(U8(2), st)
	c := Load(Param("c"), GP64())
	rows := Load(Param("rows"), GP64())
	m := Load(Param("mask"), GP32())
	KMOVW(m, K1)
	VXORPS(Z5, Z5, Z5)
	t, end, tmp, off := GP64(), GP64(), GP64(), GP64()
	entry := func(set int) {
		VBROADCASTSS(Mem{Base: vals, Index: t, Scale: 4}, sparseX[set])
		MOVLQSX(Mem{Base: idx, Index: t, Scale: 4}, off)
		IMULQ(st, off)
		for j := 0; j < v; j++ {
			VFMADD231PS(Mem{Base: b, Index: off, Scale: 1, Disp: 64 * j}, sparseX[set], sparseAcc(set, j))
		}
		INCQ(t)
	}
	sparseRows(name, rows, func() {
		sparseZeroAcc(v)
		MOVLQSX(Mem{Base: ptr}, t)
		MOVLQSX(Mem{Base: ptr, Disp: 4}, end)
		// sparseEntries' loop, with t from ptr rather than 0 and each
		// entry stepping t itself.
		Label(name + "_pair")
		LEAQ(Mem{Base: t, Disp: 2}, tmp)
		CMPQ(tmp, end)
		JG(LabelRef(name + "_single"))
		entry(0)
		entry(1)
		JMP(LabelRef(name + "_pair"))
		Label(name + "_single")
		CMPQ(t, end)
		JGE(LabelRef(name + "_rowsum"))
		entry(0)
		Label(name + "_rowsum")
		sparseRowEnd(name, v, c)
		advance(c, "ldc")
		ADDQ(U8(4), ptr)
	})
}
