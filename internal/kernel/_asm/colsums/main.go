// Command colsums generates the amd64 loop of package kernel's columnSums
// (colsums_amd64.s) with avo. Run it through go generate in package kernel
// (colsums_amd64.go).
//
// columnSums adds a convolution's output gradient, block after block of
// len(acc) values, into acc: LeNet-5's first layer adds 56 blocks of 96
// values per sample, each an AddTo call whose length checks and call cost
// more than its six vector adds. Here up to eight vectors of acc stay in
// registers while every block is added, in block order, with the same
// VADDPS (acc first, so that of two NaNs acc's is kept, as addVec does):
// the same bits.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	colSums()
	Generate()
}

// colSums emits colSumsAVX512: a dispatch on k, then one loop per k.
func colSums() {
	TEXT("colSumsAVX512", NOSPLIT, "func(acc *float32, src *float32, k int, blocks int, stride int)")
	Pragma("noescape")
	Doc("colSumsAVX512 adds to the 16·k values of acc, 1 ≤ k ≤ 8, blocks ≥ 1 blocks",
		"of src, stride values apart: for b < blocks in turn, acc[v] += src[b·stride + v]",
		"for v < 16·k, each sum as addVec's (acc first). acc is loaded once and stored",
		"once. Requires AVX-512F.")
	k := Load(Param("k"), GP64())
	for n := 1; n <= 8; n++ {
		CMPQ(k, U8(n))
		JE(LabelRef(fmt.Sprintf("k%d", n)))
	}
	RET()
	for n := 1; n <= 8; n++ {
		loop(n)
	}
}

// loop emits the loop for k = n vectors.
func loop(n int) {
	Label(fmt.Sprintf("k%d", n))
	acc := Load(Param("acc"), GP64())
	src := Load(Param("src"), GP64())
	blocks := Load(Param("blocks"), GP64())
	stride := Load(Param("stride"), GP64())
	SHLQ(U8(2), stride) // bytes
	zs := make([]VecVirtual, n)
	for v := range zs {
		zs[v] = ZMM()
		VMOVUPS(Mem{Base: acc, Disp: 64 * v}, zs[v])
	}
	Label(fmt.Sprintf("k%d_block", n))
	for v := range zs {
		VADDPS(Mem{Base: src, Disp: 64 * v}, zs[v], zs[v])
	}
	ADDQ(stride, src)
	DECQ(blocks)
	JNZ(LabelRef(fmt.Sprintf("k%d_block", n)))
	for v := range zs {
		VMOVUPS(zs[v], Mem{Base: acc, Disp: 64 * v})
	}
	VZEROUPPER()
	RET()
}
