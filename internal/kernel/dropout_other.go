//go:build !amd64 || purego

package kernel

// Without the assembly the flags stay false and these are never called;
// they exist so that the dispatching code compiles everywhere.
var (
	usePCGVec     = false
	useDropoutVec = false
)

func pcgDXSMVec(dst *uint64, blocks int, hi, lo *[pcgLanes]uint64, jump *[4]uint64) {
	panic("kernel: no SIMD")
}

func dropoutMaskVec(y, x *float32, keep *uint16, draws *uint64, thresh uint32, scale float32, n int) {
	panic("kernel: no SIMD")
}

func dropoutBackwardVec(dx, dy *float32, keep *uint16, scale float32, n int) {
	panic("kernel: no SIMD")
}
