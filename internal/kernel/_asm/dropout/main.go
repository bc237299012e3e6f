// Command dropout generates the amd64 kernels of dropout (dropout_amd64.s)
// with avo: math/rand/v2's PCG run on sixteen states at once, the mask a
// block of its draws makes, and the backward pass's dst += a*b. Run it
// through go generate in package kernel (dropout_amd64.go).
//
// Every kernel computes what its pure-Go reference in dropout.go computes,
// bit for bit: integer arithmetic is exact, and the float32 products and
// sums are separate instructions (no fused multiply-add), as in Go.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	pcg()
	mask()
	addMul()
	Generate()
}

// broadcastQ returns a vector holding v in every 64-bit lane.
func broadcastQ(v uint64) VecVirtual {
	r, z := GP64(), ZMM()
	MOVQ(U64(v), r)
	VPBROADCASTQ(r, z)
	return z
}

// pcg emits pcgDXSMVec. Two registers hold the sixteen states' low and
// high words; each step writes their sixteen DXSM outputs and then moves
// every state sixteen LCG steps on at once (s ← A·s + C mod 2¹²⁸). The
// 64×64→128-bit product of the low words is built from four 32×32-bit
// ones (AVX-512 has no wider); the other products need only their low
// 64 bits (VPMULLQ, AVX-512DQ).
func pcg() {
	TEXT("pcgDXSMVec", NOSPLIT, "func(dst *uint64, blocks int, hi *[16]uint64, lo *[16]uint64, jump *[4]uint64)")
	Pragma("noescape")
	Doc("pcgDXSMVec writes blocks×16 draws of math/rand/v2's PCG to dst. hi and lo",
		"hold the states of draws 1…16 of the first block; on return they hold",
		"those of the last block. jump is {Ahi, Alo, Chi, Clo}: sixteen LCG steps.",
		"blocks ≥ 1.")
	dst := Load(Param("dst"), GP64())
	n := Load(Param("blocks"), GP64())
	ph := Load(Param("hi"), GP64())
	pl := Load(Param("lo"), GP64())
	pj := Load(Param("jump"), GP64())

	cheap := broadcastQ(0xda942042e4dd58b5)
	one := broadcastQ(1)
	ahi, alo, chi, clo, alo1 := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
	VPBROADCASTQ(Mem{Base: pj}, ahi)
	VPBROADCASTQ(Mem{Base: pj, Disp: 8}, alo)
	VPBROADCASTQ(Mem{Base: pj, Disp: 16}, chi)
	VPBROADCASTQ(Mem{Base: pj, Disp: 24}, clo)
	VPSRLQ(U8(32), alo, alo1)
	low32 := broadcastQ(0xffffffff)

	const groups = 2
	var h, l [groups]VecVirtual
	for g := range groups {
		h[g], l[g] = ZMM(), ZMM()
		VMOVDQU64(Mem{Base: ph, Disp: 64 * g}, h[g])
		VMOVDQU64(Mem{Base: pl, Disp: 64 * g}, l[g])
	}

	Label("block")
	for g := range groups {
		// hi ^= hi>>32; hi *= cheapMul; hi ^= hi>>48; hi *= lo|1
		t, u := ZMM(), ZMM()
		VPSRLQ(U8(32), h[g], t)
		VPXORQ(h[g], t, t)
		VPMULLQ(cheap, t, t)
		VPSRLQ(U8(48), t, u)
		VPXORQ(u, t, t)
		VPORQ(one, l[g], u)
		VPMULLQ(u, t, t)
		VMOVDQU64(t, Mem{Base: dst, Disp: 64 * g})
	}
	DECQ(n)
	JZ(LabelRef("done"))
	for g := range groups {
		jumpState(h[g], l[g], ahi, alo, alo1, chi, clo, low32)
	}
	ADDQ(U32(64*groups), dst)
	JMP(LabelRef("block"))

	Label("done")
	for g := range groups {
		VMOVDQU64(h[g], Mem{Base: ph, Disp: 64 * g})
		VMOVDQU64(l[g], Mem{Base: pl, Disp: 64 * g})
	}
	VZEROUPPER()
	RET()
}

// jumpState sets (h, l) ← A·(h, l) + C mod 2¹²⁸ in every lane.
func jumpState(h, l, ahi, alo, alo1, chi, clo, low32 VecVirtual) {
	// The high word of l·alo from 32-bit halves: l = l1:l0, alo = a1:a0.
	l1, p00, p10, p01, p11 := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
	VPSRLQ(U8(32), l, l1)
	VPMULUDQ(alo, l, p00)   // l0·a0
	VPMULUDQ(alo, l1, p10)  // l1·a0
	VPMULUDQ(alo1, l, p01)  // l0·a1
	VPMULUDQ(alo1, l1, p11) // l1·a1
	mid, t := ZMM(), ZMM()
	VPSRLQ(U8(32), p00, mid) // (l0·a0)>>32 + low halves of the cross terms: < 3·2³²
	VPANDQ(low32, p10, t)
	VPADDQ(t, mid, mid)
	VPANDQ(low32, p01, t)
	VPADDQ(t, mid, mid)
	hp := p11
	VPSRLQ(U8(32), p10, p10)
	VPADDQ(p10, hp, hp)
	VPSRLQ(U8(32), p01, p01)
	VPADDQ(p01, hp, hp)
	VPSRLQ(U8(32), mid, mid)
	VPADDQ(mid, hp, hp)
	// + h·alo + l·ahi (low words) + chi
	VPMULLQ(alo, h, t)
	VPADDQ(t, hp, hp)
	VPMULLQ(ahi, l, t)
	VPADDQ(t, hp, hp)
	VPADDQ(chi, hp, hp)
	// low word: l·alo + clo, and its carry into the high word
	VPMULLQ(alo, l, l)
	VPADDQ(clo, l, l)
	k := K()
	VPCMPUQ(U8(1), clo, l, k) // l < clo: the sum wrapped
	VPMOVM2Q(k, t)            // all ones (-1) where it did
	VPSUBQ(t, hp, h)
}

// mask emits dropoutMaskVec: sixteen elements (eight draws) a step, with
// 256-bit AVX2. u ≥ thresh exactly where max(u, thresh) = u (VPMAXUD is
// unsigned; AVX2 has no unsigned compare).
func mask() {
	TEXT("dropoutMaskVec", NOSPLIT, "func(y *float32, mask *float32, x *float32, draws *uint64, thresh uint32, scale float32, n int)")
	Pragma("noescape")
	Doc("dropoutMaskVec computes, for i < n (n a multiple of 16), with u the",
		"32-bit half i%2 of draws[i/2] (the low half first):",
		"",
		"\tmask[i] = 0 if u < thresh, else scale",
		"\ty[i] = x[i] * mask[i]")
	y := Load(Param("y"), GP64())
	m := Load(Param("mask"), GP64())
	x := Load(Param("x"), GP64())
	d := Load(Param("draws"), GP64())
	n := Load(Param("n"), GP64())
	th, sc := YMM(), YMM()
	tg, tx := Load(Param("thresh"), GP32()), XMM()
	MOVD(tg, tx)
	VPBROADCASTD(tx, th)
	VBROADCASTSS(Load(Param("scale"), XMM()), sc)
	i := GP64()
	XORQ(i, i)
	Label("loop")
	for half := 0; half < 2; half++ {
		u, mx := YMM(), YMM()
		VMOVDQU(Mem{Base: d, Index: i, Scale: 4, Disp: 32 * half}, u)
		VPMAXUD(th, u, mx)
		VPCMPEQD(u, mx, mx)
		VANDPS(sc, mx, mx)
		VMOVUPS(mx, Mem{Base: m, Index: i, Scale: 4, Disp: 32 * half})
		VMULPS(Mem{Base: x, Index: i, Scale: 4, Disp: 32 * half}, mx, mx)
		VMOVUPS(mx, Mem{Base: y, Index: i, Scale: 4, Disp: 32 * half})
	}
	ADDQ(U8(16), i)
	CMPQ(i, n)
	JB(LabelRef("loop"))
	VZEROUPPER()
	RET()
}

// addMul emits addMulVec, eight elements a step; the product and the sum
// are two roundings, as in Go.
func addMul() {
	TEXT("addMulVec", NOSPLIT, "func(dst *float32, a *float32, b *float32, n int)")
	Pragma("noescape")
	Doc("addMulVec computes, for i < n (n a multiple of 8):",
		"",
		"\tdst[i] += a[i] * b[i] (product rounded, then sum)")
	dst := Load(Param("dst"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	n := Load(Param("n"), GP64())
	i := GP64()
	XORQ(i, i)
	Label("loop")
	t := YMM()
	VMOVUPS(Mem{Base: a, Index: i, Scale: 4}, t)
	VMULPS(Mem{Base: b, Index: i, Scale: 4}, t, t)
	VADDPS(Mem{Base: dst, Index: i, Scale: 4}, t, t)
	VMOVUPS(t, Mem{Base: dst, Index: i, Scale: 4})
	ADDQ(U8(8), i)
	CMPQ(i, n)
	JB(LabelRef("loop"))
	VZEROUPPER()
	RET()
}
