package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// nonFinite emits nonFiniteVec: the offset of the first block of 32 values
// holding NaN or ±Inf. x - x is 0 for every finite x and NaN for the others,
// so the sum of x - x over a block is NaN exactly when the block holds one;
// a NaN compares unordered with itself.
func nonFinite() {
	TEXT("nonFiniteVec", NOSPLIT, "func(x *float32, n int) int")
	Pragma("noescape")
	Doc("nonFiniteVec returns the offset of the first block of 32 values of x[:n]",
		"(n a multiple of 32) that holds a NaN or ±Inf, or n when every value is finite.")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	i := GP64()
	XORQ(i, i)
	v := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	bits := GP32()
	Label("finite_loop")
	CMPQ(i, n)
	JGE(LabelRef("finite_done"))
	for k, r := range v {
		VMOVUPS(Mem{Base: x, Index: i, Scale: 4, Disp: 32 * k}, r)
		VSUBPS(r, r, r)
	}
	VADDPS(v[1], v[0], v[0])
	VADDPS(v[3], v[2], v[2])
	VADDPS(v[2], v[0], v[0])
	VCMPPS(U8(3), v[0], v[0], v[0]) // unordered: NaN
	VMOVMSKPS(v[0], bits)
	TESTL(bits, bits)
	JNZ(LabelRef("finite_done"))
	ADDQ(U8(32), i)
	JMP(LabelRef("finite_loop"))
	Label("finite_done")
	Store(i, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
