//go:build amd64 && !purego

package kernel

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Int8 products on AMX (Sapphire Rapids and later Xeons): TDPBUSD
// multiplies a tile of 16 rows × 64 uint8 by 16 groups × 64 int8 into 16
// rows × 16 int32 sums, the same exact integer sums as VPDPBUSD's, so the
// results are the VNNI tile's bit for bit. A QMatrix's packed block is
// already the B tile's layout (a group's 16 columns × 4 bytes make a
// 64-byte tile row; the groups of one vector are 64·nv bytes apart, the
// load's stride), and A's rows are read where they are, lda apart, as the
// VNNI tile reads them. Each call takes 16 rows and one block's ≤ 64
// columns over every tap: four accumulator tiles, one of A, one of B.

// qAMX says the int8 GEMM may use AMX's tiles, the OS permitting
// (amxGranted asks at the first product).
var qAMX = qVec && cpu.X86.HasAMXTile && cpu.X86.HasAMXInt8

// qAMXOff turns the AMX tile off, for the tests that hold it against the
// VNNI tile and the Go loop.
var qAMXOff bool

// qAMXRows is the AMX tile's height; qAMXRowTiles is how many row tiles a
// call takes under one configuration, their sums 16 KiB, which the
// requantization reads back from L1.
const (
	qAMXRows     = 16
	qAMXRowTiles = 4
)

// qAMXScratch holds a call's sums: qAMXRowTiles row tiles of 16 rows × 64
// int32.
var qAMXScratch freeList[[qAMXRowTiles * qAMXRows * 64]int32]

// qAMXUsable reports whether qgemm may take its tiles to AMX now.
func qAMXUsable() bool { return qAMX && !qAMXOff && !qVecOff && amxGranted() }

// qAMXFor reports whether qgemm takes b's blocks of nv vectors to AMX: where
// a call has work enough for its set-up, a chunk of 16 groups at least, 64
// group-vectors in all, and two whole chunks where a tail needs a second
// configuration; below that VNNI's registers win (BENCH.md, round 12).
func qAMXFor(b *QMatrix, nv int) bool {
	full, tail := b.groups/16, b.groups%16
	return full >= 1 && nv*b.taps*b.groups >= 64 && (tail == 0 || b.taps*full >= 2) && qAMXUsable()
}

// qAMXConfig is LDTILECFG's 64 bytes for rows of A and C and a chunk of
// groups (16, or the tail): palette 1; T0–T3 (C, 16 int32 columns each)
// and T4 (A, 4·groups bytes a row) rows high; T5 (B) groups rows of 64
// bytes.
func qAMXConfig(rows, groups int) (c [64]byte) {
	c[0] = 1
	set := func(t, r, colsb int) {
		c[16+2*t], c[16+2*t+1] = byte(colsb), byte(colsb>>8)
		c[48+t] = byte(r)
	}
	for t := range 4 {
		set(t, rows, 64)
	}
	set(4, rows, 4*groups)
	set(5, groups, 64)
	return c
}

// qTilesAMX is qgemm's sweep of one block's row tiles on AMX (qAMXFor's
// blocks: a whole chunk of 16 groups at least): rows
// [0, m) of a, the block blk of nv vectors, written to dst as qgemm's
// mode says (0: int32, 1: uint8 through scale, offset and lo); lanes is
// the last vector's width. Whole row tiles go qAMXRowTiles to a call.
func qTilesAMX(nv int, a []uint8, lda int, offs []int, taps, groups int, blk []int8, dst unsafe.Pointer, lddBytes, m, mode int, scale, offset []float32, lo float32, lanes int) {
	full, tail := groups/16, groups%16
	out := qAMXScratch.get()
	defer qAMXScratch.put(out)
	mask := uint16(1<<lanes - 1)
	cols := 16*(nv-1) + lanes
	cfg, cfgTail := qAMXConfig(qAMXRows, 16), qAMXConfig(qAMXRows, tail)
	for r0 := 0; r0 < m; {
		tiles := min(qAMXRowTiles, (m-r0)/qAMXRows)
		rows := tiles * qAMXRows
		if tiles == 0 { // the short last tile, under a configuration of its rows
			tiles, rows = 1, m-r0
			cfg, cfgTail = qAMXConfig(rows, 16), qAMXConfig(rows, tail)
		}
		amxTileU8(&a[r0*lda], lda, &offs[0], taps, full, tail, &blk[0], groups*nv*64, nv, &out[0], &cfg[0], &cfgTail[0], tiles)
		at := unsafe.Add(dst, r0*lddBytes)
		r0 += rows
		if mode == 0 {
			for i := range rows {
				d := unsafe.Slice((*int32)(unsafe.Add(at, i*lddBytes)), cols)
				copy(d, out[i*64:i*64+cols])
			}
			continue
		}
		amxRequantU8(&out[0], (*uint8)(at), lddBytes, rows, nv, &scale[0], &offset[0], lo, mask)
	}
}

// amxTileU8: see qgemm_amx_amd64.s.
//
//go:noescape
func amxTileU8(a *uint8, lda int, offs *int, taps int, full int, tail int, b *int8, tapB int, nv int, out *int32, cfg *byte, cfgTail *byte, tiles int)

// amxRequantU8: see qgemm_amx_amd64.s.
//
//go:noescape
func amxRequantU8(src *int32, dst *uint8, ldd int, rows int, nv int, scale *float32, offset *float32, lo float32, mask uint16)
