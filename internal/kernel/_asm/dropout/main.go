// Command dropout generates the amd64 kernels of dropout (dropout_amd64.s)
// with avo: math/rand/v2's PCG run on sixteen states at once, the mask a
// block of its draws makes (applied, and kept as bits), and the backward
// pass through those bits. Run it
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
	backward()
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
// unsigned; AVX2 has no unsigned compare); VMOVMSKPS packs that lane mask
// into the eight bits of keep.
func mask() {
	TEXT("dropoutMaskVec", NOSPLIT, "func(y *float32, x *float32, keep *uint16, draws *uint64, thresh uint32, scale float32, n int)")
	Pragma("noescape")
	Doc("dropoutMaskVec computes, for i < n (n a multiple of 16), with u the",
		"32-bit half i%2 of draws[i/2] (the low half first) and m = 0 if",
		"u < thresh, else scale:",
		"",
		"\ty[i] = x[i] * m",
		"\tbit i%16 of keep[i/16] = 1 if m = scale")
	y := Load(Param("y"), GP64())
	x := Load(Param("x"), GP64())
	kp := Load(Param("keep"), GP64())
	d := Load(Param("draws"), GP64())
	n := Load(Param("n"), GP64())
	th, sc := YMM(), YMM()
	tg, tx := Load(Param("thresh"), GP32()), XMM()
	VMOVD(tg, tx)
	VPBROADCASTD(tx, th)
	VBROADCASTSS(Load(Param("scale"), XMM()), sc)
	keepLoop(kp, n, func(i Register) {
		var bits [2]GPVirtual
		for half := range 2 {
			u, mx := YMM(), YMM()
			VMOVDQU(Mem{Base: d, Index: i, Scale: 4, Disp: 32 * half}, u)
			VPMAXUD(th, u, mx)
			VPCMPEQD(u, mx, mx)
			bits[half] = GP32()
			VMOVMSKPS(mx, bits[half])
			VANDPS(sc, mx, mx)
			VMULPS(Mem{Base: x, Index: i, Scale: 4, Disp: 32 * half}, mx, mx)
			VMOVUPS(mx, Mem{Base: y, Index: i, Scale: 4, Disp: 32 * half})
		}
		SHLL(U8(8), bits[1])
		ORL(bits[1], bits[0])
		MOVW(bits[0].As16(), Mem{Base: kp})
	})
}

// keepLoop emits the loop of mask and backward over n elements (a multiple
// of 16), sixteen a pass: i counts the elements, kp steps through keep, a
// word of sixteen bits a pass.
func keepLoop(kp, n Register, body func(i Register)) {
	i := GP64()
	XORQ(i, i)
	Label("loop")
	body(i)
	ADDQ(U8(2), kp)
	ADDQ(U8(16), i)
	CMPQ(i, n)
	JB(LabelRef("loop"))
	VZEROUPPER()
	RET()
}

// backward emits dropoutBackwardVec, sixteen elements a step: the word of
// keep broadcast to every lane (VPBROADCASTW from memory: no general
// register, no SSE instruction to merge into a vector register), each lane tests its own bit (AND with it,
// compare equal), and the lane mask selects scale or +0. The product and
// the sum are two roundings, as in Go, with dx as the sum's first operand,
// as the Go compiler orders dx[i] += dy[i]*m (a sum of two NaNs keeps the
// first one's payload).
func backward() {
	laneBits := GLOBL("dropoutLaneBits", RODATA|NOPTR)
	for j := range 16 {
		DATA(4*j, U32(1<<j))
	}
	TEXT("dropoutBackwardVec", NOSPLIT, "func(dx *float32, dy *float32, keep *uint16, scale float32, n int)")
	Pragma("noescape")
	Doc("dropoutBackwardVec computes, for i < n (n a multiple of 16), with m = scale",
		"where bit i%16 of keep[i/16] is set, else 0:",
		"",
		"\tdx[i] += dy[i] * m (product rounded, then sum)")
	dx := Load(Param("dx"), GP64())
	dy := Load(Param("dy"), GP64())
	kp := Load(Param("keep"), GP64())
	n := Load(Param("n"), GP64())
	sc := YMM()
	VBROADCASTSS(Load(Param("scale"), XMM()), sc)
	var lb [2]VecVirtual
	for half := range 2 {
		lb[half] = YMM()
		VMOVDQU(laneBits.Offset(32*half), lb[half])
	}
	keepLoop(kp, n, func(i Register) {
		// The word in both halves of every 32-bit lane: each lane's bit
		// j < 16 is the word's.
		wb := YMM()
		VPBROADCASTW(Mem{Base: kp}, wb)
		for half := range 2 {
			t := YMM()
			VPAND(lb[half], wb, t)
			VPCMPEQD(lb[half], t, t)
			VANDPS(sc, t, t)
			VMULPS(Mem{Base: dy, Index: i, Scale: 4, Disp: 32 * half}, t, t)
			d := YMM()
			VMOVUPS(Mem{Base: dx, Index: i, Scale: 4, Disp: 32 * half}, d)
			VADDPS(t, d, d) // d + t: of two NaNs, x86 keeps the first operand's
			VMOVUPS(d, Mem{Base: dx, Index: i, Scale: 4, Disp: 32 * half})
		}
	})
}
