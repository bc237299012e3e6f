// Command _asm generates the amd64 GEMM microkernels of package kernel with
// avo. It lives in its own module so that avo is no dependency of goras.
// Run it through go generate in the parent directory.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

const signature = "func(k int, a *float32, rsa int, csa int, b *float32, ldb int, c *float32, ldc int, alpha float32, beta float32, rows int, mask %s)"

func main() {
	ConstraintExpr("amd64,!purego")
	avx512Tile(16, 16)
	avx512Tile(16, 8)
	avx512Tile(16)
	avx512Tile(8)
	packTile()
	for _, w := range []int{2, 1} {
		avx2Tile(w)
	}
	transpose8()
	copyRows(4)
	copyRows(2)
	Generate()
}

// transpose8 emits transpose8x8: the packing of a transposed operand (A
// when not transposed, B when transposed) is a transpose, which one value at
// a time costs more than a small product itself. Eight rows of eight values
// are transposed in registers with the usual unpack/shuffle/permute ladder.
func transpose8() {
	TEXT("transpose8x8", NOSPLIT, "func(dst *float32, ld int, src *float32, lds int, rowBlocks int, pBlocks int)")
	Pragma("noescape")
	Doc("transpose8x8 sets dst[p*ld+i] = src[i*lds+p] for i < 8*rowBlocks, p < 8*pBlocks.",
		"rowBlocks, pBlocks ≥ 1.")
	dst := Load(Param("dst"), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	src := Load(Param("src"), GP64())
	ls := Load(Param("lds"), GP64())
	SHLQ(U8(2), ls)
	rb := Load(Param("rowBlocks"), GP64())
	ls3 := asm.Times3(ls)
	ld3 := asm.Times3(ld)
	ld8 := GP64()
	MOVQ(ld, ld8)
	SHLQ(U8(3), ld8)

	Label("rowblock")
	s0, s4, d0, d4 := GP64(), GP64(), GP64(), GP64()
	MOVQ(src, s0)
	LEAQ(Mem{Base: src, Index: ls, Scale: 4}, s4)
	MOVQ(dst, d0)
	LEAQ(Mem{Base: dst, Index: ld, Scale: 4}, d4)
	pb := Load(Param("pBlocks"), GP64())
	Label("pblock")
	r := make([]VecVirtual, 8)
	for j := range r {
		r[j] = YMM()
		base := s0
		if j >= 4 {
			base = s4
		}
		VMOVUPS(asm.Step(base, ls, ls3, j%4), r[j])
	}
	t := make([]VecVirtual, 8)
	for j := 0; j < 8; j += 2 {
		t[j], t[j+1] = YMM(), YMM()
		VUNPCKLPS(r[j+1], r[j], t[j])
		VUNPCKHPS(r[j+1], r[j], t[j+1])
	}
	u := make([]VecVirtual, 8)
	for h := 0; h < 8; h += 4 { // rows h..h+3
		for q := 0; q < 2; q++ { // t pair (lo, hi)
			u[h+2*q], u[h+2*q+1] = YMM(), YMM()
			VSHUFPS(U8(0x44), t[h+2+q], t[h+q], u[h+2*q])
			VSHUFPS(U8(0xEE), t[h+2+q], t[h+q], u[h+2*q+1])
		}
	}
	for q := 0; q < 8; q++ {
		o := YMM()
		imm := U8(0x20)
		if q >= 4 {
			imm = U8(0x31)
		}
		VPERM2F128(imm, u[4+q%4], u[q%4], o)
		base := d0
		if q >= 4 {
			base = d4
		}
		VMOVUPS(o, asm.Step(base, ld, ld3, q%4))
	}
	ADDQ(U8(32), s0)
	ADDQ(U8(32), s4)
	ADDQ(ld8, d0)
	ADDQ(ld8, d4)
	DECQ(pb)
	JNZ(LabelRef("pblock"))

	LEAQ(Mem{Base: src, Index: ls, Scale: 8}, src)
	ADDQ(U8(32), dst)
	DECQ(rb)
	JNZ(LabelRef("rowblock"))
	VZEROUPPER()
	RET()
}

// copyRows emits copyRows{8v}: packing B (not transposed) copies one row
// of a panel, nr values, per depth step; through copy, at nr = 32, a call
// per 128 bytes ran at 7.5 GB/s and took 11 % of a 512³ product.
func copyRows(v int) {
	w := 8 * v
	name := fmt.Sprintf("copyRows%d", w)
	TEXT(name, NOSPLIT, "func(dst *float32, src *float32, lds int, rows int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i*%d+j] = src[i*lds+j] for i < rows, j < %d; rows ≥ 1.", name, w, w))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ls := Load(Param("lds"), GP64())
	SHLQ(U8(2), ls)
	n := Load(Param("rows"), GP64())
	Label(name + "_loop")
	for j := 0; j < v; j++ {
		y := asm.Ymm[j]
		VMOVUPS(Mem{Base: src, Disp: 32 * j}, y)
		VMOVUPS(y, Mem{Base: dst, Disp: 32 * j})
	}
	ADDQ(ls, src)
	ADDQ(U8(4*w), dst)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
}

// The loop every tile function must equal, stated once for the stubs.
const contract = `
For i < rows and j < cols (cols given by mask), with p ascending and a float32
accumulator fused-multiply-added at each step:

	acc := float32(0)
	for p := 0; p < k; p++ {
		acc = fma(a[i*rsa+p*csa], b[p*ldb+j], acc)
	}
	if beta == 0 {
		c[i*ldc+j] = alpha * acc
	} else {
		c[i*ldc+j] = fma(beta, c[i*ldc+j], alpha*acc)
	}

k ≥ 1. Only the rows×cols elements of C and the elements of A and B named
above are touched.`

// prefetchC asks for the tile's rows of C, w lines each, before the depth
// loop: written (and, from the second depth block on, read) only after it,
// they would otherwise arrive from L3 or memory while the FMA units wait,
// a few hundred cycles per tile (5 % of a 512³ product on Zen 5).
func prefetchC(rows, w int) {
	c := Load(Param("c"), GP64())
	lc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), lc)
	for i := 0; i < rows; i++ {
		for j := 0; j < w; j++ {
			PREFETCHT0(Mem{Base: c, Disp: 64 * j})
		}
		if i < rows-1 {
			ADDQ(lc, c)
		}
	}
}

// avx2Tile emits gemmTileAVX2x{8w}: a tile of up to 6 rows × 8w columns.
// Twelve accumulators, two B vectors, one broadcast A value and the column
// mask fill the 16 ymm registers; the last vector of each row is masked with
// VMASKMOVPS (mask points at 8 int32 whose sign bits select columns).
func avx2Tile(w int) {
	name := fmt.Sprintf("gemmTileAVX2x%d", 8*w)
	TEXT(name, NOSPLIT, fmt.Sprintf(signature, "*int32"))
	Pragma("noescape")
	asm.TileDoc(name, 6, 8*w, contract,
		"the columns before the last 8 are whole, and the sign bits of mask[0:8] select",
		"the columns of the last 8.")
	asm.Dispatch("rows", 6, name+"_rows%d")
	for rows := 6; rows >= 1; rows-- {
		Label(fmt.Sprintf("%s_rows%d", name, rows))
		prefetchC(rows, 1)
		o := asm.LoadOperands(rows)
		mp := Load(Param("mask"), GP64())
		vmask := asm.Ymm[15]
		VMOVDQU(Mem{Base: mp}, vmask)
		acc := func(i, j int) VecPhysical { return asm.Ymm[i*w+j] }
		by := func(j int) VecPhysical { return asm.Ymm[12+j] }
		va := asm.Ymm[14]
		asm.ZeroAcc(rows, w, acc)
		// step emits one depth step, A(i, ·) at aAt(i) and B's row at
		// bAt(j); whole loads B's last vector unmasked too.
		step := func(aAt func(i int) Mem, bAt func(j int) Mem, whole bool) {
			for j := 0; j < w; j++ {
				if j < w-1 || whole {
					VMOVUPS(bAt(j), by(j))
				} else {
					VMASKMOVPS(bAt(j), vmask, by(j))
				}
			}
			for i := 0; i < rows; i++ {
				VBROADCASTSS(aAt(i), va)
				for j := 0; j < w; j++ {
					VFMADD231PS(va, by(j), acc(i, j))
				}
			}
		}
		bRow := func(j int) Mem { return Mem{Base: o.B, Disp: 32 * j} }
		store := fmt.Sprintf("%s_rows%d_store", name, rows)
		avx2Fast(vmask, fastTile{Operands: o, name: name, rows: rows, step: step, bRow: bRow, store: store})
		o.Loop(fmt.Sprintf("%s_rows%d_loop", name, rows), func() { step(o.ARow, bRow, false) })
		Label(store)

		asm.StoreTile(name, rows, w, 32, acc, func(mem Mem, j int, dst VecPhysical) {
			if j < w-1 {
				VMOVUPS(mem, dst)
			} else {
				VMASKMOVPS(mem, vmask, dst)
			}
		}, func(src VecPhysical, j int, mem Mem) {
			if j < w-1 {
				VMOVUPS(src, mem)
			} else {
				VMASKMOVPS(src, vmask, mem)
			}
		}, func(r, j int) VecPhysical { return asm.Ymm[map[int]int{30: 12, 31: 13, 28: 14}[r]] })
	}
}
