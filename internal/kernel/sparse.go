package kernel

import (
	"fmt"
	"unsafe"
)

// useSparse selects the AVX-512 sparse products of elementwise_amd64.s; it
// is set at start-up when the CPU has AVX-512F and BMI1, never under the
// purego tag. Without them PreferSparse says no and callers use Gemm.
var useSparse bool

// sparseMaxDensity is the fraction of non-zeros in A up to which GemmSparseA
// beats Gemm. Measured on the course MLP's first layer (100×784 by 784×50,
// Zen 4): Gemm takes 1.0 ns per element of A; GemmSparseA about 2.3 ns per
// non-zero plus 0.25 ns per element for the scan and the packing of B, so it
// breaks even near a density of 0.33. MNIST images hold about 19 % non-zero
// pixels (54 µs against 81).
const sparseMaxDensity = 0.3

// sparseKB is the depth block of GemmSparseA: 128 rows of 64 columns of B
// take 32 KiB, the L1 data cache of the cores goras is
// tuned on.
const sparseKB = 128

// countNonzero returns how many elements of x are not ±0 (NaN counts).
func countNonzero(x []float32) int {
	n := 0
	if k := simdLen(len(x)); k > 0 {
		n = countNonzeroVec(&x[0], k)
		x = x[k:]
	}
	for _, v := range x {
		if v != 0 || v != v {
			n++
		}
	}
	return n
}

// sparseSampleRows is how many leading rows of A PreferSparse looks at: a
// batch of images is uniform enough that a few tell its density, and
// counting all of a large A would cost a tenth of what skipping saves.
const sparseSampleRows = 8

// SparseSupported reports whether this CPU runs the sparse products, that is
// whether PreferSparse can ever say yes.
func SparseSupported() bool { return useSparse }

// sparsePackRows is the fewest rows of A for which GemmSparseA packs B:
// packing all of B (k×n) costs, for a single MNIST image, three times the
// dense product, while reading B in place costs about twice as much per
// non-zero (masked loads across cache lines).
const sparsePackRows = 32

// PreferSparse reports whether GemmSparseA beats Gemm for A (m×k, row
// stride lda): when the CPU has the sparse kernels and at most
// sparseMaxDensity of A's first rows are non-zero. It depends on the CPU and
// the data only, never on the number of workers.
func PreferSparse(m, k int, a []float32, lda int) bool {
	if !useSparse || m == 0 || k == 0 {
		return false
	}
	rows := min(m, sparseSampleRows)
	nz := 0
	for i := 0; i < rows; i++ {
		nz += countNonzero(a[i*lda : i*lda+k])
	}
	return float64(nz) <= sparseMaxDensity*float64(rows*k)
}

// SparseWorkLen is the length of the work buffer that GemmSparseA (transposed
// false) or GemmSparseATAdd (true) needs for A of m×k.
func SparseWorkLen(m, k int, transposed bool) int {
	n := len(sparseBuf{})
	if transposed {
		n += m * k
	}
	return n
}

// GemmSparseA computes C = A·B + beta·C, A m×k (row stride lda), B k×n
// (ldb), C m×n (ldc), all row-major, skipping the zero elements of A: a
// Dense layer's forward product on mostly-zero inputs. beta == 0 means C is
// not read. work, of at least SparseWorkLen(m, k, false) values, holds
// packed B. Each element is summed over p ascending in depth blocks of 128
// (see sparseGemmAVX512x64), then beta·C added; the result is the same for
// any number of workers (it runs on the caller's goroutine alone, so it may
// run inside a Job).
func GemmSparseA(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, work []float32) {
	checkGemm(false, false, m, n, k, a, lda, b, ldb, c, ldc)
	checkWork("GemmSparseA", work, SparseWorkLen(m, k, false))
	if m == 0 || n == 0 {
		return
	}
	if !useSparse {
		gemmSparseAGeneric(m, n, k, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	// Depth blocks of sparseKB rows of B, copied into an aligned buffer
	// whose rows are whole vectors: the rows that A's non-zeros pick then
	// stay in L1 across all rows of A, and no load straddles two cache lines
	// (a 50-column B read in place runs at half the speed). Each depth block
	// adds its sum to C (beta = 1 after the first).
	buf := (*sparseBuf)(work)
	// Packing B costs about as much as a few rows of A take: below
	// sparsePackRows rows B is read in place, its last vector masked.
	inPlace := m < sparsePackRows && int64(sparseKB)*int64(ldb)*4 < 1<<31
	for p0 := 0; p0 < k; p0 += sparseKB {
		kb := min(sparseKB, k-p0)
		kmask := uint16(1)<<(kb%16) - 1
		for j0 := 0; j0 < n; j0 += 64 {
			w := min(64, n-j0)
			v, mask := sparseVecs(w)
			pa, pc := &a[p0], &c[j0]
			if inPlace {
				pb := &b[p0*ldb+j0]
				switch v {
				case 1:
					sparseGemmInPlaceAVX512x16(kb, pa, lda, pb, ldb, pc, ldc, beta, m, mask, kmask)
				case 2:
					sparseGemmInPlaceAVX512x32(kb, pa, lda, pb, ldb, pc, ldc, beta, m, mask, kmask)
				case 3:
					sparseGemmInPlaceAVX512x48(kb, pa, lda, pb, ldb, pc, ldc, beta, m, mask, kmask)
				default:
					sparseGemmInPlaceAVX512x64(kb, pa, lda, pb, ldb, pc, ldc, beta, m, mask, kmask)
				}
				continue
			}
			// The block's rows, w columns each, as whole aligned vectors
			// (the last one's lanes past w zeroed: never read from B).
			ld := 16 * v
			pk := buf.aligned()[:kb*ld]
			pb := &pk[0]
			sparsePackBlock(v, pb, b[p0*ldb+j0:], ldb, kb, w, mask)
			switch v {
			case 1:
				sparseGemmAVX512x16(kb, pa, lda, pb, ld, pc, ldc, beta, m, mask, kmask)
			case 2:
				sparseGemmAVX512x32(kb, pa, lda, pb, ld, pc, ldc, beta, m, mask, kmask)
			case 3:
				sparseGemmAVX512x48(kb, pa, lda, pb, ld, pc, ldc, beta, m, mask, kmask)
			default:
				sparseGemmAVX512x64(kb, pa, lda, pb, ld, pc, ldc, beta, m, mask, kmask)
			}
		}
		beta = 1
	}
}

// sparseVecs returns how many vectors of 16 columns cover w ≤ 64 columns
// of B and C, and the mask of the last one's lanes (bit j: lane j), as the
// assembly takes them.
func sparseVecs(w int) (v int, mask uint16) {
	v = (w + 15) / 16
	return v, uint16(1<<(w-16*(v-1)) - 1)
}

// sparseBuf holds one packed depth block of B: sparseKB rows of up to 64
// columns, plus room to align it to a cache line.
type sparseBuf [sparseKB*64 + 16]float32

func checkWork(op string, work []float32, need int) {
	if len(work) < need {
		panic(fmt.Sprintf("kernel: %s: work buffer of %d values, needs %d (SparseWorkLen)", op, len(work), need))
	}
}

// aligned returns the buffer from its first 64-byte boundary.
func (b *sparseBuf) aligned() []float32 {
	off := int(uintptr(unsafe.Pointer(&b[0]))%64) / 4
	return b[(16-off)%16:]
}

func gemmSparseAGeneric(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			var acc float32
			for p := 0; p < k; p++ {
				if av := a[i*lda+p]; av != 0 || av != av {
					acc += av * b[p*ldb+j]
				}
			}
			if beta != 0 {
				acc += beta * row[j]
			}
			row[j] = acc
		}
	}
}

// GemmSparseATAdd computes C += Aᵀ·B, A m×k (row stride lda), B m×n (ldb),
// C k×n (ldc), skipping the zero elements of A: a Dense layer's weight
// gradient dW += Xᵀ·dY on mostly-zero inputs. A is transposed into a scratch
// buffer and handed to GemmSparseA with beta = 1, so each element of C gets
// the sum over i (two interleaved partial sums, as there) added once. work,
// of at least SparseWorkLen(m, k, true) values, holds the transpose and
// packed B. It runs on the caller's goroutine alone.
func GemmSparseATAdd(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, work []float32) {
	gemmSparseAT("GemmSparseATAdd", m, n, k, a, lda, b, ldb, 1, c, ldc, work)
}

// gemmSparseAT is GemmSparseATAdd (beta 1) and GemmSparseAT's setting form
// (beta 0, C not read).
func gemmSparseAT(op string, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, work []float32) {
	checkGemm(true, false, k, n, m, a, lda, b, ldb, c, ldc)
	checkWork(op, work, SparseWorkLen(m, k, true))
	if n == 0 || k == 0 || (m == 0 && beta == 1) {
		return
	}
	if m == 0 || !useSparse {
		gemmSparseATGeneric(m, n, k, a, lda, b, ldb, beta, c, ldc)
		return
	}
	at, pack := work[:k*m], work[k*m:]
	interleave(at, m, a, lda, m, k) // at (k×m) = Aᵀ
	GemmSparseA(k, n, m, at, m, b, ldb, beta, c, ldc, pack)
}

// SparseTransposeA writes Aᵀ (A m×k, row stride lda) into work, which
// must be of at least SparseWorkLen(m, k, true) values, for
// SparseRows.Compress to list the non-zeros of Aᵀ: the transpose
// GemmSparseAT makes first, done ahead (autograd's Plan.Prepare) where an
// idle core can take it.
// CPUs without the sparse kernels (SparseSupported false) have no use for
// it: it panics there.
func SparseTransposeA(m, k int, a []float32, lda int, work []float32) {
	if !useSparse {
		panic("kernel: SparseTransposeA without the sparse kernels (SparseSupported is false)")
	}
	if m < 0 || k < 0 {
		panic("kernel: SparseTransposeA: negative dimension")
	}
	checkStored("A", m, k, len(a), lda, "lda")
	checkWork("SparseTransposeA", work, SparseWorkLen(m, k, true))
	if m > 0 && k > 0 {
		interleave(work[:k*m], m, a, lda, m, k)
	}
}

// gemmSparseATGeneric is gemmSparseAT in Go: each sum formed from a +0
// accumulator, then added to C (beta 1) or stored (beta 0).
func gemmSparseATGeneric(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for q := 0; q < k; q++ {
		row := c[q*ldc : q*ldc+n]
		for j := range row {
			var acc float32
			for i := 0; i < m; i++ {
				if av := a[i*lda+q]; av != 0 || av != av {
					acc += av * b[i*ldb+j]
				}
			}
			if beta == 0 {
				row[j] = acc
			} else {
				row[j] += acc
			}
		}
	}
}
