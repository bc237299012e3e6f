package asm

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// Dispatch jumps to the body for the value n of the int parameter param,
// labelled fmt.Sprintf(label, n), trying n from max down to 1, and returns
// when none matches. Each body keeps its accumulators in registers, so
// their count (rows of a tile, blocks of rows) must be static.
func Dispatch(param string, max int, label string) {
	v := Load(Param(param), GP64())
	for n := max; n >= 1; n-- {
		CMPQ(v, U32(n))
		JEQ(LabelRef(fmt.Sprintf(label, n)))
	}
	RET()
}
