package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

// expShifted emits expShiftedVec, the exponentials of softmax and
// log-sum-exp: e^(x-shift) in float64, eight at a time, as accurate as Go's
// math.Exp for the float32 results taken from them (a relative error near
// 1e-16: the float32 rounding differs from math.Exp's about once in ten
// million values). The argument is reduced as math.Exp does, x = k·ln2 + r
// with ln2 in two parts, e^r is its Taylor series to r^12 (|r| ≤ ln2/2, so
// the first term left out is below 2e-16), and 2^k is applied by VSCALEFPD,
// which gives 0 below the float64 range and +Inf above it.
func expShifted() {
	consts := GLOBL("expConsts", RODATA|NOPTR)
	vals := []float64{math.Log2E, 6.93147180369123816490e-01, 1.90821492927058770002e-10, -750, 710}
	fact := 1.0
	for i := 0; i <= 12; i++ {
		if i > 0 {
			fact *= float64(i)
		}
		vals = append(vals, 1/fact) // c_i = 1/i!
	}
	for i, v := range vals {
		DATA(8*i, U64(math.Float64bits(v)))
	}
	at := func(i int) Mem { return consts.Offset(8 * i) }

	TEXT("expShiftedVec", NOSPLIT, "func(dst *float64, x *float32, shift float32, n int, tail uint8)")
	Pragma("noescape")
	Doc("expShiftedVec computes, for i < n,", "",
		"\tdst[i] = exp(float64(x[i] - shift))   (the difference rounded to float32 first)", "",
		"with a relative error near 1e-16 (NaN gives NaN, -Inf 0, +Inf +Inf). tail has",
		"a bit set for each of the n%8 values of the last partial group of 8.")
	dst := Load(Param("dst"), GP64())
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	tm := Load(Param("tail"), GP32())
	KMOVW(tm, K1)
	shift := Y16
	VBROADCASTSS(asm.ParamAddr("shift"), shift)
	// log2e, ln2hi, ln2lo, lo, hi, c0..c12 in Z17..Z31 and Z12..Z15.
	cr := []VecPhysical{Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31, Z12, Z13, Z14}
	for i, r := range cr {
		VBROADCASTSD(at(i), r)
	}
	log2e, ln2hi, ln2lo, lo, hi := cr[0], cr[1], cr[2], cr[3], cr[4]
	c := func(i int) VecPhysical { return cr[5+i] }
	body := func(load func(v VecPhysical), store func(v VecPhysical)) {
		v, k, r, p := Z0, Z1, Z2, Z3
		load(v)
		VMAXPD(v, lo, v) // max(lo, v): NaN stays NaN
		VMINPD(v, hi, v)
		VMULPD(log2e, v, k)
		VRNDSCALEPD(U8(0), k, k) // nearest integer
		VMOVAPD(v, r)
		VFNMADD231PD(ln2hi, k, r) // r = v - k·ln2hi
		VFNMADD231PD(ln2lo, k, r) // r -= k·ln2lo
		VMOVAPD(c(12), p)
		for i := 11; i >= 0; i-- {
			VFMADD213PD(c(i), r, p) // p = p·r + c_i
		}
		VSCALEFPD(k, p, p) // p·2^k
		store(p)
	}
	Label("exp_loop")
	CMPQ(n, U8(8))
	JL(LabelRef("exp_tail"))
	body(func(v VecPhysical) {
		VMOVUPS(Mem{Base: x}, Y4)
		VSUBPS(shift, Y4, Y4)
		VCVTPS2PD(Y4, v)
	}, func(p VecPhysical) { VMOVUPD(p, Mem{Base: dst}) })
	ADDQ(U8(32), x)
	ADDQ(U8(64), dst)
	SUBQ(U8(8), n)
	JMP(LabelRef("exp_loop"))
	Label("exp_tail")
	TESTQ(n, n)
	JZ(LabelRef("exp_done"))
	body(func(v VecPhysical) {
		VMOVUPS_Z(Mem{Base: x}, K1, Y4)
		VSUBPS(shift, Y4, Y4)
		VCVTPS2PD(Y4, v)
	}, func(p VecPhysical) { VMOVUPD(p, K1, Mem{Base: dst}) })
	Label("exp_done")
	VZEROUPPER()
	RET()
}
