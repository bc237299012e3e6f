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
	if beta == 1 {
		GemmSparseATAdd(m, n, k, a, lda, b, ldb, c, ldc, work)
		return
	}
	checkGemm(true, false, k, n, m, a, lda, b, ldb, c, ldc)
	checkWork("GemmSparseAT", work, SparseWorkLen(m, k, true))
	if n == 0 || k == 0 {
		return
	}
	if m == 0 || !useSparse {
		gemmSparseATSetGeneric(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	at, pack := work[:k*m], work[k*m:]
	interleave(at, m, a, lda, m, k) // at (k×m) = Aᵀ
	GemmSparseA(k, n, m, at, m, b, ldb, 0, c, ldc, pack)
}

// gemmSparseATSetGeneric is gemmSparseATGeneric setting C instead of
// adding to it.
func gemmSparseATSetGeneric(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for q := 0; q < k; q++ {
		row := c[q*ldc : q*ldc+n]
		for j := range row {
			var acc float32
			for i := 0; i < m; i++ {
				if av := a[i*lda+q]; av != 0 || av != av {
					acc += av * b[i*ldb+j]
				}
			}
			row[j] = acc
		}
	}
}
