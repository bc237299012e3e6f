//go:build !amd64 || purego

package kernel

// maskRowsVec is padGrad's assembly loop where there is none: it does
// nothing and says so.
func maskRowsVec(dst, dy, y []float32, n, rows, drs, srs int) bool { return false }
