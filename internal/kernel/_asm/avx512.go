package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
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
	asm.TileDoc(name, 14, total, contract, "bit j of mask selects column j.")
	asm.Dispatch("rows", 14, name+"_rows%d")
	w := len(widths)
	off := func(j int) int { return 4 * 16 * j } // every vector but the last is 16 wide
	for rows := 14; rows >= 1; rows-- {
		Label(fmt.Sprintf("%s_rows%d", name, rows))
		o := asm.LoadOperands(rows)
		masks := asm.ColumnMasks(w)
		prefetchC(rows, w)
		step, acc := avx512Step(rows, widths, masks)
		asm.ZeroAcc(rows, w, acc)
		store := fmt.Sprintf("%s_rows%d_store", name, rows)
		bRow := func(j int) Mem { return Mem{Base: o.B, Disp: off(j)} }
		if total == 32 {
			fastLoops(fastTile{Operands: o, name: name, rows: rows, step: step, bRow: bRow, store: store})
		}
		o.Loop(fmt.Sprintf("%s_rows%d_loop", name, rows), func() { step(o.ARow, bRow, false) })
		Label(store)

		asm.StoreMasked(name, rows, w, masks, acc, vecs(widths))
	}
}

// avx512Step returns the depth step of an AVX-512 tile of rows rows whose
// columns are covered by one vector per entry of widths, and its
// accumulators. The step loads B's row at bAt(j) (masked by masks[j]
// unless whole) into registers 28 and 29, then broadcasts A(i, ·) from
// aAt(i) into 30 or 31 and adds the products into acc(i, j).
func avx512Step(rows int, widths []int, masks []Register) (step func(aAt func(i int) Mem, bAt func(j int) Mem, whole bool), acc func(i, j int) VecPhysical) {
	w := len(widths)
	vec := vecs(widths)
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
			bc := asm.Zmm[30+i%2]
			VBROADCASTSS(aAt(i), bc)
			for j := 0; j < w; j++ {
				VFMADD231PS(vec(30+i%2, j), bz(j), acc(i, j))
			}
		}
	}
	return step, acc
}

// vecs returns the register class of a tile's vectors: vecs(widths)(r, j)
// is register r as a zmm where vector j is 16 lanes wide, else as a ymm.
func vecs(widths []int) func(r, j int) VecPhysical {
	return func(r, j int) VecPhysical {
		if widths[j] == 16 {
			return asm.Zmm[r]
		}
		return asm.Ymm[r]
	}
}
