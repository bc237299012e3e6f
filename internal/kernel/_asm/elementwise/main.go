// Command elementwise generates the amd64 element-wise kernels of package
// kernel (elementwise_amd64.s) with avo, and the products with a sparse
// operand (sparse.go here). It is separate from the GEMM
// generator in the parent directory so that each output file has one
// source. Run it through go generate in package kernel.
//
// Every kernel works on n float32 values, n a multiple of 8 (the Go caller
// runs the remainder through the pure-Go loop), with 256-bit AVX: the loops
// are bound by loads and stores, so wider vectors gain nothing on the
// course's sizes. Each value is computed by the same IEEE operations, in the
// same order, as the pure-Go reference (no fused multiply-add), so the
// results are bit-identical to it.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

func main() {
	ConstraintExpr("amd64,!purego")

	// Shared loop: body(off) emits the work for the 8 values at byte
	// offset off from every pointer; the loop unrolls it four times.
	binary("addVec", "dst[i] = a[i] + b[i]", func(d, a, b Mem, _ []VecVirtual) {
		x := YMM()
		VMOVUPS(a, x)
		VADDPS(b, x, x)
		VMOVUPS(x, d)
	})
	binary("mulVec", "dst[i] = a[i] * b[i]", func(d, a, b Mem, _ []VecVirtual) {
		x := YMM()
		VMOVUPS(a, x)
		VMULPS(b, x, x)
		VMOVUPS(x, d)
	})

	// dst[i] += alpha * x[i]
	kernel("axpyVec", "func(dst *float32, alpha float32, x *float32, n int)",
		[]string{"dst[i] += alpha * x[i] (product rounded, then sum)"},
		[]string{"dst", "x"}, []string{"alpha"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			t := YMM()
			VMULPS(Mem{Base: p[1], Disp: off}, s[0], t)
			VADDPS(Mem{Base: p[0], Disp: off}, t, t)
			VMOVUPS(t, Mem{Base: p[0], Disp: off})
		})
	kernel("scaleVec", "func(dst *float32, alpha float32, n int)",
		[]string{"dst[i] *= alpha"},
		[]string{"dst"}, []string{"alpha"},
		func(p []GPVirtual, s []VecVirtual, off int) {
			t := YMM()
			VMULPS(Mem{Base: p[0], Disp: off}, s[0], t)
			VMOVUPS(t, Mem{Base: p[0], Disp: off})
		})
	// VMAXPS returns its second source when the first is not greater,
	// NaN included, which is the reference's "x > 0 ? x : 0".
	kernel("reluVec", "func(dst *float32, x *float32, n int)",
		[]string{"dst[i] = x[i] if x[i] > 0, else +0 (NaN and -0 give +0)"},
		[]string{"dst", "x"}, nil,
		func(p []GPVirtual, s []VecVirtual, off int) {
			t := YMM()
			VMOVUPS(Mem{Base: p[1], Disp: off}, t)
			VMAXPS(s[len(s)-1], t, t)
			VMOVUPS(t, Mem{Base: p[0], Disp: off})
		}, zeroConst)
	// dx is left untouched (a blend, not an add of zero) where y ≤ 0, so
	// that a -0 in dx stays -0 as in the reference.
	kernel("reluBackwardVec", "func(dx *float32, dy *float32, y *float32, n int)",
		[]string{"dx[i] += dy[i] where y[i] > 0; dx[i] unchanged elsewhere"},
		[]string{"dx", "dy", "y"}, nil,
		func(p []GPVirtual, s []VecVirtual, off int) {
			mask, old, sum := YMM(), YMM(), YMM()
			VCMPPS(U8(0x11), Mem{Base: p[2], Disp: off}, s[len(s)-1], mask) // 0 < y: LT_OQ, false for NaN
			VMOVUPS(Mem{Base: p[0], Disp: off}, old)
			VADDPS(Mem{Base: p[1], Disp: off}, old, sum)
			VBLENDVPS(mask, sum, old, old)
			VMOVUPS(old, Mem{Base: p[0], Disp: off})
		}, zeroConst)
	updates()
	iotaData()
	for v := 1; v <= 4; v++ {
		sparseGemm(v, false)
	}
	for v := 1; v <= 4; v++ {
		sparseGemm(v, true)
	}
	for v := 1; v <= 4; v++ {
		sparsePack(v)
	}
	sparseCompressRows()
	for v := 1; v <= 4; v++ {
		sparseGemmRows(v)
	}
	countNonzero()
	nonFinite()
	scaleUint8()
	scaleUint8Rcp()
	prefetchBytes()
	expShifted()
	Generate()
}

// zeroConst asks kernel for a zeroed register after the scalars.
const zeroConst = true

// binary emits dst = a op b over three pointers.
func binary(name, doc string, body func(d, a, b Mem, s []VecVirtual)) {
	kernel(name, "func(dst *float32, a *float32, b *float32, n int)", []string{doc},
		[]string{"dst", "a", "b"}, nil,
		func(p []GPVirtual, s []VecVirtual, off int) {
			body(Mem{Base: p[0], Disp: off}, Mem{Base: p[1], Disp: off}, Mem{Base: p[2], Disp: off}, s)
		})
}

// kernel emits one function: pointers and broadcast scalars are loaded,
// then a loop of 32 values (4 vectors) and a loop of 8 walk n, which must be
// a multiple of 8. body emits the work for the 8 values at byte offset off.

func kernel(name, sig string, doc []string, ptrs, scalars []string, body func(p []GPVirtual, s []VecVirtual, off int), zero ...bool) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	lines := []string{name + " computes, for i < n (n a multiple of 8):", ""}
	for _, d := range doc {
		lines = append(lines, "\t"+d)
	}
	Doc(lines...)
	p := make([]GPVirtual, len(ptrs))
	for i, name := range ptrs {
		p[i] = Load(Param(name), GP64()).(GPVirtual)
	}
	var s []VecVirtual
	for _, name := range scalars {
		v := YMM()
		VBROADCASTSS(asm.ParamAddr(name), v)
		s = append(s, v)
	}
	if len(zero) > 0 && zero[0] {
		z := YMM()
		VXORPS(z, z, z)
		s = append(s, z)
	}
	n := Load(Param("n"), GP64())
	unrolled(name, n, 8, func(u int) { body(p, s, 32*u) }, func(values int) {
		for _, r := range p {
			ADDQ(U32(4*values), r)
		}
	})
}

// unrolled emits the loop over n values, lanes to a vector, of kernel,
// scaleUint8 and scaleUint8Rcp: four vectors a pass while 4·lanes values
// are left, then one a pass while lanes are (n is a multiple of lanes).
// body(u) emits the work on vector u of the pass, advance(values) moves
// the pointers past values values. Its labels start with prefix.
func unrolled(prefix string, n Register, lanes int, body func(u int), advance func(values int)) {
	four, one, done := fmt.Sprintf("%s_loop%d", prefix, 4*lanes), fmt.Sprintf("%s_loop%d", prefix, lanes), prefix+"_done"
	Label(four)
	CMPQ(n, U8(4*lanes))
	JL(LabelRef(one))
	for u := 0; u < 4; u++ {
		body(u)
	}
	advance(4 * lanes)
	SUBQ(U8(4*lanes), n)
	JMP(LabelRef(four))
	Label(one)
	CMPQ(n, U8(lanes))
	JL(LabelRef(done))
	body(0)
	advance(lanes)
	SUBQ(U8(lanes), n)
	JMP(LabelRef(one))
	Label(done)
	VZEROUPPER()
	RET()
}

// advanceBytes returns unrolled's advance for a conversion of bytes at src
// to float32 at dst: src moves on by values, dst by four times as many
// bytes (written as 8-bit immediates below 128, as before the loops were
// shared, so that the assembly stays the same).
func advanceBytes(src, dst Register) func(values int) {
	return func(values int) {
		ADDQ(U8(values), src)
		if 4*values < 128 {
			ADDQ(U8(4*values), dst)
		} else {
			ADDQ(U32(4*values), dst)
		}
	}
}

// scaleUint8 emits scaleUint8Vec: dst[i] = float32(src[i]) / div, the
// conversion of 8-bit pixels that a data set keeps compact into the float32
// batch a model reads. VDIVPS rounds like Go's float32 division.
func scaleUint8() {
	TEXT("scaleUint8Vec", NOSPLIT, "func(dst *float32, src *uint8, div float32, n int)")
	Pragma("noescape")
	Doc("scaleUint8Vec computes, for i < n (n a multiple of 8):", "", "\tdst[i] = float32(src[i]) / div")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	d := YMM()
	VBROADCASTSS(asm.ParamAddr("div"), d)
	n := Load(Param("n"), GP64())
	unrolled("scaleUint8", n, 8, func(u int) {
		t := YMM()
		VPMOVZXBD(Mem{Base: src, Disp: 8 * u}, t)
		VCVTDQ2PS(t, t)
		VDIVPS(d, t, t)
		VMOVUPS(t, Mem{Base: dst, Disp: 32 * u})
	}, advanceBytes(src, dst))
}
