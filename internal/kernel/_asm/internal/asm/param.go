package asm

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// ParamAddr is the stack slot of a parameter, for an instruction that
// takes it from memory (a broadcast, a compare) rather than through a
// register that Load would tie up.
func ParamAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}
