package main

// The AVX-512 loops of 2×2 max pooling that keep, instead of an int32 index
// per output, the position of its winner within its window as one byte
// (0 top left, 1 top right, 2 bottom left, 3 bottom right). Both walk a
// whole sample: oh rows of ow windows, each window's c channels in blocks
// of 16, the last block under a lane mask (tail) so that nothing outside
// the sample's cells and outputs is read or written.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// winsDoc is the contract both loops share.
var winsDoc = []string{
	"Sample geometry: the input is (2·oh or more, rs/c, c) with rows of rs values,",
	"window (i, j) of channel ch the cells p, p+c, p+rs, p+rs+c with",
	"p = 2·i·rs + 2·j·c + ch (positions 0, 1, 2, 3), its output t = (i·ow + j)·c + ch;",
	"oh, ow, c ≥ 1. Channels go 16 at a time, the last block of each window",
	"under the lane mask tail ((1 << (c%16)) - 1, or 0xFFFF when 16 divides c);",
	"nothing else is read or written.",
}

// winsLoop emits the loop over a sample's windows and 16-channel blocks
// around body, which works on one block: cell at (p), (p+cb), (q), (q+cb),
// output values at (op) and winner bytes at (wp), lanes K1.
// setup runs once, before the loop.
func winsLoop(name, sig string, doc []string, setup func(), body func(p, q, cb, op, wp GPVirtual)) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(doc...)
	img := Load(Param("img"), GP64())
	out := Load(Param("out"), GP64())
	win := Load(Param("win"), GP64())
	oh := Load(Param("oh"), GP64())
	ow := Load(Param("ow"), GP64())
	c := Load(Param("c"), GP64())
	rs := Load(Param("rs"), GP64())
	tail := GP64()
	Load(Param("tail"), tail)
	KMOVW(tail.As32(), K6)
	full := GP32()
	MOVL(U32(0xFFFF), full)
	KMOVW(full, K7)
	setup()
	cb := GP64() // bytes of one cell's channels
	MOVQ(c, cb)
	SHLQ(U8(2), cb)
	SHLQ(U8(2), rs) // now bytes of one input row
	j, blocks := GP64(), GP64()
	p, q, op, wp := GP64(), GP64(), GP64(), GP64()

	Label(name + "_row")
	MOVQ(ow, j)
	xw := GP64() // the window's first cell
	MOVQ(img, xw)
	Label(name + "_window")
	MOVQ(xw, p)
	LEAQ(Mem{Base: xw, Index: rs, Scale: 1}, q)
	MOVQ(out, op)
	MOVQ(win, wp)
	MOVQ(c, blocks)
	ADDQ(U8(15), blocks)
	SHRQ(U8(4), blocks)
	Label(name + "_block")
	KMOVW(K7, K1)
	CMPQ(blocks, U8(1))
	JNE(LabelRef(name + "_body"))
	KMOVW(K6, K1)
	Label(name + "_body")
	body(p, q, cb, op, wp)
	ADDQ(U8(64), p)
	ADDQ(U8(64), q)
	ADDQ(U8(64), op)
	ADDQ(U8(16), wp)
	DECQ(blocks)
	JNZ(LabelRef(name + "_block"))
	// Next window: two cells on in the image, one in the outputs.
	LEAQ(Mem{Base: xw, Index: cb, Scale: 2}, xw)
	ADDQ(cb, out)
	ADDQ(c, win)
	DECQ(j)
	JNZ(LabelRef(name + "_window"))
	// Next row of windows: two rows on in the image.
	LEAQ(Mem{Base: img, Index: rs, Scale: 2}, img)
	DECQ(oh)
	JNZ(LabelRef(name + "_row"))
	VZEROUPPER()
	RET()
}

// winsForward emits maxPool2x2Wins16: the four cells compared in order
// under MaxPool2x2's rule, the winner's position tracked as dwords and
// narrowed to bytes on the way out.
func winsForward() {
	doc := append([]string{
		"maxPool2x2Wins16 is maxPool2x2WinsSample's pure-Go loop for one sample:",
		"out[t] is the first cell of window t's scan (positions in order) that is",
		"greater than every cell before it, or NaN when none before it is, and",
		"win[t] its position.",
		"",
	}, winsDoc...)
	winsLoop("maxPool2x2Wins16", "func(out *float32, win *uint8, img *float32, oh int, ow int, c int, rs int, tail int)", doc,
		func() { winsConsts(VPBROADCASTD) },
		func(p, q, cb, op, wp GPVirtual) {
			best, pos, v := Z0, Z1, Z2
			VMOVUPS_Z(Mem{Base: p}, K1, best)
			VPXORD(pos, pos, pos)
			for k, mem := range []Mem{{Base: p, Index: cb, Scale: 1}, {Base: q}, {Base: q, Index: cb, Scale: 1}} {
				VMOVUPS_Z(mem, K1, v)
				VCMPPS(U8(0x1e), best, v, K2)        // v > best, ordered (GT_OQ)
				VCMPPS(U8(0x03), v, v, K3)           // v is NaN (UNORD_Q)
				VCMPPS(U8(0x07), best, best, K3, K3) // … and best is not (ORD_Q)
				KORW(K2, K3, K2)
				VMOVAPS(v, K2, best)
				VMOVDQA32(posConst[k], K2, pos)
			}
			VMOVUPS(best, K1, Mem{Base: op})
			// Narrowed in a register, then stored: VPMOVDB to memory is
			// microcoded and slow on AMD's cores.
			VPMOVDB(pos, X3)
			VMOVDQU8(X3, K1, Mem{Base: wp})
		})
}

// posConst are the zmm registers holding positions 1, 2, 3 in every dword
// lane (forward) or byte lane (backward); winsConsts sets them.
var posConst = []VecPhysical{Z29, Z30, Z31}

// winsConsts fills posConst with bcast (VPBROADCASTD or VPBROADCASTB).
func winsConsts(bcast func(...Op)) {
	t := GP32()
	for k, z := range posConst {
		MOVL(U32(k+1), t)
		bcast(t, z)
	}
}

// winsBackward emits maxPool2x2WinsBack16: each window's output gradient
// added to the one cell its byte names, the other three left untouched
// (not even stored), so a losing −0 stays −0. With set it emits
// maxPool2x2WinsSet16 instead, which writes every cell of every window,
// never reading one: 0 + gradient at the winner (the sum adding to a
// zeroed cell gives), +0 elsewhere.
func winsBackward(set bool) {
	name, doc := "maxPool2x2WinsBack16", []string{
		"maxPool2x2WinsBack16 is maxPool2x2WinsBackSample's pure-Go loop for one",
		"sample: img[cell] = img[cell] + out[t] (that operand order, which decides",
		"which NaN survives) for the cell of window t at position win[t], every",
		"other cell untouched.",
		"",
	}
	if set {
		name, doc = "maxPool2x2WinsSet16", []string{
			"maxPool2x2WinsSet16 is maxPool2x2WinsBack16 on an img of zeros, without",
			"reading it: img[cell] = +0 + out[t] for the cell of window t at position",
			"win[t], img[cell] = +0 for its other three cells.",
			"",
		}
	}
	winsLoop(name, "func(img *float32, out *float32, win *uint8, oh int, ow int, c int, rs int, tail int)", append(doc, winsDoc...),
		func() {
			winsConsts(VPBROADCASTB)
			VPXORD(X28, X28, X28) // Z28 = +0 in every lane
		},
		func(p, q, cb, op, wp GPVirtual) {
			codes, d, v := X0, Z1, Z2
			VMOVDQU8_Z(Mem{Base: wp}, K1, codes)
			VMOVUPS_Z(Mem{Base: op}, K1, d)
			for k, mem := range []Mem{{Base: p}, {Base: p, Index: cb, Scale: 1}, {Base: q}, {Base: q, Index: cb, Scale: 1}} {
				c := Register(X28) // zeros
				if k > 0 {
					c = posConst[k-1].AsX()
				}
				VPCMPEQB(c, codes, K1, K2) // lanes of this block whose winner is cell k
				if set {
					VADDPS_Z(d, Z28, K2, v) // v = +0 + d at the winners, +0 elsewhere
					VMOVUPS(v, K1, mem)
					continue
				}
				VMOVUPS_Z(mem, K2, v)
				VADDPS(d, v, K2, v) // v = v + d
				VMOVUPS(v, K2, mem)
			}
		})
}

// winsRow8 emits maxPool2x2WinsRow8, maxPool2x2Row8 with positions in the
// place of indices (AVX2): for the few channels that leave most lanes of
// a 16-lane block idle, and for CPUs without AVX-512.
func winsRow8() {
	TEXT("maxPool2x2WinsRow8", NOSPLIT, "func(y *float32, win *uint8, x *float32, ow int, c int, rs int)")
	Pragma("noescape")
	Doc("maxPool2x2WinsRow8 is maxPool2x2Row8 (the same arguments and room past",
		"the row, counted in bytes for win) with win[j·c+ch] set to the winner's",
		"position in its window (0, 1, 2, 3 for x[p], x[p+c], x[p+rs], x[p+rs+c])",
		"instead of arg to its index.")
	y, win, x := GP64(), GP64(), GP64()
	Load(Param("y"), y)
	Load(Param("win"), win)
	Load(Param("x"), x)
	ow, c, rs := Load(Param("ow"), GP64()), Load(Param("c"), GP64()), Load(Param("rs"), GP64())
	pos := []VecVirtual{YMM(), YMM(), YMM()}
	t, tx := GP64(), XMM()
	for k, v := range pos {
		MOVQ(U32(k+1), t)
		MOVQ(t, tx)
		VPBROADCASTD(tx, v)
	}
	cb := GP64() // bytes of one cell's channels
	MOVQ(c, cb)
	SHLQ(U8(2), cb)
	SHLQ(U8(2), rs)
	blocks, p, q, yp, wp := GP64(), GP64(), GP64(), GP64(), GP64()
	Label("wins8_window")
	MOVQ(x, p)
	LEAQ(Mem{Base: x, Index: rs, Scale: 1}, q)
	MOVQ(y, yp)
	MOVQ(win, wp)
	MOVQ(c, blocks)
	ADDQ(U8(7), blocks)
	SHRQ(U8(3), blocks)
	Label("wins8_block")
	best, at := YMM(), YMM()
	VMOVUPS(Mem{Base: p}, best)
	VPXOR(at, at, at)
	for k, mem := range []Mem{{Base: p, Index: cb, Scale: 1}, {Base: q}, {Base: q, Index: cb, Scale: 1}} {
		m := row8Wins(mem, best)
		VBLENDVPS(m, pos[k], at, at)
	}
	VMOVUPS(best, Mem{Base: yp})
	// Eight dwords of at (each 0..3) to eight bytes.
	hi, lo := XMM(), XMM()
	VEXTRACTI128(U8(1), at, hi)
	VPACKUSDW(hi, at.AsX(), lo)
	VPACKUSWB(lo, lo, lo)
	MOVQ(lo, Mem{Base: wp})
	ADDQ(U8(32), yp)
	ADDQ(U8(8), wp)
	ADDQ(U8(32), p)
	ADDQ(U8(32), q)
	DECQ(blocks)
	JNZ(LabelRef("wins8_block"))
	LEAQ(Mem{Base: x, Index: cb, Scale: 2}, x)
	ADDQ(cb, y)
	ADDQ(c, win)
	DECQ(ow)
	JNZ(LabelRef("wins8_window"))
	VZEROUPPER()
	RET()
}
