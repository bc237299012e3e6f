package kernel

import (
	"fmt"
	"math"
	"sync/atomic"
)

// useScaleRcp selects scaleUint8RcpVec (AVX-512F) for ScaleUint8.
var useScaleRcp bool

// scaleRcp caches, for the last divisor ScaleUint8 was given, the reciprocal
// that scaleUint8RcpVec needs: the divisor's bits in the high 32 bits, the
// reciprocal's in the low 32, whose 0 means that the divisor must divide.
// The zero value says so for div = +0 (whose quotients are ±Inf and NaN).
// A data set scales every batch by the same divisor (255), so the check
// below runs once per process.
var scaleRcp atomic.Uint64

// everyByte is 0, 1, ..., 255.
var everyByte = func() (b [256]uint8) {
	for i := range b {
		b[i] = uint8(i)
	}
	return b
}()

// scaleReciprocal returns the float32 nearest 1/div and true when
// scaleUint8RcpVec's multiplies with it give, for every byte value, the same
// float32 as the division float32(v) / div, which is what ScaleUint8
// promises; checked on all 256 values through the assembly itself.
func scaleReciprocal(div float32) (float32, bool) {
	bits := math.Float32bits(div)
	if c := scaleRcp.Load(); uint32(c>>32) == bits {
		return math.Float32frombits(uint32(c)), uint32(c) != 0
	}
	rcp := 1 / div
	if r := math.Abs(float64(rcp)); r == 0 || r < 0x1p-126 || math.IsInf(r, 0) || math.IsNaN(r) {
		rcp = 0
	} else {
		var got [256]float32
		scaleUint8RcpVec(&got[0], &everyByte[0], div, rcp, len(got))
		for v, q := range got {
			if math.Float32bits(q) != math.Float32bits(float32(v)/div) {
				rcp = 0
				break
			}
		}
	}
	scaleRcp.Store(uint64(bits)<<32 | uint64(math.Float32bits(rcp)))
	return rcp, rcp != 0
}

// gatherAhead is how many rows ahead of the one it converts ScaleUint8Rows
// asks for a row's cache lines: enough to have a few rows in flight from
// memory (a 784-byte MNIST image converts in about 50 ns, a miss to memory
// takes longer), few enough that they arrive before they are evicted.
const gatherAhead = 4

// ScaleUint8Rows gathers rows of n bytes from src (row r is
// src[r*n:(r+1)*n]) into dst, one after another, scaled as ScaleUint8 does:
//
//	dst[i*n+j] = float32(src[rows[i]*n+j]) / div
//
// src (N rows of n) → dst (len(rows) rows of n). It is a batch drawn from a
// data set kept as bytes, in shuffled order: the rows lie anywhere in a data
// set larger than the caches, and one row converted after another waits for
// memory row after row. So each row's cache lines are asked for (a prefetch,
// which reads nothing) gatherAhead rows before it is converted, and the
// misses overlap: 100 random MNIST rows of a 47 MB set gather in about a
// third of the time (BenchmarkScaleUint8Rows).
func ScaleUint8Rows(dst []float32, src []uint8, n int, rows []int, div float32) {
	if n < 0 || len(dst) != len(rows)*n {
		panic(fmt.Sprintf("kernel: ScaleUint8Rows: %d rows of %d into %d values", len(rows), n, len(dst)))
	}
	for _, r := range rows {
		if r < 0 || (r+1)*n > len(src) {
			panic(fmt.Sprintf("kernel: ScaleUint8Rows: row %d of %d bytes is outside a source of %d", r, n, len(src)))
		}
	}
	if n == 0 {
		return
	}
	ahead := useSIMD && n >= 64 // a prefetch per row is not worth it for rows within a cache line
	if ahead {
		for _, r := range rows[:min(gatherAhead, len(rows))] {
			prefetchBytesVec(&src[r*n], n)
		}
	}
	for i, r := range rows {
		if ahead && i+gatherAhead < len(rows) {
			prefetchBytesVec(&src[rows[i+gatherAhead]*n], n)
		}
		ScaleUint8(dst[i*n:(i+1)*n], src[r*n:(r+1)*n], div)
	}
}
