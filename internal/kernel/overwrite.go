package kernel

// GemmSparseAT computes C = Aᵀ·B + beta·C, A m×k (row stride lda), B m×n
// (ldb), C k×n (ldc), skipping the zero elements of A; beta is 0 (C is
// set, not read: a weight gradient dW = Xᵀ·dY whose only writer is this
// product) or 1 (GemmSparseATAdd). Each element's sum is formed as
// GemmSparseATAdd's, from a +0 accumulator, so it is never -0 and setting
// it gives the bits of adding it to a zeroed C. work is as for
// GemmSparseATAdd.
func GemmSparseAT(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, work []float32) {
	if beta != 0 && beta != 1 {
		panic("kernel: GemmSparseAT: beta must be 0 or 1")
	}
	gemmSparseAT("GemmSparseAT", m, n, k, a, lda, b, ldb, beta, c, ldc, work)
}
