// Command int8 generates the amd64 int8 inference kernels of package kernel
// (qgemm_amd64.s) with avo: the int8 GEMM tiles on AVX512_VNNI's VPDPBUSD,
// the float32 → uint8 quantizer and the uint8 2×2 max pooling row. Run it
// through go generate in package kernel (qgemm_amd64.go).
//
// avo v0.5.0 does not know VPDPBUSD; it is emitted as a raw instruction with
// its operands declared, so that register allocation still sees it.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

// tileRows is the largest row count of the tile with nv column vectors:
// rows·nv accumulators, nv vectors of B and a broadcast register fit in the
// 32 zmm registers with the epilogue's two constants.
var tileRows = map[int]int{1: 16, 2: 12, 3: 8, 4: 6}

const tileSignature = "func(a *uint8, lda int, offs *int, taps int, groups int, b *int8, dst *byte, ldd int, rows int, mode int, scale *float32, offset *float32, lo float32, mask uint16)"

func main() {
	ConstraintExpr("amd64,!purego")
	hi := GLOBL("q255", RODATA|NOPTR)
	DATA(0, U32(math.Float32bits(255)))
	for nv := 1; nv <= 4; nv++ {
		tile(nv, hi)
	}
	for f := 1; f <= 8; f++ {
		narrow(f, hi)
	}
	quantize(hi)
	maxPoolRow()
	Generate()
}

// vpdpbusd emits VPDPBUSD b, a, acc: per 32-bit lane, acc += the sum of the
// four products of a's unsigned bytes with b's signed bytes.
// With suffixes ("BCST") b is a dword in memory, broadcast.
func vpdpbusd(b, a, acc Op, suffixes ...string) {
	Instruction(&ir.Instruction{
		Opcode:   "VPDPBUSD",
		Suffixes: suffixes,
		Operands: []Op{b, a, acc},
		Inputs:   []Op{b, a, acc},
		Outputs:  []Op{acc},
		ISA:      []string{"AVX512_VNNI"},
	})
}

// tile emits qTile{nv}: a tile of up to tileRows[nv] rows and 16·nv
// columns, one body per row count behind a dispatch on rows.
func tile(nv int, hi Mem) {
	name := fmt.Sprintf("qTile%d", nv)
	mr := tileRows[nv]
	TEXT(name, NOSPLIT, tileSignature)
	Pragma("noescape")
	Doc(name+" computes rows ≤ "+fmt.Sprint(mr)+" rows and the "+fmt.Sprint(16*nv)+" columns of one packed block",
		"of the int8 GEMM; qTileGo (qgemm.go) is the loop it equals.")
	asm.Dispatch("rows", mr, name+"_rows%d")
	for r := mr; r >= 1; r-- {
		tileBody(name, nv, r, hi)
	}
}

// tileBody is the tile for a fixed row count: the accumulators stay in
// Z0…Z(rows·nv-1), B's vectors in Z27…Z30, the broadcast A value in Z31.
func tileBody(name string, nv, rows int, hi Mem) {
	Label(fmt.Sprintf("%s_rows%d", name, rows))
	acc := func(i, v int) VecPhysical { return asm.Zmm[i*nv+v] }
	zeroAcc(rows * nv)
	a := Load(Param("a"), GP64())
	lda := Load(Param("lda"), GP64())
	lda3 := asm.Times3(lda)
	offs := Load(Param("offs"), GP64())
	taps := Load(Param("taps"), GP64())
	b := Load(Param("b"), GP64())
	nb := (rows + 4) / 5
	bases := make([]Register, nb)
	for q := range bases {
		bases[q] = GP64()
	}
	g := GP64()

	tapLoops(fmt.Sprintf("%s_rows%d", name, rows), offs, taps, g, func() {
		MOVQ(Mem{Base: offs}, bases[0])
		ADDQ(a, bases[0])
		for q := 1; q < nb; q++ {
			asm.NextBase(bases[q-1], bases[q], lda)
		}
	}, func() {
		for v := 0; v < nv; v++ {
			VMOVDQU64(Mem{Base: b, Disp: 64 * v}, asm.Zmm[27+v])
		}
		for i := 0; i < rows; i++ {
			VPBROADCASTD(asm.Row(bases, lda, lda3, i), Z31)
			for v := 0; v < nv; v++ {
				vpdpbusd(asm.Zmm[27+v], Z31, acc(i, v))
			}
		}
		ADDQ(U32(64*nv), b)
		for _, base := range bases {
			ADDQ(U8(4), base)
		}
	})

	epilogue(name, nv, rows, acc, hi)
}

// zeroAcc zeroes the accumulators of a tile or narrow body, Z0…Z(n-1).
func zeroAcc(n int) {
	for i := 0; i < n; i++ {
		VPXORD(asm.Zmm[i], asm.Zmm[i], asm.Zmm[i])
	}
}

// tapLoops emits the depth loops of the int8 products, labelled
// prefix_tap and prefix_group: for each of taps window taps, whose byte
// offsets into A offs steps through, tap sets A's base registers; then the
// tap's groups of four bytes go by, each through group, which moves its
// pointers on (g counts them).
func tapLoops(prefix string, offs, taps, g Register, tap, group func()) {
	Label(prefix + "_tap")
	tap()
	Load(Param("groups"), g)
	Label(prefix + "_group")
	group()
	DECQ(g)
	JNZ(LabelRef(prefix + "_group"))
	ADDQ(U8(8), offs)
	DECQ(taps)
	JNZ(LabelRef(prefix + "_tap"))
}

// epilogue writes the accumulators: mode 0 stores them as int32 rows of ldd
// bytes; any other mode requantizes them to uint8 as
// roundEven(min(max(float32(acc)·scale + offset, lo), 255)), the product
// rounded before the sum. The last vector of each row is stored under mask.
func epilogue(name string, nv, rows int, acc func(i, v int) VecPhysical, hi Mem) {
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	m := Load(Param("mask"), GP32())
	KMOVW(m, K1)
	mode := Load(Param("mode"), GP64())
	u8 := fmt.Sprintf("%s_rows%d_u8", name, rows)
	TESTQ(mode, mode)
	JNZ(LabelRef(u8))
	for i := 0; i < rows; i++ {
		for v := 0; v < nv; v++ {
			if v == nv-1 {
				VMOVDQU32(acc(i, v), K1, Mem{Base: dst, Disp: 64 * v})
			} else {
				VMOVDQU32(acc(i, v), Mem{Base: dst, Disp: 64 * v})
			}
		}
		if i < rows-1 {
			ADDQ(ldd, dst)
		}
	}
	VZEROUPPER()
	RET()

	Label(u8)
	scale := Load(Param("scale"), GP64())
	offset := Load(Param("offset"), GP64())
	VBROADCASTSS(asm.ParamAddr("lo"), Z24)
	VBROADCASTSS(hi, Z25)
	for i := 0; i < rows; i++ {
		for v := 0; v < nv; v++ {
			z := acc(i, v)
			VCVTDQ2PS(z, z)
			VMULPS(Mem{Base: scale, Disp: 64 * v}, z, z)
			VADDPS(Mem{Base: offset, Disp: 64 * v}, z, z)
			VMAXPS(Z24, z, z)
			VMINPS(Z25, z, z)
			VCVTPS2DQ(z, z)
			if v == nv-1 {
				VPMOVUSDB(z, K1, Mem{Base: dst, Disp: 16 * v})
			} else {
				VPMOVUSDB(z, Mem{Base: dst, Disp: 16 * v})
			}
		}
		if i < rows-1 {
			ADDQ(ldd, dst)
		}
	}
	VZEROUPPER()
	RET()
}

// narrowBlocks is how many blocks of 16 rows qNarrow{f} takes at once:
// their f accumulators each fit in Z0…Z23.
func narrowBlocks(f int) int { return min(4, 24/f) }

const narrowSignature = "func(a *uint8, lda int, offs *int, taps int, groups int, w *int8, dst *uint8, blocks int, scale *float32, offset *float32, lo float32, inIdx *uint8, outIdx *uint8, mask1 uint64, mask2 uint64)"

// narrow emits qNarrow{f}: QGemmU8 for a matrix of f ≤ 8 columns, with
// the rows in the lanes instead of the columns. For each group of four
// bytes, the dwords of 16 consecutive rows (lda ≤ 7 bytes apart, so
// within 128 bytes) are gathered by one VPERMT2B into one vector, and each
// column's four weights come broadcast from memory into VPDPBUSD: f
// products per 16 rows, where the column layout would spend a whole
// vector and a broadcast per row. The epilogue requantizes, narrows each
// column's 16 sums to bytes, and a byte permutation turns the f×16 bytes
// into 16 rows of f (ldd = f).
func narrow(f int, hi Mem) {
	name := fmt.Sprintf("qNarrow%d", f)
	nbMax := narrowBlocks(f)
	TEXT(name, NOSPLIT, narrowSignature)
	Pragma("noescape")
	Doc(name+" computes blocks ≤ "+fmt.Sprint(nbMax)+" blocks of 16 rows of QGemmU8 for "+fmt.Sprint(f)+" columns (ldd = "+fmt.Sprint(f)+"),",
		"the same bytes as qTileGo's loop (qgemm.go); see qNarrow (qgemm_narrow_amd64.go).")
	asm.Dispatch("blocks", nbMax, name+"_blocks%d")
	for nb := nbMax; nb >= 1; nb-- {
		narrowBody(name, f, nb, hi)
	}
}

func narrowBody(name string, f, nb int, hi Mem) {
	Label(fmt.Sprintf("%s_blocks%d", name, nb))
	acc := func(b, j int) VecPhysical { return asm.Zmm[b*f+j] }
	zeroAcc(nb * f)
	in := Load(Param("inIdx"), GP64())
	VMOVDQU64(Mem{Base: in}, Z28)
	m1 := Load(Param("mask1"), GP64())
	KMOVQ(m1, K1)
	m2 := Load(Param("mask2"), GP64())
	KMOVQ(m2, K2)
	a := Load(Param("a"), GP64())
	l16 := Load(Param("lda"), GP64())
	SHLQ(U8(4), l16)
	l48 := asm.Times3(l16)
	offs := Load(Param("offs"), GP64())
	taps := Load(Param("taps"), GP64())
	w := Load(Param("w"), GP64())
	base, g := GP64(), GP64()
	blockAddr := func(b int, disp int) Mem {
		m := asm.Step(base, l16, l48, b)
		m.Disp = disp
		return m
	}
	tapLoops(fmt.Sprintf("%s_blocks%d", name, nb), offs, taps, g, func() {
		MOVQ(Mem{Base: offs}, base)
		ADDQ(a, base)
	}, func() {
		for b := 0; b < nb; b++ {
			VMOVDQU8_Z(blockAddr(b, 0), K1, asm.Zmm[24+b])
			VMOVDQU8_Z(blockAddr(b, 64), K2, Z29)
			VPERMT2B(Z29, Z28, asm.Zmm[24+b])
		}
		for j := 0; j < f; j++ {
			for b := 0; b < nb; b++ {
				vpdpbusd(Mem{Base: w, Disp: 4 * j}, asm.Zmm[24+b], acc(b, j), "BCST")
			}
		}
		ADDQ(U32(4*f), w)
		ADDQ(U8(4), base)
	})
	narrowEpilogue(f, nb, acc, hi)
}

// narrowEpilogue requantizes as the tiles' epilogue does, column j's
// scale and offset broadcast, then writes each block's 16 rows of f bytes.
func narrowEpilogue(f, nb int, acc func(b, j int) VecPhysical, hi Mem) {
	scale := Load(Param("scale"), GP64())
	offset := Load(Param("offset"), GP64())
	dst := Load(Param("dst"), GP64())
	out := Load(Param("outIdx"), GP64())
	VMOVDQU64(Mem{Base: out}, Z28)
	VMOVDQU64(Mem{Base: out, Disp: 64}, Z29)
	VBROADCASTSS(asm.ParamAddr("lo"), Z30)
	VBROADCASTSS(hi, Z31)
	mask := GP64()
	n := 16 * f // bytes per block
	if n < 64 {
		MOVQ(U64(uint64(1)<<n-1), mask)
		KMOVQ(mask, K3)
	}
	if n > 64 {
		MOVQ(U64(uint64(1)<<(n-64)-1), mask)
		KMOVQ(mask, K4)
	}
	for b := 0; b < nb; b++ {
		for j := 0; j < f; j++ {
			z := acc(b, j)
			VCVTDQ2PS(z, z)
			VMULPS_BCST(Mem{Base: scale, Disp: 4 * j}, z, z)
			VADDPS_BCST(Mem{Base: offset, Disp: 4 * j}, z, z)
			VMAXPS(Z30, z, z)
			VMINPS(Z31, z, z)
			VCVTPS2DQ(z, z)
			VPMOVUSDB(z, z.AsX())
			// Column j's 16 bytes go to lane j of the byte table
			// Z24 (columns 0–3) : Z25 (columns 4–7).
			VINSERTI32X4(U8(j%4), z.AsX(), asm.Zmm[24+j/4], asm.Zmm[24+j/4])
		}
		// Output byte r·f + j is table byte 16·j + r.
		if n > 64 {
			VMOVDQA64(Z24, Z26)
			VPERMT2B(Z25, Z29, Z26)
		}
		VPERMT2B(Z25, Z28, Z24)
		if n >= 64 {
			VMOVDQU8(Z24, Mem{Base: dst, Disp: n * b})
		} else {
			VMOVDQU8(Z24, K3, Mem{Base: dst, Disp: n * b})
		}
		if n > 64 {
			VMOVDQU8(Z26, K4, Mem{Base: dst, Disp: n*b + 64})
		}
	}
	VZEROUPPER()
	RET()
}

// quantize emits quantizeU8: dst[i] = roundEven(min(max(src[i]·inv + zp,
// 0), 255)) for i < n, the product rounded before the sum, 16 at a time with
// the tail masked.
func quantize(hi Mem) {
	TEXT("quantizeU8", NOSPLIT, "func(dst *uint8, src *float32, n int, inv float32, zp float32)")
	Pragma("noescape")
	Doc("quantizeU8 is quantizeGo's loop (qgemm.go) on 16 values at a time; n ≥ 1.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	vinv, vzp, vhi, zero := ZMM(), ZMM(), ZMM(), ZMM()
	VBROADCASTSS(asm.ParamAddr("inv"), vinv)
	VBROADCASTSS(asm.ParamAddr("zp"), vzp)
	VBROADCASTSS(hi, vhi)
	VPXORD(zero, zero, zero)
	k := GP64()
	Label("quantize_loop")
	MOVQ(U32(16), k)
	CMPQ(n, k)
	CMOVQLT(n, k)
	all := GP64()
	MOVQ(I32(-1), all)
	BZHIQ(k, all, all)
	KMOVW(all.As32(), K1)
	x := ZMM()
	VMOVUPS_Z(Mem{Base: src}, K1, x)
	VMULPS(vinv, x, x)
	VADDPS(vzp, x, x)
	VMAXPS(zero, x, x)
	VMINPS(vhi, x, x)
	VCVTPS2DQ(x, x)
	VPMOVUSDB(x, K1, Mem{Base: dst})
	ADDQ(U32(64), src)
	ADDQ(U32(16), dst)
	SUBQ(k, n)
	JNZ(LabelRef("quantize_loop"))
	VZEROUPPER()
	RET()
}

// maxPoolRow emits maxPool2x2U8Row: one output row of a 2×2, stride-2 max
// pooling of uint8 NHWC values. Each step writes the next L = ⌊64/c⌋·c
// output bytes (fewer at the end, masked): the vertical maximum of the two
// input rows' 2L bytes, then VPERMI2B gathers the windows' left and right
// pixels (idx[0:64] and idx[64:128]) and a last maximum joins them.
func maxPoolRow() {
	TEXT("maxPool2x2U8Row", NOSPLIT, "func(dst *uint8, src *uint8, rs int, n int, l int, idx *uint8)")
	Pragma("noescape")
	Doc("maxPool2x2U8Row is maxPool2x2U8RowGo's loop (qgemm.go) on l output bytes at a",
		"time, l = ⌊64/c⌋·c; n ≥ 1 output bytes.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	rs := Load(Param("rs"), GP64())
	n := Load(Param("n"), GP64())
	l := Load(Param("l"), GP64())
	idx := Load(Param("idx"), GP64())
	left, right := ZMM(), ZMM()
	VMOVDQU8(Mem{Base: idx}, left)
	VMOVDQU8(Mem{Base: idx, Disp: 64}, right)
	k, in, mask, t := GP64(), GP64(), GP64(), GP64()
	Label("pool_loop")
	MOVQ(l, k)
	CMPQ(n, k)
	CMOVQLT(n, k)
	LEAQ(Mem{Base: k, Index: k, Scale: 1}, in) // input bytes this step: 2k ≤ 128
	// Masks of the first min(in, 64) and the remaining input bytes.
	MOVQ(U32(64), t)
	CMPQ(in, t)
	CMOVQLT(in, t)
	MOVQ(I32(-1), mask)
	BZHIQ(t, mask, mask)
	KMOVQ(mask, K1)
	SUBQ(t, in)
	MOVQ(I32(-1), mask)
	BZHIQ(in, mask, mask)
	KMOVQ(mask, K2)
	MOVQ(I32(-1), mask)
	BZHIQ(k, mask, mask)
	KMOVQ(mask, K3)
	lo0, hi0, lo1, hi1 := ZMM(), ZMM(), ZMM(), ZMM()
	VMOVDQU8_Z(Mem{Base: src}, K1, lo0)
	VMOVDQU8_Z(Mem{Base: src, Disp: 64}, K2, hi0)
	VMOVDQU8_Z(Mem{Base: src, Index: rs, Scale: 1}, K1, lo1)
	VMOVDQU8_Z(Mem{Base: src, Index: rs, Scale: 1, Disp: 64}, K2, hi1)
	VPMAXUB(lo1, lo0, lo0)
	VPMAXUB(hi1, hi0, hi0)
	pl, pr := ZMM(), ZMM()
	VMOVDQA64(left, pl)
	VPERMI2B(hi0, lo0, pl)
	VMOVDQA64(right, pr)
	VPERMI2B(hi0, lo0, pr)
	VPMAXUB(pr, pl, pl)
	VMOVDQU8(pl, K3, Mem{Base: dst})
	ADDQ(k, dst)
	LEAQ(Mem{Base: src, Index: k, Scale: 2}, src)
	SUBQ(k, n)
	JNZ(LabelRef("pool_loop"))
	VZEROUPPER()
	RET()
}
