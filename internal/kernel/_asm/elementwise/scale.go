package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
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
	VBROADCASTSS(asm.ParamAddr("div"), d)
	VBROADCASTSS(asm.ParamAddr("rcp"), r)
	n := Load(Param("n"), GP64())
	unrolled("scaleUint8Rcp", n, 16, func(u int) {
		v, q, e := ZMM(), ZMM(), ZMM()
		VPMOVZXBD(Mem{Base: src, Disp: 16 * u}, v)
		VCVTDQ2PS(v, v)
		VMULPS(r, v, q)
		VMOVAPS(v, e)
		VFNMADD231PS(d, q, e) // e = v − q·div
		VFMADD231PS(r, e, q)  // q += e·rcp
		VMOVUPS(q, Mem{Base: dst, Disp: 64 * u})
	}, advanceBytes(src, dst))
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
