package kernel

// GemmSerial reports whether Gemm of an m×k by k×n product runs entirely on
// the calling goroutine, without the pool, whatever its transposes. Callers
// that run products inside a Job (a training step split by batch slices)
// check it, since Parallel must not be called from inside a Job.
func GemmSerial(m, n, k int) bool { return m*n*k < parallelMinWork }
