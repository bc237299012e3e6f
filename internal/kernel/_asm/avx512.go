package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avx512Tile emits gemmTileAVX512x{Σ widths}: a tile of up to 14 rows whose
// columns are covered by one vector per entry of widths (16 lanes: zmm, 8:
// ymm). Accumulators take 14 registers per vector, B's row one per vector,
// and A is broadcast straight from memory by the FMA, so 14×32 uses 30 of
// the 32 registers. Columns are k-masked, so edges need no padding and no
// temporary. A ymm FMA costs half a zmm one on cores that split zmm in two
// (AMD Zen 4), which is why 24- and 8-column variants exist.
func avx512Tile(widths ...int) {
	total := 0
	for _, w := range widths {
		total += w
	}
	name := fmt.Sprintf("gemmTileAVX512x%d", total)
	TEXT(name, NOSPLIT, fmt.Sprintf(signature, "uint32"))
	Pragma("noescape")
	Doc(append([]string{name + " computes a tile of at most 14 rows and " + fmt.Sprint(total) + " columns of C;",
		"bit j of mask selects column j.", ""}, contractLines()...)...)
	dispatch(name, 14)
	w := len(widths)
	masks := []Register{K1, K2}
	vec := func(r, j int) VecPhysical {
		if widths[j] == 16 {
			return zmm(r)
		}
		return ymm(r)
	}
	off := func(j int) int { return 4 * 16 * j } // every vector but the last is 16 wide
	for rows := 14; rows >= 1; rows-- {
		Label(fmt.Sprintf("%s_rows%d", name, rows))
		k := Load(Param("k"), GP64())
		bases, rs, rs3, cs := loadA(rows)
		b := Load(Param("b"), GP64())
		lb := Load(Param("ldb"), GP64())
		SHLQ(U8(2), lb)
		m := Load(Param("mask"), GP32())
		KMOVW(m, K1)
		if w == 2 {
			SHRL(U8(16), m)
			KMOVW(m, K2)
		}
		prefetchC(rows, w)
		step, acc := avx512Step(rows, widths, masks)
		for i := 0; i < rows; i++ {
			for j := 0; j < w; j++ {
				VXORPS(acc(i, j), acc(i, j), acc(i, j))
			}
		}
		store := fmt.Sprintf("%s_rows%d_store", name, rows)
		aRow := func(i int) Mem { return rowAddr(bases, rs, rs3, i) }
		bRow := func(j int) Mem { return Mem{Base: b, Disp: off(j)} }
		if total == 32 {
			fastLoops(fastTile{name: name, rows: rows, k: k, rs: rs, cs: cs, b: b, lb: lb, bases: bases,
				step: step, aRow: aRow, bRow: bRow, store: store})
		}
		loop := fmt.Sprintf("%s_rows%d_loop", name, rows)
		Label(loop)
		step(aRow, bRow, false)
		ADDQ(lb, b)
		for _, base := range bases {
			ADDQ(cs, base)
		}
		DECQ(k)
		JNZ(LabelRef(loop))
		Label(store)

		storeTile(name, rows, w, 64, acc, func(mem Mem, j int, dst VecPhysical) {
			VMOVUPS_Z(mem, masks[j], dst)
		}, func(src VecPhysical, j int, mem Mem) {
			VMOVUPS(src, masks[j], mem)
		}, func(r, j int) VecPhysical { return vec(r, j) })
	}
}

// avx512Step returns the depth step of an AVX-512 tile of rows rows whose
// columns are covered by one vector per entry of widths, and its
// accumulators. The step loads B's row at bAt(j) (masked by masks[j]
// unless whole) into registers 28 and 29, then broadcasts A(i, ·) from
// aAt(i) into 30 or 31 and adds the products into acc(i, j).
func avx512Step(rows int, widths []int, masks []Register) (step func(aAt func(i int) Mem, bAt func(j int) Mem, whole bool), acc func(i, j int) VecPhysical) {
	w := len(widths)
	vec := func(r, j int) VecPhysical {
		if widths[j] == 16 {
			return zmm(r)
		}
		return ymm(r)
	}
	acc = func(i, j int) VecPhysical { return vec(i*w+j, j) }
	bz := func(j int) VecPhysical { return vec(28+j, j) }
	step = func(aAt func(i int) Mem, bAt func(j int) Mem, whole bool) {
		for j := 0; j < w; j++ {
			if whole {
				VMOVUPS(bAt(j), bz(j))
			} else {
				VMOVUPS_Z(bAt(j), masks[j], bz(j))
			}
		}
		for i := 0; i < rows; i++ {
			if w == 1 {
				VFMADD231PS_BCST(aAt(i), bz(0), acc(i, 0))
				continue
			}
			// Broadcast A(i, p) once for both vectors: an FMA with
			// a broadcast operand loads it again, and at 28 such
			// loads plus B's two per depth step the tile needed 30
			// vector loads per 14 cycles where Zen 5 (and Intel's
			// two load ports) do 2 per cycle: 93 % of the FMA peak
			// at best.
			bc := zmm(30 + i%2)
			VBROADCASTSS(aAt(i), bc)
			for j := 0; j < w; j++ {
				VFMADD231PS(vec(30+i%2, j), bz(j), acc(i, j))
			}
		}
	}
	return step, acc
}
