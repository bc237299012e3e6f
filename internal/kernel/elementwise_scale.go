package kernel

import (
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
