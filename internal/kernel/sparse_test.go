package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sparseImpls lists the sparse-product implementations this machine runs:
// the pure-Go loops always, AVX-512 when the CPU has it.
func sparseImpls() []bool {
	impls := []bool{false}
	if useSparse {
		impls = append(impls, true)
	}
	return impls
}

func withSparse(on bool, f func()) {
	old := useSparse
	useSparse = on
	defer func() { useSparse = old }()
	f()
}

// sparseMatrix is rows×cols with stride ld, about a quarter of it non-zero
// (the rest +0 or -0), and NaN in the padding past cols so that reading it
// would show.
func sparseMatrix(r *rand.Rand, rows, cols, ld int) []float32 {
	s := make([]float32, max(rows*ld, 1))
	for i := range s {
		switch {
		case i%ld >= cols:
			s[i] = float32(math.NaN())
		case r.IntN(4) == 0:
			s[i] = float32(r.Float64()*2 - 1)
		case r.IntN(2) == 0:
			s[i] = float32(math.Copysign(0, -1))
		}
	}
	return s
}

// TestGemmSparseConformance holds every implementation of GemmSparseA and
// GemmSparseATAdd against float64 products at sizes around the vector width
// (16), the column block (64) and the scan chunk (16 values of A), with
// padded strides: results within float32 rounding, padding and rows outside
// C untouched.
func TestGemmSparseConformance(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, m := range []int{0, 1, 3, 14, 31, 32, 130} {
		for _, k := range []int{0, 1, 15, 16, 17, 40, 100} {
			for _, n := range []int{1, 10, 16, 17, 50, 64, 65, 70, 79, 80, 130, 200} {
				lda, ldb, ldc := k+3, n+2, n+5
				a := sparseMatrix(r, m, k, lda)
				b := randSlice(r, max(k*ldb, 1))
				for i := range b { // B's padding must never be read
					if i%ldb >= n {
						b[i] = float32(math.NaN())
					}
				}
				c0 := randSlice(r, max(m*ldc, 1))
				// C (k×n) += Aᵀ·B with B m×n.
				bt := randSlice(r, max(m*ldb, 1))
				ct0 := randSlice(r, max(k*ldc, 1))
				wantT := make([]float64, k*n)
				for q := 0; q < k; q++ {
					for j := 0; j < n; j++ {
						s := float64(ct0[q*ldc+j])
						for i := 0; i < m; i++ {
							s += float64(a[i*lda+q]) * float64(bt[i*ldb+j])
						}
						wantT[q*n+j] = s
					}
				}
				for _, impl := range sparseImpls() {
					c := clone(ct0)
					withSparse(impl, func() { GemmSparseATAdd(m, n, k, a, lda, bt, ldb, c, ldc, make([]float32, SparseWorkLen(m, k, true))) })
					for q := 0; q < k; q++ {
						for j := 0; j < ldc; j++ {
							got := c[q*ldc+j]
							if j >= n {
								if !sameBits(got, ct0[q*ldc+j]) {
									t.Fatalf("GemmSparseATAdd sparse=%v m=%d k=%d n=%d: padding C[%d,%d] written", impl, m, k, n, q, j)
								}
								continue
							}
							if w := wantT[q*n+j]; math.Abs(float64(got)-w) > 1e-5*(1+math.Abs(w)) {
								t.Fatalf("GemmSparseATAdd sparse=%v m=%d k=%d n=%d: C[%d,%d] = %v, want %v", impl, m, k, n, q, j, got, w)
							}
						}
					}
				}
				for _, beta := range []float32{0, 1, 0.5} {
					want := make([]float64, m*n)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var s float64
							for p := 0; p < k; p++ {
								s += float64(a[i*lda+p]) * float64(b[p*ldb+j])
							}
							want[i*n+j] = s + float64(beta)*float64(c0[i*ldc+j])
						}
					}
					for _, impl := range sparseImpls() {
						c := clone(c0)
						if beta == 0 {
							for i := range c {
								c[i] = float32(math.NaN()) // must not be read
							}
						}
						withSparse(impl, func() {
							GemmSparseA(m, n, k, a, lda, b, ldb, beta, c, ldc, make([]float32, SparseWorkLen(m, k, false)))
						})
						for i := 0; i < m; i++ {
							for j := 0; j < ldc; j++ {
								got := c[i*ldc+j]
								if j >= n {
									if !sameBits(got, map[bool]float32{true: float32(math.NaN()), false: c0[i*ldc+j]}[beta == 0]) {
										t.Fatalf("GemmSparseA sparse=%v m=%d k=%d n=%d: padding C[%d,%d] written", impl, m, k, n, i, j)
									}
									continue
								}
								if w := want[i*n+j]; math.Abs(float64(got)-w) > 1e-5*(1+math.Abs(w)) {
									t.Fatalf("GemmSparseA sparse=%v m=%d k=%d n=%d beta=%v: C[%d,%d] = %v, want %v", impl, m, k, n, beta, i, j, got, w)
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestPreferSparse(t *testing.T) {
	a := make([]float32, 20*100)
	for i := 0; i < 8*100; i += 4 { // a quarter of the sampled rows
		a[i] = 1
	}
	if got := PreferSparse(20, 100, a, 100); got != useSparse {
		t.Errorf("density 1/4: PreferSparse = %v, want %v (sparse kernels available)", got, useSparse)
	}
	for i := 0; i < 8*100; i += 2 {
		a[i] = 1
	}
	if PreferSparse(20, 100, a, 100) {
		t.Error("density 2/3: PreferSparse = true")
	}
	for i := range a {
		a[i] = 0
	}
	if PreferSparse(0, 100, a, 100) || PreferSparse(20, 0, a, 100) {
		t.Error("empty A: PreferSparse = true")
	}
}

func TestCountNonzero(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for _, n := range []int{0, 1, 7, 8, 9, 100, 1001} {
		x := specialSlice(r, n)
		want := 0
		for _, v := range x {
			if v != 0 || math.IsNaN(float64(v)) {
				want++
			}
		}
		for _, impl := range elementwiseImpls() {
			var got int
			withSIMD(impl, func() { got = countNonzero(x) })
			if got != want {
				t.Errorf("%s, n=%d: %d non-zeros, want %d", implName(impl), n, got, want)
			}
		}
	}
}

// BenchmarkGemmSparse compares the course MLP's first-layer products
// (100×784 input of MNIST-like density 0.19, 50 units) with Gemm.
func BenchmarkGemmSparse(b *testing.B) {
	r := rand.New(rand.NewPCG(55, 56))
	const m, k, n = 100, 784, 50
	a := make([]float32, m*k)
	for i := range a {
		if r.Float64() < 0.19 {
			a[i] = float32(r.Float64())
		}
	}
	w, c, dy, dw := randSlice(r, k*n), make([]float32, m*n), randSlice(r, m*n), make([]float32, k*n)
	b.Run("forward/gemm", func(b *testing.B) {
		for b.Loop() {
			Gemm(false, false, m, n, k, 1, a, k, w, n, 0, c, n)
		}
	})
	work := make([]float32, SparseWorkLen(m, k, true))
	b.Run("forward/sparse", func(b *testing.B) {
		for b.Loop() {
			GemmSparseA(m, n, k, a, k, w, n, 0, c, n, work)
		}
	})
	b.Run("dW/gemm", func(b *testing.B) {
		for b.Loop() {
			Gemm(true, false, k, n, m, 1, a, k, dy, n, 1, dw, n)
		}
	})
	b.Run("dW/sparse", func(b *testing.B) {
		for b.Loop() {
			GemmSparseATAdd(m, n, k, a, k, dy, n, dw, n, work)
		}
	})
	b.Run("prefer", func(b *testing.B) {
		for b.Loop() {
			PreferSparse(m, k, a, k)
		}
	})
}

// GemmSparseRows on the lists of SparseTransposeA's transpose (what
// autograd's Plan.Prepare makes for a weight gradient) gives GemmSparseAT's
// bits, adding (beta 1) and setting (beta 0, over a C of NaN), for shapes
// with partial vectors and depth blocks.
func TestGemmSparseRowsTransposedSameBits(t *testing.T) {
	if !useSparse {
		t.Skip("no sparse kernels on this CPU")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, sh := range [][3]int{{100, 50, 784}, {16, 12, 784}, {7, 3, 33}, {130, 70, 20}, {1, 1, 1}} {
		m, n, k := sh[0], sh[1], sh[2]
		a, b := make([]float32, m*k), make([]float32, m*n)
		for i := range a {
			if r.IntN(5) == 0 {
				a[i] = float32(r.NormFloat64())
			}
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		for _, beta := range []float32{0, 1} {
			want, got := make([]float32, k*n), make([]float32, k*n)
			for i := range want {
				if beta == 0 {
					want[i], got[i] = float32(math.NaN()), float32(math.NaN())
				} else {
					want[i] = float32(r.NormFloat64())
					got[i] = want[i]
				}
			}
			w1, w2 := make([]float32, SparseWorkLen(m, k, true)), make([]float32, SparseWorkLen(m, k, true))
			GemmSparseAT(m, n, k, a, k, b, n, beta, want, n, w1)
			SparseTransposeA(m, k, a, k, w2)
			rows := NewSparseRows(k, m)
			rows.Compress(w2[:k*m], m)
			GemmSparseRows(rows, n, b, n, beta, got, n, w2[k*m:])
			for i := range want {
				if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
					t.Fatalf("%dx%dx%d beta %v: C[%d] = %v prepared, %v not", m, n, k, beta, i, got[i], want[i])
				}
			}
		}
	}
}

// TestSparsePack holds the packing of B's depth blocks (one vector load and
// store each) to a copy of each row's w columns followed by +0 up to the
// next multiple of 16, for every width up to 64: B's columns past w hold NaN
// and must not reach the buffer.
func TestSparsePack(t *testing.T) {
	if !useSparse {
		t.Skip("no AVX-512 sparse kernels on this CPU")
	}
	packs := []func(dst, src *float32, lds, rows int, mask uint16){
		sparsePackAVX512x16, sparsePackAVX512x32, sparsePackAVX512x48, sparsePackAVX512x64}
	r := rand.New(rand.NewPCG(7, 8))
	for w := 1; w <= 64; w++ {
		for _, rows := range []int{0, 1, 5} {
			v, mask := sparseVecs(w)
			lds := w + 3
			src := randSlice(r, rows*lds+1)
			for i := range src {
				if i%lds >= w {
					src[i] = float32(math.NaN())
				}
			}
			dst := make([]float32, rows*16*v+1)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			packs[v-1](&dst[0], &src[0], lds, rows, mask)
			for i := 0; i < rows; i++ {
				for j := 0; j < 16*v; j++ {
					want := float32(0)
					if j < w {
						want = src[i*lds+j]
					}
					if got := dst[i*16*v+j]; !sameBits(got, want) {
						t.Fatalf("w=%d rows=%d: row %d column %d = %v, want %v", w, rows, i, j, got, want)
					}
				}
			}
			if !math.IsNaN(float64(dst[rows*16*v])) {
				t.Fatalf("w=%d rows=%d: wrote past the last row", w, rows)
			}
		}
	}
}
