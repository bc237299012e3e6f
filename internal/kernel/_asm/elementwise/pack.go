package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

// sparsePack emits sparsePackAVX512x{16v}: the packing of B's depth block
// for the sparse products, rows of v vectors of 16 columns copied into an
// aligned buffer whose rows are exactly those vectors, the last one's
// columns past mask zeroed. Go's copy and clear per row cost about 6 ns a
// row, a sixth of the course MLP's forward product; whole vectors cost
// one load and one store each.
func sparsePack(v int) {
	name := fmt.Sprintf("sparsePackAVX512x%d", 16*v)
	TEXT(name, NOSPLIT, "func(dst *float32, src *float32, lds int, rows int, mask uint16)")
	Pragma("noescape")
	Doc(name+" copies, for i < rows, the "+fmt.Sprint(v)+" vector(s) of 16 values at src[i*lds]",
		"into dst[i*"+fmt.Sprint(16*v)+"], the lanes of the last vector that mask does not",
		"select (bit j: lane j) written as +0 and never read from src. rows ≥ 0.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	rows := Load(Param("rows"), GP64())
	m := Load(Param("mask"), GP32())
	KMOVW(m, K1)
	SHLQ(U8(2), lds)
	sparseRows(name, rows, func() {
		for j := 0; j < v; j++ {
			at := Mem{Base: src, Disp: 64 * j}
			if j == v-1 {
				VMOVUPS_Z(at, K1, asm.Zmm[j])
			} else {
				VMOVUPS(at, asm.Zmm[j])
			}
		}
		for j := 0; j < v; j++ {
			VMOVUPS(asm.Zmm[j], Mem{Base: dst, Disp: 64 * j})
		}
		ADDQ(lds, src)
		ADDQ(U32(64*v), dst)
	})
}
