package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// scaleUint8Rcp emits scaleUint8RcpVec, scaleUint8Vec without the
// division: q = v·rcp, then one Newton step on the remainder, e = v − q·div
// (exact, by FMA) and q += e·rcp (FMA). With rcp the float32 nearest 1/div
// this gives the correctly rounded v/div for the divisors that matter
// (Markstein); package kernel checks it against VDIVPS on all 256 byte values
// before it uses it for a divisor. VDIVPS is a 256-bit division every 8
// pixels, several times the cost of the three multiplies here: a batch of
// 100 MNIST images in L2 converts in 5 µs instead of 14.
func scaleUint8Rcp() {
	TEXT("scaleUint8RcpVec", NOSPLIT, "func(dst *float32, src *uint8, div float32, rcp float32, n int)")
	Pragma("noescape")
	Doc("scaleUint8RcpVec computes, for i < n (n a multiple of 16), with AVX-512F:", "",
		"\tq := float32(src[i]) * rcp",
		"\tdst[i] = q + (float32(src[i]) - q*div)*rcp (both fused, each rounded once)")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	d, r := ZMM(), ZMM()
	VBROADCASTSS(paramAddr("div"), d)
	VBROADCASTSS(paramAddr("rcp"), r)
	n := Load(Param("n"), GP64())

	body := func(o int) {
		v, q, e := ZMM(), ZMM(), ZMM()
		VPMOVZXBD(Mem{Base: src, Disp: 16 * o}, v)
		VCVTDQ2PS(v, v)
		VMULPS(r, v, q)
		VMOVAPS(v, e)
		VFNMADD231PS(d, q, e) // e = v − q·div
		VFMADD231PS(r, e, q)  // q += e·rcp
		VMOVUPS(q, Mem{Base: dst, Disp: 64 * o})
	}
	Label("scaleUint8Rcp_loop64")
	CMPQ(n, U8(64))
	JL(LabelRef("scaleUint8Rcp_loop16"))
	for u := 0; u < 4; u++ {
		body(u)
	}
	ADDQ(U8(64), src)
	ADDQ(U32(256), dst)
	SUBQ(U8(64), n)
	JMP(LabelRef("scaleUint8Rcp_loop64"))
	Label("scaleUint8Rcp_loop16")
	CMPQ(n, U8(16))
	JL(LabelRef("scaleUint8Rcp_done"))
	body(0)
	ADDQ(U8(16), src)
	ADDQ(U8(64), dst)
	SUBQ(U8(16), n)
	JMP(LabelRef("scaleUint8Rcp_loop16"))
	Label("scaleUint8Rcp_done")
	VZEROUPPER()
	RET()
}

// prefetchBytes emits prefetchBytesVec: PREFETCHT0 of every cache line of
// n bytes at p.
func prefetchBytes() {
	TEXT("prefetchBytesVec", NOSPLIT, "func(p *uint8, n int)")
	Pragma("noescape")
	Doc("prefetchBytesVec asks for the cache lines of p[0:n] (PREFETCHT0); it reads nothing.")
	p := Load(Param("p"), GP64())
	n := Load(Param("n"), GP64())
	ADDQ(p, n)
	Label("prefetchBytes_loop")
	CMPQ(p, n)
	JAE(LabelRef("prefetchBytes_done"))
	PREFETCHT0(Mem{Base: p})
	ADDQ(U8(64), p)
	JMP(LabelRef("prefetchBytes_loop"))
	Label("prefetchBytes_done")
	RET()
}
