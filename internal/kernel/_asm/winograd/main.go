// Command winograd generates the amd64 transforms of package kernel's
// Winograd convolution (conv_winograd_amd64.s) with avo. Run it through go
// generate in package kernel.
//
// F(2×2, 3×3): a 4×4 input tile d and a 3×3 kernel g give a 2×2 output
// tile Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A; the weight gradient takes a 2×2 output
// gradient y to the cells as A y Aᵀ. Every transform works on 16 channels at
// once, one zmm per tile cell, channels being the last (contiguous) axis
// of every operand; the sums are written out in the order conv_winograd.go's
// pure-Go transforms use.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

func main() {
	ConstraintExpr("amd64,!purego")
	half := GLOBL("winoHalf", RODATA|NOPTR)
	DATA(0, F32(0.5))
	input()
	output()
	kernelTransform(half)
	grad()
	Generate()
}

// input emits winoInputAVX512: Bᵀ d B of tiles 4×4 pixels apart by 2.
func input() {
	TEXT("winoInputAVX512", NOSPLIT, "func(v *float32, vs int, x *float32, rs int, c int, tiles int)")
	Pragma("noescape")
	Doc("winoInputAVX512 transforms tiles consecutive input tiles of one tile row:",
		"tile j's cells are d[r][s] = x[r·rs + (2j+s)·c + ch], and",
		"v[(4r'+s')·vs + j·c + ch] = (Bᵀ d B)[r'][s'] for every channel ch < c",
		"(c a multiple of 16, tiles ≥ 1), as winoInputGo computes it.")
	v := Load(Param("v"), GP64())
	vs := Load(Param("vs"), GP64())
	SHLQ(U8(2), vs)
	x := Load(Param("x"), GP64())
	rs := Load(Param("rs"), GP64())
	SHLQ(U8(2), rs)
	c := Load(Param("c"), GP64())
	SHLQ(U8(2), c) // bytes per pixel
	tiles := Load(Param("tiles"), GP64())
	vs3 := asm.Times3(vs)
	rs3 := asm.Times3(rs)
	c3 := asm.Times3(c)

	tileRow("", x, v, c, tiles, func(xp, vp Register) {
		d := loadTile(xp, rs, rs3, c, c3)
		// t = Bᵀ d, by columns.
		var t [4][4]VecVirtual
		for s := 0; s < 4; s++ {
			t[0][s], t[1][s], t[2][s], t[3][s] = ZMM(), ZMM(), ZMM(), ZMM()
			VSUBPS(d[2][s], d[0][s], t[0][s]) // d0 - d2
			VADDPS(d[2][s], d[1][s], t[1][s]) // d1 + d2
			VSUBPS(d[1][s], d[2][s], t[2][s]) // d2 - d1
			VSUBPS(d[3][s], d[1][s], t[3][s]) // d1 - d3
		}
		// V = t B, by rows, stored at vp + (4r+s)·vs.
		for r := 0; r < 4; r++ {
			o := [4]VecVirtual{ZMM(), ZMM(), ZMM(), ZMM()}
			VSUBPS(t[r][2], t[r][0], o[0])
			VADDPS(t[r][2], t[r][1], o[1])
			VSUBPS(t[r][1], t[r][2], o[2])
			VSUBPS(t[r][3], t[r][1], o[3])
			for s := 0; s < 4; s++ {
				storeXi(o[s], vp, vs, vs3, 4*r+s)
			}
		}
	})
}

// tileRow emits the loops of a transform of tiles consecutive tiles of one
// tile row (labels prefix+"tile" and prefix+"block"), 16 channels a block
// (px, the bytes of a pixel's channels, a multiple of 64): body transforms
// the block at sp into dp; then src moves on two pixels to the next tile
// and dst by px, to its next row.
func tileRow(prefix string, src, dst, px, tiles Register, body func(sp, dp Register)) {
	Label(prefix + "tile")
	sp, dp, blocks := GP64(), GP64(), GP64()
	MOVQ(src, sp)
	MOVQ(dst, dp)
	MOVQ(px, blocks)
	SHRQ(U8(6), blocks) // 16-channel blocks
	Label(prefix + "block")
	body(sp, dp)
	ADDQ(U8(64), sp)
	ADDQ(U8(64), dp)
	DECQ(blocks)
	JNZ(LabelRef(prefix + "block"))
	LEAQ(Mem{Base: src, Index: px, Scale: 2}, src) // next tile: two pixels on
	ADDQ(px, dst)                                  // next row of dst
	DECQ(tiles)
	JNZ(LabelRef(prefix + "tile"))
	VZEROUPPER()
	RET()
}

// loadTile loads the 4×4 cells of one tile, d[r][s] at base + r·rs +
// s·c, one zmm each (rs3 = 3·rs, c3 = 3·c).
func loadTile(base, rs, rs3, c, c3 Register) [4][4]VecVirtual {
	var d [4][4]VecVirtual
	rp := GP64()
	for r := 0; r < 4; r++ {
		if r == 0 {
			MOVQ(base, rp)
		} else {
			LEAQ(asm.Step(base, rs, rs3, r), rp)
		}
		for s := 0; s < 4; s++ {
			d[r][s] = ZMM()
			VMOVUPS(asm.Step(rp, c, c3, s), d[r][s])
		}
	}
	return d
}

// storeXi stores z at base + xi·stride, stride and 3·stride in registers.
func storeXi(z VecVirtual, base, st, st3 Register, xi int) {
	VMOVUPS(z, xiAddr(base, st, st3, xi))
}

// loadXi loads base + xi·stride into z, as storeXi addresses it.
func loadXi(z VecVirtual, base, st, st3 Register, xi int) {
	VMOVUPS(xiAddr(base, st, st3, xi), z)
}

// xiAddr is base + xi·stride for a cell xi < 16 of a transformed tile:
// xi = 4q + k is base + q·4·st + k·st, a scratch register holding
// base + 4q·st for q > 0.
func xiAddr(base, st, st3 Register, xi int) Mem {
	q, k := xi/4, xi%4
	b := base
	if q > 0 {
		b = GP64()
		LEAQ(Mem{Base: base, Index: st, Scale: 4}, b)
		for i := 1; i < q; i++ {
			LEAQ(Mem{Base: b, Index: st, Scale: 4}, b)
		}
	}
	return asm.Step(b, st, st3, k)
}

// output emits winoOutputAVX512: Aᵀ m A of consecutive tiles, the
// epilogue, and the 2×2 pixels written.
func output() {
	TEXT("winoOutputAVX512", NOSPLIT, "func(y *float32, ldy int, m *float32, ms int, f int, tiles int, scale *float32, shift *float32, flags int)")
	Pragma("noescape")
	Doc("winoOutputAVX512 finishes tiles consecutive output tiles of one tile row:",
		"with m[ξ] = m[ξ·ms + j·f + ch], the 2×2 tile Aᵀ m A goes through the epilogue",
		"(flags as convTileAVX512x32's, scale and shift per channel) to",
		"y[r·ldy + (2j+q)·f + ch], for every channel ch < f (f a multiple of 16,",
		"tiles ≥ 1), as winoOutputGo computes it.")
	y := Load(Param("y"), GP64())
	ldy := Load(Param("ldy"), GP64())
	SHLQ(U8(2), ldy)
	m := Load(Param("m"), GP64())
	ms := Load(Param("ms"), GP64())
	SHLQ(U8(2), ms)
	f := Load(Param("f"), GP64())
	SHLQ(U8(2), f)
	tiles := Load(Param("tiles"), GP64())
	sc := Load(Param("scale"), GP64())
	sh := Load(Param("shift"), GP64())
	flags := Load(Param("flags"), GP64())
	ms3 := asm.Times3(ms)

	Label("otile")
	yp, mp, off, blocks := GP64(), GP64(), GP64(), GP64()
	MOVQ(y, yp)
	MOVQ(m, mp)
	XORQ(off, off) // channel offset in bytes, for scale and shift
	MOVQ(f, blocks)
	SHRQ(U8(6), blocks)
	Label("oblock")
	var mv [16]VecVirtual
	for xi := 0; xi < 16; xi++ {
		mv[xi] = ZMM()
		loadXi(mv[xi], mp, ms, ms3, xi)
	}
	// s = Aᵀ m: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (rows of m), per column.
	var s [2][4]VecVirtual
	for col := 0; col < 4; col++ {
		s[0][col], s[1][col] = ZMM(), ZMM()
		VADDPS(mv[4+col], mv[col], s[0][col])
		VADDPS(mv[8+col], s[0][col], s[0][col])
		VSUBPS(mv[8+col], mv[4+col], s[1][col])
		VSUBPS(mv[12+col], s[1][col], s[1][col])
	}
	var o [2][2]VecVirtual
	for r := 0; r < 2; r++ {
		o[r][0], o[r][1] = ZMM(), ZMM()
		VADDPS(s[r][1], s[r][0], o[r][0])
		VADDPS(s[r][2], o[r][0], o[r][0])
		VSUBPS(s[r][2], s[r][1], o[r][1])
		VSUBPS(s[r][3], o[r][1], o[r][1])
	}
	epilogue(o[:], sc, sh, off, flags)
	Label("ostore")
	VMOVUPS(o[0][0], Mem{Base: yp})
	VMOVUPS(o[0][1], Mem{Base: yp, Index: f, Scale: 1})
	VMOVUPS(o[1][0], Mem{Base: yp, Index: ldy, Scale: 1})
	y1 := GP64()
	LEAQ(Mem{Base: yp, Index: ldy, Scale: 1}, y1)
	VMOVUPS(o[1][1], Mem{Base: y1, Index: f, Scale: 1})
	ADDQ(U8(64), yp)
	ADDQ(U8(64), mp)
	ADDQ(U8(64), off)
	DECQ(blocks)
	JNZ(LabelRef("oblock"))
	LEAQ(Mem{Base: y, Index: f, Scale: 2}, y) // two pixels on
	ADDQ(f, m)
	DECQ(tiles)
	JNZ(LabelRef("otile"))
	VZEROUPPER()
	RET()
}

// epilogue applies the scale and shift (or the shift) at channel offset
// off, then the ReLU, to the output vectors o, as flags say.
func epilogue(o [][2]VecVirtual, sc, sh, off, flags Register) {
	zs, zt := ZMM(), ZMM()
	TESTQ(U32(asm.ConvShift|asm.ConvScale), flags)
	JZ(LabelRef("orelu"))
	VMOVUPS(Mem{Base: sh, Index: off, Scale: 1}, zt)
	TESTQ(U32(asm.ConvScale), flags)
	JZ(LabelRef("oshift"))
	VMOVUPS(Mem{Base: sc, Index: off, Scale: 1}, zs)
	for r := range o {
		for q := 0; q < 2; q++ {
			VFMADD213PS(zt, zs, o[r][q])
		}
	}
	JMP(LabelRef("orelu"))
	Label("oshift")
	for r := range o {
		for q := 0; q < 2; q++ {
			VADDPS(zt, o[r][q], o[r][q])
		}
	}
	Label("orelu")
	TESTQ(U32(asm.ConvReLU), flags)
	JZ(LabelRef("ostore"))
	zero := ZMM()
	VXORPS(zero, zero, zero)
	for r := range o {
		for q := 0; q < 2; q++ {
			VMAXPS(zero, o[r][q], o[r][q])
		}
	}
}

// kernelTransform emits winoKernelAVX512: G g Gᵀ of every input channel.
func kernelTransform(half Mem) {
	TEXT("winoKernelAVX512", NOSPLIT, "func(u *float32, us int, w *float32, c int, f int)")
	Pragma("noescape")
	Doc("winoKernelAVX512 sets u[ξ·us + ci·f + ch] = (G g Gᵀ)[ξ/4][ξ%4] for every input",
		"channel ci < c and output channel ch < f (f a multiple of 16), g[ky][kx] =",
		"w[((ky·3+kx)·c + ci)·f + ch], as winoKernelGo computes it.")
	u := Load(Param("u"), GP64())
	us := Load(Param("us"), GP64())
	SHLQ(U8(2), us)
	w := Load(Param("w"), GP64())
	c := Load(Param("c"), GP64())
	f := Load(Param("f"), GP64())
	SHLQ(U8(2), f)
	tap := GP64() // bytes between kernel taps: c·f·4
	MOVQ(c, tap)
	IMULQ(f, tap)
	us3 := asm.Times3(us)
	zh := ZMM()
	VBROADCASTSS(half, zh)

	Label("kchan")
	wp, up, blocks := GP64(), GP64(), GP64()
	MOVQ(w, wp)
	MOVQ(u, up)
	MOVQ(f, blocks)
	SHRQ(U8(6), blocks)
	Label("kblock")
	var g [3][3]VecVirtual
	gp := GP64()
	MOVQ(wp, gp)
	for ky := 0; ky < 3; ky++ {
		for kx := 0; kx < 3; kx++ {
			g[ky][kx] = ZMM()
			VMOVUPS(Mem{Base: gp}, g[ky][kx])
			if ky < 2 || kx < 2 {
				ADDQ(tap, gp)
			}
		}
	}
	// t = G g: t0 = g0, t1 = (g0 + g1 + g2)·½, t2 = (g0 - g1 + g2)·½, t3 = g2.
	var t [4][3]VecVirtual
	for k := 0; k < 3; k++ {
		t[0][k], t[3][k] = g[0][k], g[2][k]
		t[1][k], t[2][k] = ZMM(), ZMM()
		VADDPS(g[1][k], g[0][k], t[1][k])
		VADDPS(g[2][k], t[1][k], t[1][k])
		VMULPS(zh, t[1][k], t[1][k])
		VSUBPS(g[1][k], g[0][k], t[2][k])
		VADDPS(g[2][k], t[2][k], t[2][k])
		VMULPS(zh, t[2][k], t[2][k])
	}
	// U = t Gᵀ, by rows.
	for r := 0; r < 4; r++ {
		a, b := ZMM(), ZMM()
		VADDPS(t[r][1], t[r][0], a)
		VADDPS(t[r][2], a, a)
		VMULPS(zh, a, a)
		VSUBPS(t[r][1], t[r][0], b)
		VADDPS(t[r][2], b, b)
		VMULPS(zh, b, b)
		storeXi(t[r][0], up, us, us3, 4*r)
		storeXi(a, up, us, us3, 4*r+1)
		storeXi(b, up, us, us3, 4*r+2)
		storeXi(t[r][2], up, us, us3, 4*r+3)
	}
	ADDQ(U8(64), wp)
	ADDQ(U8(64), up)
	DECQ(blocks)
	JNZ(LabelRef("kblock"))
	ADDQ(f, w) // next input channel
	ADDQ(f, u)
	DECQ(c)
	JNZ(LabelRef("kchan"))
	VZEROUPPER()
	RET()
}

// grad emits winoGradAVX512: A y Aᵀ of tiles 2×2 output pixels apart by 2.
func grad() {
	TEXT("winoGradAVX512", NOSPLIT, "func(d *float32, ds int, dy *float32, rs int, f int, tiles int)")
	Pragma("noescape")
	Doc("winoGradAVX512 transforms the output gradient of tiles consecutive tiles of",
		"one tile row: tile j's values are y[r][q] = dy[r·rs + (2j+q)·f + ch], and",
		"d[(4r'+s')·ds + j·f + ch] = (A y Aᵀ)[r'][s'] for every channel ch < f (f a",
		"multiple of 16, tiles ≥ 1), as winoGradGo computes it.")
	d := Load(Param("d"), GP64())
	ds := Load(Param("ds"), GP64())
	SHLQ(U8(2), ds)
	dy := Load(Param("dy"), GP64())
	rs := Load(Param("rs"), GP64())
	SHLQ(U8(2), rs)
	f := Load(Param("f"), GP64())
	SHLQ(U8(2), f) // bytes per pixel
	tiles := Load(Param("tiles"), GP64())
	ds3 := asm.Times3(ds)
	// Negation flips the sign bit, as Go's unary minus does (0 - x would
	// make +0 of +0, where -x gives -0).
	sign, bits := ZMM(), GP32()
	MOVL(U32(0x80000000), bits)
	VPBROADCASTD(bits, sign)

	tileRow("g", dy, d, f, tiles, func(yp, dp Register) {
		a, b, c, e := ZMM(), ZMM(), ZMM(), ZMM()
		VMOVUPS(Mem{Base: yp}, a)
		VMOVUPS(Mem{Base: yp, Index: f, Scale: 1}, b)
		y1 := GP64()
		LEAQ(Mem{Base: yp, Index: rs, Scale: 1}, y1)
		VMOVUPS(Mem{Base: y1}, c)
		VMOVUPS(Mem{Base: y1, Index: f, Scale: 1}, e)
		// t = A y, (4, 2): (a, b), (a+c, b+e), (a-c, b-e), (-c, -e).
		var t [4][2]VecVirtual
		t[0] = [2]VecVirtual{a, b}
		for r := 1; r < 4; r++ {
			t[r] = [2]VecVirtual{ZMM(), ZMM()}
		}
		VADDPS(c, a, t[1][0])
		VADDPS(e, b, t[1][1])
		VSUBPS(c, a, t[2][0])
		VSUBPS(e, b, t[2][1])
		VXORPS(sign, c, t[3][0])
		VXORPS(sign, e, t[3][1])
		// Each row (p, q) of t times Aᵀ: p, p+q, p-q, -q.
		for r := 0; r < 4; r++ {
			p, q := t[r][0], t[r][1]
			sum, diff, neg := ZMM(), ZMM(), ZMM()
			VADDPS(q, p, sum)
			VSUBPS(q, p, diff)
			VXORPS(sign, q, neg)
			storeXi(p, dp, ds, ds3, 4*r)
			storeXi(sum, dp, ds, ds3, 4*r+1)
			storeXi(diff, dp, ds, ds3, 4*r+2)
			storeXi(neg, dp, ds, ds3, 4*r+3)
		}
	})
}
