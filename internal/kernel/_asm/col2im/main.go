// Command col2im generates the amd64 loop of package kernel's Col2im
// (col2im_amd64.s) with avo. Run it through go generate in package kernel
// (col2im_amd64.go).
//
// Col2im adds a run of overlapping window rows into one row of dx. Called
// one window row at a time, each add is a call with a length check and a
// remainder loop on a short row (30 values for 5×5 on 6 channels). Here
// the destination row is walked once, 16 values per vector: each vector
// is loaded, receives the overlapping part of every window that covers
// it, in window order, through a merge-masked add, and is stored. Each dx
// value thus receives the same additions in the same order as with one
// add per window, so the bits are the same.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	rows()
	Generate()
}

// paramAddr is the stack slot of a parameter: the loop reads the rarely
// changing sizes from memory, which leaves the registers to the loop.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// rows emits col2imRowsAVX512. Sizes are in values; p is the offset in
// dx's row of the current vector, window t covers dx[t·dstep, t·dstep +
// rowLen) and reads src[t·sstep:]. For the vector at p, d = p - t·dstep is
// the window's lane offset: lanes [max(0,-d), min(16, rowLen-d)) overlap,
// read from src[t·sstep + d:]. Windows go from the first that ends past p
// (tlo) while d > max(-16, p - n·dstep) (the window starts before p+16
// and t < n). The loops count e = d + 16 rather than d.
//
// The lane mask is one shift: bits [e, e+16) of a word whose bits
// [16, 16+rowLen) are set, when rowLen ≤ 48 (narrow channels, the case
// that matters). Longer rows use the word of rowLen 48, with e moved
// down by clamp(e-16, 0, rowLen-48): a window that covers the vector
// whole lands in the word's middle, one that ends in the vector ends as
// far into the word's top.
func rows() {
	TEXT("col2imRowsAVX512", NOSPLIT, "func(dst *float32, src *float32, dstep int, sstep int, rowLen int, span int, nd int, rows int, drs int, srs int)")
	Pragma("noescape")
	Doc("col2imRowsAVX512 is col2imRowsGeneric's loop (col2im.go) for rows ≥ 1 rows,",
		"span = (n-1)·dstep + rowLen and nd = n·dstep, n ≥ 1, dstep ≥ 1: for each row r",
		"and each t < n in turn, dst[r·drs + t·dstep:][:rowLen] += src[r·srs + t·sstep:][:rowLen].",
		"Each dst value is loaded once per row, receives its additions in that order",
		"in a register and is stored once. Requires AVX-512F and BMI2.")
	rowLen := GP64()
	Load(Param("rowLen"), rowLen)
	CMPQ(rowLen, U8(48))
	JG(LabelRef("long"))
	body("short", rowLen, true)
	Label("long")
	body("long", rowLen, false)
}

// body emits the row loop, for rows of at most 48 values when short. r
// holds rowLen.
func body(name string, r GPVirtual, short bool) {
	l := func(s string) string { return name + "_" + s }
	// wd = bits [16, 16+min(rowLen, 48)); rmax = rowLen - 48.
	wd, rmax := GP64(), GP64()
	if short {
		MOVQ(I32(-1), wd)
		BZHIQ(r, wd, wd)
		SHLQ(U8(16), wd)
	} else {
		MOVQ(r, rmax)
		SUBQ(U8(48), rmax)
		MOVQ(I32(-65536), wd)
	}
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	dstep := Load(Param("dstep"), GP64())
	sdelta := Load(Param("sstep"), GP64())
	SUBQ(dstep, sdelta) // src advance minus dst advance per window
	p, q, sbase, e, sidx, emin, m := GP64(), GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	acc := ZMM()

	Label(l("row"))
	XORQ(p, p)
	// q = p - tlo·dstep, sbase = tlo·sstep + q: where the vector at p
	// starts in window tlo, and its source.
	XORQ(q, q)
	XORQ(sbase, sbase)

	Label(l("vec"))
	// K1: the lanes of dst from p on, at most 16.
	MOVL(U32(0xFFFF), m.As32())
	MOVQ(paramAddr("span"), e)
	SUBQ(p, e)
	CMPQ(e, U8(16))
	JGE(LabelRef(l("full")))
	BZHIQ(e, m, m)
	Label(l("full"))
	KMOVW(m.As32(), K1)
	VMOVUPS_Z(Mem{Base: dst, Index: p, Scale: 4}, K1, acc)

	// Skip the windows that end at or before p.
	Label(l("skip"))
	CMPQ(q, paramAddr("rowLen"))
	JL(LabelRef(l("first")))
	SUBQ(dstep, q)
	ADDQ(sdelta, sbase)
	JMP(LabelRef(l("skip")))

	Label(l("first"))
	LEAQ(Mem{Base: q, Disp: 16}, e)
	MOVQ(sbase, sidx)
	// emin = max(0, p - n·dstep + 16): e > emin means t < n and d > -16.
	MOVQ(p, emin)
	SUBQ(paramAddr("nd"), emin)
	ADDQ(U8(16), emin)
	XORL(m.As32(), m.As32())
	CMPQ(emin, m)
	CMOVQLT(m, emin)
	CMPQ(e, emin)
	JLE(LabelRef(l("store")))

	Label(l("window"))
	if short {
		SHRXQ(e, wd, m) // KMOVW keeps the low 16 bits
	} else {
		// A window that covers the vector whole (16 ≤ e ≤ rowLen) needs
		// no mask; long rows have many.
		CMPQ(e, U8(16))
		JL(LabelRef(l("part")))
		CMPQ(e, r)
		JG(LabelRef(l("part")))
		VADDPS(Mem{Base: src, Index: sidx, Scale: 4}, acc, acc)
		JMP(LabelRef(l("next")))
		Label(l("part"))
		MOVQ(e, m)
		SUBQ(U8(16), m)
		t := GP64()
		XORL(t.As32(), t.As32())
		CMPQ(m, t)
		CMOVQLT(t, m)
		CMPQ(m, rmax)
		CMOVQGT(rmax, m)
		MOVQ(e, t)
		SUBQ(m, t)
		SHRXQ(t, wd, m)
	}
	KMOVW(m.As32(), K2)
	// dst value first, as AddTo's VADDPS and Go's += have it (which
	// NaN's payload survives).
	VADDPS(Mem{Base: src, Index: sidx, Scale: 4}, acc, K2, acc)
	Label(l("next"))
	SUBQ(dstep, e)
	ADDQ(sdelta, sidx)
	CMPQ(e, emin)
	JG(LabelRef(l("window")))

	Label(l("store"))
	VMOVUPS(acc, K1, Mem{Base: dst, Index: p, Scale: 4})
	ADDQ(U8(16), p)
	ADDQ(U8(16), q)
	ADDQ(U8(16), sbase)
	CMPQ(p, paramAddr("span"))
	JL(LabelRef(l("vec")))

	MOVQ(paramAddr("drs"), m)
	LEAQ(Mem{Base: dst, Index: m, Scale: 4}, dst)
	MOVQ(paramAddr("srs"), m)
	LEAQ(Mem{Base: src, Index: m, Scale: 4}, src)
	DECQ(paramAddr("rows")) // ABI0: the argument slots are the callee's
	JNZ(LabelRef(l("row")))
	VZEROUPPER()
	RET()
}
