package main

// maxPool2x2WinsBackNarrow: the backward pass of wins.go for fewer than 16
// channels. Going window by window would leave most lanes of each vector
// idle, and each window's masked stores would overlap the next window's
// loads (which then wait for them). Instead it walks each row of dx in
// whole 16-value vectors: lane u of a row belongs to window u/(2c) and
// output channel (u%(2c))%c, so a vector's gradients and winner bytes are
// a permutation of at most 32 consecutive values of dy and win, and its
// lanes' positions (left or right cell) a fixed pattern. Both repeat every
// few vectors; Go computes them once per channel count (the table).

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// narrowRec is the bytes of one vector's record in the table: 16 int32
// lane indices into the 32 values of dy at its base, 16 int32 positions
// (0 left, 1 right), the base (int32, dy values from the period's start),
// padding to a whole number of cache lines.
const narrowRec = 192

// With set it emits maxPool2x2WinsSetNarrow, maxPool2x2WinsSet16's
// counterpart.
func winsBackNarrow(set bool) {
	name, first := "maxPool2x2WinsBackNarrow", "maxPool2x2WinsBackNarrow is maxPool2x2WinsBack16 (same arguments, c < 16) for"
	if set {
		name, first = "maxPool2x2WinsSetNarrow", "maxPool2x2WinsSetNarrow is maxPool2x2WinsSet16 (same arguments, c < 16) for"
	}
	TEXT(name, NOSPLIT, "func(img *float32, out *float32, win *uint8, oh int, ow int, c int, rs int, tab *int32, period int)")
	Pragma("noescape")
	Doc(first,
		"few channels, row of dx by row: for vector v of a row (values 16v … 16v+15",
		"of its first 2·ow·c) and k = v mod period, its lanes take the gradients",
		"out[b + idx[l]] with b = 8·period·(v/period) + base (int32 at tab[k·48+32]),",
		"idx the int32s at tab[k·48], where win[b + idx[l]] equals the int32 at",
		"tab[k·48+16+l] (plus 2 in the second row of the pair). Reads of out and win",
		"stop at the end of their row, of img at 2·ow·c values of each row.")
	img, out, win := GP64(), GP64(), GP64()
	Load(Param("img"), img)
	Load(Param("out"), out)
	Load(Param("win"), win)
	oh, ow, c := Load(Param("oh"), GP64()), Load(Param("ow"), GP64()), Load(Param("c"), GP64())
	rs := GP64()
	Load(Param("rs"), rs)
	SHLQ(U8(2), rs) // bytes of one image row
	owc := GP64()   // values of one row of out
	MOVQ(ow, owc)
	IMULQ(c, owc)
	narrowConsts()

	p, cnt, tp, left, dyb := GP64(), GP64(), GP64(), GP64(), GP64()
	Label(name + "_row")
	MOVQ(img, p)
	MOVQ(owc, cnt)
	SHLQ(U8(1), cnt)
	Load(Param("tab"), tp)
	Load(Param("period"), left)
	XORQ(dyb, dyb)
	Label(name + "_vec")
	// Vectors inside the row whose 32 gradients are too (all but the last
	// one or two of a row) take the body without masks.
	b := GP64()
	MOVLQSX(Mem{Base: tp, Disp: 128}, b)
	ADDQ(dyb, b)
	CMPQ(cnt, U8(16))
	JL(LabelRef(name + "_edge"))
	rem := GP64()
	MOVQ(owc, rem)
	SUBQ(b, rem)
	CMPQ(rem, U8(32))
	JL(LabelRef(name + "_edge"))
	narrowBody(set, false, p, rs, tp, b, out, win)
	JMP(LabelRef(name + "_next"))
	Label(name + "_edge")
	narrowLanes(name, cnt)
	narrowGather(name, b, owc, out, win)
	narrowBody(set, true, p, rs, tp, b, out, win)
	Label(name + "_next")
	ADDQ(U8(64), p)
	ADDQ(U32(narrowRec), tp)
	DECQ(left)
	JNZ(LabelRef(name + "_same"))
	// A period done: the table again, dy 8·period values on.
	Load(Param("tab"), tp)
	Load(Param("period"), left)
	LEAQ(Mem{Base: dyb, Index: left, Scale: 8}, dyb)
	Label(name + "_same")
	SUBQ(U8(16), cnt)
	JG(LabelRef(name + "_vec"))

	LEAQ(Mem{Base: img, Index: rs, Scale: 2}, img)
	LEAQ(Mem{Base: out, Index: owc, Scale: 4}, out)
	ADDQ(owc, win)
	DECQ(oh)
	JNZ(LabelRef(name + "_row"))
	VZEROUPPER()
	RET()
}

// narrowConsts sets K7 to all 16 lanes, Z31 to 2 and Z30 to +0 in every
// lane.
func narrowConsts() {
	full := GP32()
	MOVL(U32(0xFFFF), full)
	KMOVW(full, K7)
	two := GP32()
	MOVL(U32(2), two)
	VPBROADCASTD(two, Z31)
	VPXORD(Z30, Z30, Z30)
}

// narrowLanes sets K1 to the lanes of this vector inside the row: all 16,
// or the cnt left.
func narrowLanes(name string, cnt GPVirtual) {
	KMOVW(K7, K1)
	CMPQ(cnt, U8(16))
	JGE(LabelRef(name + "_lanes"))
	m := GP32()
	MOVL(U32(0xFFFF), m)
	BZHIL(cnt.As32(), m, m)
	KMOVW(m, K1)
	Label(name + "_lanes")
}

// narrowGather sets K4 and K5 to the first 16 and the next 16 of the 32
// values of out and win at b that come before the row's end (owc).
func narrowGather(name string, b, owc, out, win GPVirtual) {
	rem, m := GP64(), GP32()
	MOVQ(owc, rem)
	SUBQ(b, rem)
	MOVL(U32(0xFFFFFFFF), m)
	CMPQ(rem, U8(32))
	JGE(LabelRef(name + "_all"))
	BZHIL(rem.As32(), m, m)
	Label(name + "_all")
	KMOVD(m, K4)
	KSHIFTRD(U8(16), K4, K5)
}

// narrowBody does one vector of the pair of dx rows at p and p+rs (its
// lanes K1 when masked, all 16 otherwise): its gradients (Z1) and its
// winners' positions (Z4, int32 lanes) permuted by the record at tp from
// the 32 values of out and win at b (K4, K5 when masked), then the update
// of the winners' cells.
func narrowBody(set, masked bool, p, rs, tp, b, out, win GPVirtual) {
	dy0, dy1 := Mem{Base: out, Index: b, Scale: 4}, Mem{Base: out, Index: b, Scale: 4, Disp: 64}
	if masked {
		VMOVUPS_Z(dy0, K4, Z1)
		VMOVUPS_Z(dy1, K5, Z2)
		VMOVDQU8_Z(Mem{Base: win, Index: b, Scale: 1}, K4, Y3)
		VPMOVZXBD(X3, Z4)
		VEXTRACTI128(U8(1), Y3, X5)
		VPMOVZXBD(X5, Z5)
	} else {
		VMOVUPS(dy0, Z1)
		VMOVUPS(dy1, Z2)
		VPMOVZXBD(Mem{Base: win, Index: b, Scale: 1}, Z4)
		VPMOVZXBD(Mem{Base: win, Index: b, Scale: 1, Disp: 16}, Z5)
	}
	VMOVDQU32(Mem{Base: tp}, Z6)
	VPERMT2PS(Z2, Z6, Z1) // Z1 = (Z1:Z2)[Z6]
	VPERMT2D(Z5, Z6, Z4)  // Z4 = (Z4:Z5)[Z6]
	// Positions 0/1 in the first row of the pair, 2/3 in the second.
	VMOVDQU32(Mem{Base: tp, Disp: 64}, Z6)
	if masked {
		VPCMPEQD(Z6, Z4, K1, K2)
		VPADDD(Z31, Z6, Z6)
		VPCMPEQD(Z6, Z4, K1, K3)
	} else {
		VPCMPEQD(Z6, Z4, K2)
		VPADDD(Z31, Z6, Z6)
		VPCMPEQD(Z6, Z4, K3)
	}
	for k, mem := range []Mem{{Base: p}, {Base: p, Index: rs, Scale: 1}} {
		switch {
		case set:
			VADDPS_Z(Z1, Z30, []Register{K2, K3}[k], Z8) // +0 + dy at the winners, +0 elsewhere
		case masked:
			VMOVUPS_Z(mem, K1, Z8)
			VADDPS(Z1, Z8, []Register{K2, K3}[k], Z8) // dx + dy, winners only
		default:
			VMOVUPS(mem, Z8)
			VADDPS(Z1, Z8, []Register{K2, K3}[k], Z8)
		}
		if masked {
			VMOVUPS(Z8, K1, mem)
		} else {
			VMOVUPS(Z8, mem)
		}
	}
}
