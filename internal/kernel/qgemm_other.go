//go:build !amd64 || purego

package kernel

import "unsafe"

// Without the assembly of qgemm_amd64.s the int8 kernels run their pure-Go
// loops; these are never called.
const (
	qVec  = false
	qPool = false
)

func qTileAsm(nv int, a *uint8, lda int, offs *int, taps, groups int, b *int8, dst *byte, ldd, rows, mode int, scale, offset []float32, lo float32, mask uint16) {
}
func quantizeU8Asm(dst []uint8, src []float32, inv, zp float32)   {}
func maxPool2x2U8RowAsm(y, x []uint8, rs, l int, idx *[128]uint8) {}

// No AMX tiles without the assembly; qAMXOff is the tests' switch.
var qAMXOff bool

// qAMXUsable and qAMXFor: no AMX tiles without the assembly.
func qAMXUsable() bool { return false }

func qAMXFor(b *QMatrix, nv int) bool { return false }

func qTilesAMX(nv int, a []uint8, lda int, offs []int, taps, groups int, blk []int8, dst unsafe.Pointer, lddBytes, m, mode int, scale, offset []float32, lo float32, lanes int) {
}

// qNarrow is the assembly's; without it every row goes through the tiles.
func qNarrow(dst []uint8, ldd int, a []uint8, lda int, offs []int, b *QMatrix, m int, scale, offset []float32, lo float32) int {
	return 0
}
