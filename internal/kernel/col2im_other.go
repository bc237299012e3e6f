//go:build !amd64 || purego

package kernel

// Without the assembly loop, col2imRowsGeneric does all the work.
func col2imVec(dst, src []float32, dstep, sstep, rowLen, n, rows, drs, srs int) bool {
	return false
}
