//go:build amd64 && !purego

package kernel

import (
	"sync"

	"golang.org/x/sys/cpu"
)

// Intel's AMX (Sapphire Rapids and later Xeons) multiplies bfloat16 tiles
// of 16 rows × 32 values with TDPBF16PS: 16 times the float32 FMA peak of
// the core, where VDPBF16PS on those cores runs at half the float32 rate
// (measured on a Xeon with AMX: GemmBF16's 14×32 tile at ~105 GFLOP/s
// against Gemm's ~175, so mixed_bfloat16 made training slower there).
// The AMX tile below takes C in blocks of 32×32 (four accumulator tiles)
// and the depth 16 pairs a step, the last step narrower; A whose pairs
// are not contiguous along the depth (csa ≠ 1) runs on the AVX512_BF16
// tile instead (GemmBF16 and Conv2DBF16 avoid that: see rowsA), as does
// everything where the OS refused AMX.

var amxBF16Kernel = bf16Kernel{
	name: "amx",
	mr:   32, nr: 32,
	// A 32×512-pair panel of A (64 KiB) and 512×32 pairs of B per call;
	// the whole depth of most layers in one block, so C is written once.
	mc: 32 * 4, kc: 1024, nc: 1024,
	tile: tileBF16AMX, segTile: tileSegsAMX, cvt: cvtBF16AVX512, pair: pairBF16AVX512, transpose: transposeBF16AVX,
	rowsA: true,
}

// init runs after bf16_amd64.go's (files initialise in name order), so
// the AMX kernel comes last in bf16Kernels; it needs the AVX512_BF16 tile
// for its fallback. The OS is asked for the tile state only when bfloat16
// products are first wanted (amxGranted): once granted, every thread's
// signal frame carries the 8 KiB of tiles and Linux refuses small
// signal stacks, which a process that never trains in bfloat16 should not
// pay for.
func init() {
	x := cpu.X86
	if !hasAVX512BF16() || !x.HasAMXTile || !x.HasAMXBF16 {
		return
	}
	bf16Kernels = append(bf16Kernels, &amxBF16Kernel)
	activeBF16 = &amxBF16Kernel
	amxAsk = func() { amxGranted() }
}

var (
	amxOnce sync.Once
	amxOK   bool
)

// amxGranted asks the OS for the AMX tile state the first time it is
// called and reports whether it was granted. Where it was not (Linux
// before 5.16, or a thread's signal stack too small for the tiles),
// VDPBF16PS alone would make mixed_bfloat16 slower than float32, as it
// was on the Xeon this was measured on: bf16Slow says so, so that
// BF16Available says no, and the AMX tile runs on the AVX512_BF16 one.
func amxGranted() bool {
	amxOnce.Do(func() {
		if amxOK = amxPermit(); !amxOK {
			bf16Slow = amxRefused
		}
	})
	return amxOK
}

// amxRefused is BF16Unavailable's reason when the OS refused AMX.
const amxRefused = "the OS did not grant this CPU's AMX tiles (Linux does from 5.16 on), and its AVX512_BF16 (VDPBF16PS) runs at half the float32 rate"

// amxConfigs[r] is the tile configuration (LDTILECFG's 64 bytes) for a
// block of r rows of C: palette 1; T0, T1 (C's first 16 rows, two column
// halves) and T4 (A's first 16 rows) of min(r, 16) rows; T2, T3 and T5 of
// r-16 rows when r > 16, else unused; T6, T7 (B) 16 pair rows; every used
// tile 64 bytes a row.
var amxConfigs = func() (cfg [33][64]byte) {
	for r := 1; r <= 32; r++ {
		c := &cfg[r]
		c[0] = 1
		set := func(t, rows int) {
			c[16+2*t] = 64 // colsb, little-endian uint16
			c[48+t] = byte(rows)
		}
		set(0, min(r, 16))
		set(1, min(r, 16))
		set(4, min(r, 16))
		if r > 16 {
			set(2, r-16)
			set(3, r-16)
			set(5, r-16)
		}
		set(6, 16)
		set(7, 16)
	}
	return cfg
}()

// tileBF16AMX implements bf16Kernel.tile for rows ≤ 32, cols ≤ 32.
func tileBF16AMX(k int, a []uint32, rsa, csa int, b []uint32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	if csa != 1 || !amxGranted() {
		tileBF16Rows(k, a, rsa, csa, b, ldb, c, ldc, alpha, beta, rows, cols)
		return
	}
	cfg := &amxConfigs[rows]
	tail := k % 16
	cfgTail := cfg
	if tail > 0 {
		t := *cfg
		t[16+2*4], t[16+2*5] = byte(4*tail), byte(4*tail) // A: tail pairs a row
		t[48+6], t[48+7] = byte(tail), byte(tail)         // B: tail pair rows
		if rows <= 16 {
			t[16+2*5] = 0
		}
		cfgTail = &t
	}
	mask := uint32(1)<<cols - 1 // all ones when cols == 32
	amxTileBF16(k/16, &a[0], rsa, &b[0], ldb, &c[0], ldc, alpha, beta, rows, mask, &cfg[0], tail, &cfgTail[0], 1, 0, 0)
}

// tileSegsAMX implements bf16Kernel.segTile: the segments' sums stay in
// the tiles, C is written once, and the configuration is loaded once,
// where a call per segment would pay for all three each time. A depth
// that is not whole steps runs a call per segment.
func tileSegsAMX(segs, segA, segB, k int, a []uint32, rsa int, b []uint32, ldb int, c []float32, ldc int, beta float32, rows, cols int) {
	if segs == 1 || k%16 != 0 || !amxGranted() {
		tileSegsEach(tileBF16AMX, segs, segA, segB, k, a, rsa, b, ldb, c, ldc, beta, rows, cols)
		return
	}
	// The assembly reads these ends; a short slice panics here instead.
	_, _ = a[(segs-1)*segA+(rows-1)*rsa+k-1], b[(segs-1)*segB+(k-1)*ldb+31]
	_ = c[(rows-1)*ldc+cols-1]
	cfg := &amxConfigs[rows][0]
	amxTileBF16(k/16, &a[0], rsa, &b[0], ldb, &c[0], ldc, 1, beta, rows, uint32(1)<<cols-1, cfg, 0, cfg, segs, segA, segB)
}

// tileBF16Rows runs the AVX512_BF16 tile over up to 32 rows, 14 at a time.
func tileBF16Rows(k int, a []uint32, rsa, csa int, b []uint32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	mr := avx512BF16Kernel.mr
	for r := 0; r < rows; r += mr {
		tileBF16AVX512(k, a[r*rsa:], rsa, csa, b, ldb, c[r*ldc:], ldc, alpha, beta, min(mr, rows-r), cols)
	}
}

// amxTileBF16 sets, for i < rows ≤ 32 and the columns j < 32 that mask
// names,
//
//	c[i*ldc+j] = alpha·acc (+ beta·c[i*ldc+j] when beta ≠ 0, as one FMA)
//	acc = Σ_{q < 16·k16 + tail} a[i*rsa+q] ⊙ b[q*ldb+j]
//
// with TDPBF16PS, whose order within a step is its own (the sums may
// differ from the AVX512_BF16 tile's in their last bits). cfg is
// &amxConfigs[rows][0]; when tail (< 16) is not 0, cfgTail is that
// configuration with A's tiles tail pairs wide and B's tail rows deep.
// It reads 32 columns of b whatever mask says. With segs > 1 (and tail
// 0) the depth is segs runs of 16·k16 pairs, A and B read segA and segB
// pairs further at each run: the sum of segs tiles at once, as
// bf16Kernel.segTile says.
//
//go:noescape
func amxTileBF16(k16 int, a *uint32, rsa int, b *uint32, ldb int, c *float32, ldc int, alpha, beta float32, rows int, mask uint32, cfg *byte, tail int, cfgTail *byte, segs, segA, segB int)
