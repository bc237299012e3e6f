// Command pooling generates the amd64 max pooling loops of package kernel
// (pooling_amd64.s) with avo. Run it through go generate in package kernel.
//
// maxPool2x2Row8: one 256-bit vector holds 8 channels of a window; the
// window's four cells are compared in the pure-Go loop's order with the
// same rule (see MaxPool2x2), so values and indices are bit-identical to
// it. wins.go: the AVX-512 loops that keep a byte per output instead.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	row8()
	winsForward()
	for _, set := range []bool{false, true} {
		winsBackward(set)
		winsBackNarrow(set)
	}
	winsRow8()
	Generate()
}

// row8Header emits maxPool2x2Row8's constants and heading and returns
// the constants: lanes 0..7, and 8 in every lane.
func row8Header() (iotaData, eightData Mem) {
	iotaData = GLOBL("poolIota", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(i))
	}
	eightData = GLOBL("poolEight", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(8))
	}
	TEXT("maxPool2x2Row8", NOSPLIT, "func(y *float32, arg *int32, x *float32, ow int, c int, rs int, at0 int)")
	Pragma("noescape")
	Doc("maxPool2x2Row8 is one output row of MaxPool2x2's pure-Go loop: for j < ow and",
		"ch < c (ow ≥ 1), the window of cells x[p], x[p+c], x[p+rs], x[p+rs+c] with",
		"p = 2·j·c + ch, scanned in that order, gives y[j·c+ch] and arg[j·c+ch] = at0 +",
		"the winner's offset; a cell v replaces the best so far when v > best, or when",
		"v is NaN and best is not.",
		"",
		"Channels go 8 at a time; when c is not a multiple of 8 the last block of each",
		"window also computes and writes the first lanes of the next window (which",
		"that window then overwrites), so y and arg need ceil(c/8)·8 - c values of",
		"room past window ow-1 and x as many past each of its cells.")
	return iotaData, eightData
}

// row8 emits maxPool2x2Row8.
func row8() {
	iotaData, eightData := row8Header()
	y := Load(Param("y"), GP64())
	arg := Load(Param("arg"), GP64())
	x := Load(Param("x"), GP64())
	ow := Load(Param("ow"), GP64())
	c := Load(Param("c"), GP64())
	rs := Load(Param("rs"), GP64())
	at0 := Load(Param("at0"), GP64())

	// Index vectors: lanes at0+{0..7}, plus c, rs and rs+c for the other
	// cells; they advance by 8 per channel block and by 2c per window.
	iota := YMM()
	VMOVDQU(iotaData, iota)
	base := YMM()
	t := XMM()
	MOVQ(at0, t)
	VPBROADCASTD(t, base)
	VPADDD(iota, base, base)
	cv, rv := YMM(), YMM()
	MOVQ(c, t)
	VPBROADCASTD(t, cv)
	MOVQ(rs, t)
	VPBROADCASTD(t, rv)
	eight := YMM()
	VMOVDQU(eightData, eight)
	twoC := YMM()
	VPADDD(cv, cv, twoC)

	cb := GP64() // bytes of one cell's channels: 4c
	MOVQ(c, cb)
	SHLQ(U8(2), cb)
	rb := GP64() // bytes of one input row
	MOVQ(rs, rb)
	SHLQ(U8(2), rb)
	blocks := GP64()

	Label("window")
	// p points at the window's first cell; q at its second row; yp and ap
	// at its outputs.
	p, q, yp, ap := GP64(), GP64(), GP64(), GP64()
	MOVQ(x, p)
	LEAQ(Mem{Base: x, Index: rb, Scale: 1}, q)
	MOVQ(y, yp)
	MOVQ(arg, ap)
	idx := YMM()
	VMOVDQA(base, idx)
	MOVQ(c, blocks)
	ADDQ(U8(7), blocks)
	SHRQ(U8(3), blocks)
	Label("block")
	best, at := YMM(), YMM()
	VMOVUPS(Mem{Base: p}, best)
	VMOVDQA(idx, at)
	rc := YMM()
	VPADDD(rv, cv, rc)
	row8Cell(Mem{Base: p, Index: cb, Scale: 1}, cv, best, at, idx)
	row8Cell(Mem{Base: q}, rv, best, at, idx)
	row8Cell(Mem{Base: q, Index: cb, Scale: 1}, rc, best, at, idx)
	VMOVUPS(best, Mem{Base: yp})
	VMOVDQU(at, Mem{Base: ap})
	ADDQ(U32(32), yp)
	ADDQ(U32(32), ap)
	ADDQ(U32(32), p)
	ADDQ(U32(32), q)
	VPADDD(eight, idx, idx)
	DECQ(blocks)
	JNZ(LabelRef("block"))
	// Next window: x advances by two cells, the outputs by one, indices
	// by 2c.
	LEAQ(Mem{Base: x, Index: cb, Scale: 2}, x)
	ADDQ(cb, y)
	ADDQ(cb, arg)
	VPADDD(twoC, base, base)
	DECQ(ow)
	JNZ(LabelRef("window"))
	VZEROUPPER()
	RET()
}

// row8Cell is one step of maxPool2x2Row8's scan: the cell at mem, whose
// indices are idx + off, replaces best and at where it wins.
func row8Cell(mem Mem, off, best, at, idx VecVirtual) {
	m := row8Wins(mem, best)
	qi := YMM()
	VPADDD(off, idx, qi)
	VBLENDVPS(m, qi, at, at)
}

// row8Wins is MaxPool2x2's rule on one cell of 8 windows (AVX2), as both
// maxPool2x2Row8 and maxPool2x2WinsRow8 scan them: the cell at mem
// replaces best where it is greater, or NaN where best is not; it returns
// the mask of those lanes, for the caller to record the winner.
func row8Wins(mem Mem, best VecVirtual) VecVirtual {
	v, m, n, o := YMM(), YMM(), YMM(), YMM()
	VMOVUPS(mem, v)
	VCMPPS(U8(0x1e), best, v, m)    // v > best, ordered (GT_OQ)
	VCMPPS(U8(0x03), v, v, n)       // v is NaN (UNORD_Q)
	VCMPPS(U8(0x07), best, best, o) // best is not NaN (ORD_Q)
	VANDPS(o, n, n)
	VORPS(n, m, m)
	VBLENDVPS(m, v, best, best)
	return m
}
