package asm

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Step returns the address base + k·stride, 0 ≤ k ≤ 4, as one memory
// operand: x86's scaled-index forms reach 0, 1, 2 and 4 strides, and 3
// through stride3, a register holding 3·stride (Times3). Rows of a tile,
// cells of a Winograd tile and B's rows of an unrolled depth loop are all
// reached this way, so that a loop over them needs no pointer arithmetic.
func Step(base, stride, stride3 Register, k int) Mem {
	switch k {
	case 0:
		return Mem{Base: base}
	case 1:
		return Mem{Base: base, Index: stride, Scale: 1}
	case 2:
		return Mem{Base: base, Index: stride, Scale: 2}
	case 3:
		return Mem{Base: base, Index: stride3, Scale: 1}
	case 4:
		return Mem{Base: base, Index: stride, Scale: 4}
	}
	panic(fmt.Sprintf("asm: Step %d: one addressing form reaches 4 strides at most", k))
}

// Times3 returns a new register holding 3·stride, the stride3 of Step.
func Times3(stride Register) Register {
	r := GP64()
	LEAQ(Mem{Base: stride, Index: stride, Scale: 2}, r)
	return r
}

// Row returns the address of row i of a tile whose rows are stride apart:
// rows go by five per base register (RowBases), each reached with Step.
func Row(bases []Register, stride, stride3 Register, i int) Mem {
	return Step(bases[i/5], stride, stride3, i%5)
}

// RowBases returns the base registers Row needs for rows rows, the first
// being first: one per five rows.
func RowBases(first, stride Register, rows int) []Register {
	bases := []Register{first}
	for q := 1; q*5 < rows; q++ {
		nb := GP64()
		NextBase(bases[q-1], nb, stride)
		bases = append(bases, nb)
	}
	return bases
}

// NextBase sets next to prev + 5·stride, the base of the next five rows.
func NextBase(prev, next, stride Register) {
	LEAQ(Mem{Base: prev, Index: stride, Scale: 4}, next)
	ADDQ(stride, next)
}
