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

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

func main() {
	ConstraintExpr("amd64,!purego")
	rows()
	Generate()
}

// rows emits col2imRowsAVX512. Sizes are in values; p is the offset in
// dx's row of the current vector, window t covers dx[t·dstep, t·dstep +
// rowLen) and reads src[t·sstep:]. For the vector at p, d = p - t·dstep is
// the window's lane offset: lanes [max(0,-d), min(16, rowLen-d)) overlap,
// read from src[t·sstep + d:]. The loops count e = d + 16 rather than d.
// Windows go from tlo, the first that ends past p, while e > max(0, p +
// 16 - n·dstep) (the window starts before p+16, and t < n). The windows
// with e ≥ rowLen end in this vector; the first after them is the next
// vector's tlo.
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
	r := GP64()
	Load(Param("rowLen"), r)
	CMPQ(r, U8(48))
	JG(LabelRef("long"))
	body("short", r, true)
	Label("long")
	body("long", r, false)
}

// loop is the state of body's loops.
type loop struct {
	name                     string
	short                    bool
	r, wd, rmax              GPVirtual // rowLen, the mask word, rowLen-48
	dst, src, dstep, sdelta  GPVirtual
	p, q, sbase, e, sidx, em GPVirtual
	m                        GPVirtual
	acc                      VecVirtual
}

func (l *loop) label(s string) string { return l.name + "_" + s }

// body emits the row loop, for rows of at most 48 values when short. r
// holds rowLen. The rarely changing sizes (span, nd, drs, srs, rows) are
// read from their stack slots (asm.ParamAddr), which leaves the registers
// to the loop.
func body(name string, r GPVirtual, short bool) {
	l := &loop{name: name, short: short, r: r, wd: GP64(), rmax: GP64()}
	// wd = bits [16, 16+min(rowLen, 48)); rmax = rowLen - 48.
	if short {
		MOVQ(I32(-1), l.wd)
		BZHIQ(r, l.wd, l.wd)
		SHLQ(U8(16), l.wd)
	} else {
		MOVQ(r, l.rmax)
		SUBQ(U8(48), l.rmax)
		MOVQ(I32(-65536), l.wd)
	}
	l.dst = Load(Param("dst"), GP64()).(GPVirtual)
	l.src = Load(Param("src"), GP64()).(GPVirtual)
	l.dstep = Load(Param("dstep"), GP64()).(GPVirtual)
	l.sdelta = Load(Param("sstep"), GP64()).(GPVirtual)
	SUBQ(l.dstep, l.sdelta) // src advance minus dst advance per window
	l.p, l.q, l.sbase, l.e, l.sidx, l.em, l.m = GP64(), GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	l.acc = ZMM()

	Label(l.label("row"))
	XORQ(l.p, l.p)
	// q = p - tlo·dstep, sbase = tlo·sstep + q: where the vector at p
	// starts in window tlo, and its source.
	XORQ(l.q, l.q)
	XORQ(l.sbase, l.sbase)
	Label(l.label("full"))
	LEAQ(Mem{Base: l.p, Disp: 16}, l.e)
	CMPQ(l.e, asm.ParamAddr("span"))
	JG(LabelRef(l.label("tail")))
	l.vector(false)
	JMP(LabelRef(l.label("full")))

	Label(l.label("tail"))
	CMPQ(l.p, asm.ParamAddr("span"))
	JGE(LabelRef(l.label("next_row")))
	// K1: the last span-p < 16 lanes of dst.
	MOVQ(asm.ParamAddr("span"), l.e)
	SUBQ(l.p, l.e)
	MOVL(U32(0xFFFF), l.m.As32())
	BZHIQ(l.e, l.m, l.m)
	KMOVW(l.m.As32(), K1)
	l.vector(true)

	Label(l.label("next_row"))
	MOVQ(asm.ParamAddr("drs"), l.m)
	LEAQ(Mem{Base: l.dst, Index: l.m, Scale: 4}, l.dst)
	MOVQ(asm.ParamAddr("srs"), l.m)
	LEAQ(Mem{Base: l.src, Index: l.m, Scale: 4}, l.src)
	DECQ(asm.ParamAddr("rows")) // ABI0: the argument slots are the callee's
	JNZ(LabelRef(l.label("row")))
	VZEROUPPER()
	RET()
}

// vector emits the vector at p: loaded (the lanes of K1 when masked),
// every window from tlo added, stored; then p, q and sbase move on.
func (l *loop) vector(masked bool) {
	v := func(s string) string {
		if masked {
			return l.label("tail_" + s)
		}
		return l.label(s)
	}
	at := Mem{Base: l.dst, Index: l.p, Scale: 4}
	if masked {
		VMOVUPS_Z(at, K1, l.acc)
	} else {
		VMOVUPS(at, l.acc)
	}
	LEAQ(Mem{Base: l.q, Disp: 16}, l.e)
	MOVQ(l.sbase, l.sidx)
	// em = max(0, p + 16 - n·dstep).
	MOVQ(l.p, l.em)
	SUBQ(asm.ParamAddr("nd"), l.em)
	ADDQ(U8(16), l.em)
	XORL(l.m.As32(), l.m.As32())
	CMPQ(l.em, l.m)
	CMOVQLT(l.m, l.em)

	// Windows that end in this vector (e ≥ rowLen).
	Label(v("ending"))
	CMPQ(l.e, l.em)
	JLE(LabelRef(v("done")))
	CMPQ(l.e, l.r)
	JL(LabelRef(v("rest")))
	l.add(v("ending_add"))
	JMP(LabelRef(v("ending")))

	// The first window that goes on past this vector is the next
	// vector's tlo.
	Label(v("rest"))
	LEAQ(Mem{Base: l.e, Disp: -16}, l.q)
	MOVQ(l.sidx, l.sbase)
	Label(v("more"))
	l.add(v("more_add"))
	CMPQ(l.e, l.em)
	JG(LabelRef(v("more")))
	JMP(LabelRef(v("store")))

	Label(v("done"))
	LEAQ(Mem{Base: l.e, Disp: -16}, l.q)
	MOVQ(l.sidx, l.sbase)

	Label(v("store"))
	if masked {
		VMOVUPS(l.acc, K1, at)
	} else {
		VMOVUPS(l.acc, at)
	}
	ADDQ(U8(16), l.p)
	ADDQ(U8(16), l.q)
	ADDQ(U8(16), l.sbase)
}

// add emits one window's masked add into acc, then steps e and sidx to
// the next window. lab names its internal labels.
func (l *loop) add(lab string) {
	if l.short {
		SHRXQ(l.e, l.wd, l.m) // KMOVW keeps the low 16 bits
	} else {
		// A window that covers the vector whole (16 ≤ e ≤ rowLen) needs
		// no mask; long rows have many.
		CMPQ(l.e, U8(16))
		JL(LabelRef(lab + "_part"))
		CMPQ(l.e, l.r)
		JG(LabelRef(lab + "_part"))
		VADDPS(Mem{Base: l.src, Index: l.sidx, Scale: 4}, l.acc, l.acc)
		JMP(LabelRef(lab + "_next"))
		Label(lab + "_part")
		t := GP64()
		MOVQ(l.e, l.m)
		SUBQ(U8(16), l.m)
		XORL(t.As32(), t.As32())
		CMPQ(l.m, t)
		CMOVQLT(t, l.m)
		CMPQ(l.m, l.rmax)
		CMOVQGT(l.rmax, l.m)
		MOVQ(l.e, t)
		SUBQ(l.m, t)
		SHRXQ(t, l.wd, l.m)
	}
	KMOVW(l.m.As32(), K2)
	// dst value first, as AddTo's VADDPS and Go's += have it (which
	// NaN's payload survives).
	VADDPS(Mem{Base: l.src, Index: l.sidx, Scale: 4}, l.acc, K2, l.acc)
	if !l.short {
		Label(lab + "_next")
	}
	SUBQ(l.dstep, l.e)
	ADDQ(l.sdelta, l.sidx)
}
