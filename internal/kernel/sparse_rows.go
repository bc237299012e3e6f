package kernel

import "fmt"

// A sparse product spends about a third of its time finding A's non-zeros
// (a compare and two compresses per 16 values), the rest multiplying them
// in (the course MLP's forward product: 24 µs, 16 µs from the lists).
// When A is known before the product runs (a training batch, gathered
// while the previous step runs on the other core), the finding can be done
// ahead, on the idle core: SparseRows holds the lists, and GemmSparseRows
// is then only the multiply-adds, in GemmSparseA's order with its
// accumulators, so the same bits.

// SparseRows is a matrix A of m×k as lists of its non-zeros, per depth
// block of sparseKB and row, made by Compress for GemmSparseRows.
type SparseRows struct {
	m, k int
	vals []float32
	idx  []int32 // each value's position in its depth block
	// ptr bounds the lists: block b's row i is entries
	// [ptr[b*m+i], ptr[b*m+i+1]).
	ptr []int32
}

// NewSparseRows returns room for the lists of an m×k matrix: as many
// entries as A has elements, so that Compress never allocates. Only CPUs
// with the sparse kernels (SparseSupported) use it.
func NewSparseRows(m, k int) *SparseRows {
	if m < 0 || k < 0 || int64(m)*int64(k) > 1<<31-64 {
		panic(fmt.Sprintf("kernel: NewSparseRows(%d, %d): dimensions out of range", m, k))
	}
	blocks := (k + sparseKB - 1) / sparseKB
	return &SparseRows{m: m, k: k, vals: make([]float32, m*k+16), idx: make([]int32, m*k+16), ptr: make([]int32, blocks*m+1)}
}

// Compress lists the non-zeros (NaN included) of A, m×k with row stride
// lda, the dimensions NewSparseRows was given.
func (s *SparseRows) Compress(a []float32, lda int) {
	if !useSparse {
		panic("kernel: SparseRows.Compress without the sparse kernels (SparseSupported is false)")
	}
	checkStored("A", s.m, s.k, len(a), lda, "lda")
	if s.m == 0 || s.k == 0 {
		return
	}
	s.ptr[0] = 0
	for b, p0 := 0, 0; p0 < s.k; b, p0 = b+1, p0+sparseKB {
		kb := min(sparseKB, s.k-p0)
		kmask := uint16(1)<<(kb%16) - 1
		sparseCompressRowsAVX512(&a[p0], lda, kb, s.m, &s.vals[0], &s.idx[0], &s.ptr[b*s.m], kmask)
	}
}

// GemmSparseRows computes C = A·B + beta·C, A m×k given by s (its last
// Compress), B k×n (ldb), C m×n (ldc): the bits of GemmSparseA on the same
// A. beta == 0 means C is not read; work is GemmSparseA's, of at least
// SparseWorkLen(m, k, false) values. It runs on the calling goroutine.
func GemmSparseRows(s *SparseRows, n int, b []float32, ldb int, beta float32, c []float32, ldc int, work []float32) {
	if !useSparse {
		panic("kernel: GemmSparseRows without the sparse kernels (SparseSupported is false)")
	}
	m, k := s.m, s.k
	if n < 0 {
		panic(fmt.Sprintf("kernel: GemmSparseRows: negative dimension n=%d", n))
	}
	checkStored("B", k, n, len(b), ldb, "ldb")
	checkStored("C", m, n, len(c), ldc, "ldc")
	checkWork("GemmSparseRows", work, SparseWorkLen(m, k, false))
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	buf := (*sparseBuf)(work)
	for blk, p0 := 0, 0; p0 < k; blk, p0 = blk+1, p0+sparseKB {
		kb := min(sparseKB, k-p0)
		for j0 := 0; j0 < n; j0 += 64 {
			w := min(64, n-j0)
			v, mask := sparseVecs(w)
			ld := 16 * v
			pb := &buf.aligned()[:kb*ld][0]
			sparsePackBlock(v, pb, b[p0*ldb+j0:], ldb, kb, w, mask)
			vals, idx, ptr, pc := &s.vals[0], &s.idx[0], &s.ptr[blk*m], &c[j0]
			switch v {
			case 1:
				sparseGemmRowsAVX512x16(vals, idx, ptr, pb, ld, pc, ldc, beta, m, mask)
			case 2:
				sparseGemmRowsAVX512x32(vals, idx, ptr, pb, ld, pc, ldc, beta, m, mask)
			case 3:
				sparseGemmRowsAVX512x48(vals, idx, ptr, pb, ld, pc, ldc, beta, m, mask)
			default:
				sparseGemmRowsAVX512x64(vals, idx, ptr, pb, ld, pc, ldc, beta, m, mask)
			}
		}
		beta = 1
	}
}

// sparsePackBlock packs kb rows of w columns of b (row stride ldb) into pb
// as rows of v whole vectors, the lanes past w zeroed.
func sparsePackBlock(v int, pb *float32, b []float32, ldb, kb, w int, mask uint16) {
	_ = b[(kb-1)*ldb+w-1]
	switch v {
	case 1:
		sparsePackAVX512x16(pb, &b[0], ldb, kb, mask)
	case 2:
		sparsePackAVX512x32(pb, &b[0], ldb, kb, mask)
	case 3:
		sparsePackAVX512x48(pb, &b[0], ldb, kb, mask)
	default:
		sparsePackAVX512x64(pb, &b[0], ldb, kb, mask)
	}
}
