package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// gemmRef is the float64 reference: it returns alpha*op(A)*op(B) + beta*C and,
// per element, a bound on the rounding error a float32 implementation may
// make (unit roundoff times depth times the magnitudes involved).
func gemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, tol []float64) {
	want = make([]float64, m*n)
	tol = make([]float64, m*n)
	const u = 1.0 / (1 << 23)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, mag float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				mag += math.Abs(float64(av) * float64(bv))
			}
			w := float64(alpha) * s
			mag = math.Abs(float64(alpha)) * mag
			if beta != 0 {
				w += float64(beta) * float64(c[i*ldc+j])
				mag += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j] = w
			tol[i*n+j] = u*float64(k+4)*mag + 1e-30
		}
	}
	return want, tol
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

type gemmCase struct {
	m, n, k     int
	alpha, beta float32
	pad         int // extra elements per row of A, B and C beyond the minimum stride
}

func gemmCases() []gemmCase {
	var cs []gemmCase
	sizes := [][3]int{
		{1, 1, 1}, {1, 3, 7}, {3, 1, 7}, {7, 3, 1}, {3, 7, 17}, {17, 33, 65}, {33, 17, 100},
		{65, 65, 65}, {31, 49, 15}, {100, 50, 784}, {100, 10, 50}, {100, 784, 50}, {784, 50, 100},
		{13, 29, 300}, {129, 70, 257}, {40, 1100, 9}, {200, 33, 31},
		// Shapes that take the packed paths (see packAPolicy, packBPolicy)
		// when their padding is 0: a 4 KiB row stride of A, transposed or
		// not, and wide B, with more than one depth block.
		{40, 20, 1024}, {1024, 8, 40}, {8, 600, 60}, {30, 530, 300},
	}
	scal := [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}, {1, 1}}
	for si, s := range sizes {
		for ai, ab := range scal {
			cs = append(cs, gemmCase{s[0], s[1], s[2], ab[0], ab[1], (si + ai) % 3 * 2})
		}
	}
	// Degenerate shapes: empty products only scale C.
	cs = append(cs, gemmCase{5, 6, 0, 1, 0.5, 0}, gemmCase{5, 6, 3, 0, 2, 1}, gemmCase{0, 4, 4, 1, 0, 0}, gemmCase{4, 0, 4, 1, 0, 0})
	return cs
}

// testKernels is what the heaviest conformance tests run: every
// implementation usable here, or under -short only the active one. CI's
// race-detector run is the short one: what it looks for is in how the work
// is shared out among workers, which the blocking does not change, and the
// full run (and the purego one) checks every implementation's numbers.
// With the AMX kernel the short suite under -race took 8.5 minutes on the
// 2-core Xeon, against a 10-minute test timeout.
func testKernels() []*microKernel {
	if testing.Short() {
		return []*microKernel{active}
	}
	return kernels
}

// testBF16Kernels is testKernels for the bfloat16 implementations.
func testBF16Kernels() []*bf16Kernel {
	if testing.Short() {
		return []*bf16Kernel{activeBF16}
	}
	return bf16Kernels
}

// gemmOperands makes A, B and C for a case, with their strides; C is NaN
// when beta is 0 (it must not be read).
func gemmOperands(r *rand.Rand, tc gemmCase, tA, tB bool) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := tc.m, tc.k
	if tA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc = max(1, ac)+tc.pad, max(1, bc)+tc.pad, max(1, tc.n)+tc.pad
	a, b, c = randSlice(r, max(0, ar*lda)), randSlice(r, max(0, br*ldb)), randC(r, max(0, tc.m*ldc), tc.beta)
	return a, lda, b, ldb, c, ldc
}

// randC returns n random values for C, or n NaNs when beta is 0: C must
// then not be read, and a NaN read would show in the result.
func randC(r *rand.Rand, n int, beta float32) []float32 {
	c := randSlice(r, n)
	if beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	return c
}

// checkOutside checks that a product or tile left the elements of C
// outside the rows×cols block it computes (C's rows ldc apart: its
// padding, its other rows) with the bits they had before.
func checkOutside(t *testing.T, name string, got, before []float32, rows, cols, ldc int) {
	t.Helper()
	for i := range got {
		if i/ldc < rows && i%ldc < cols {
			continue
		}
		if math.Float32bits(got[i]) != math.Float32bits(before[i]) {
			t.Fatalf("%s: C[%d,%d], outside the %d×%d computed, changed", name, i/ldc, i%ldc, rows, cols)
		}
	}
}

// TestGemmConformance runs every implementation available on this machine
// against the float64 reference on the same cases.
func TestGemmConformance(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, kern := range testKernels() {
		for _, tc := range gemmCases() {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				tA, tB := tr[0], tr[1]
				name := fmt.Sprintf("%s/%dx%dx%d/tA=%v,tB=%v/alpha=%g,beta=%g,pad=%d", kern.name, tc.m, tc.n, tc.k, tA, tB, tc.alpha, tc.beta, tc.pad)
				a, lda, b, ldb, c, ldc := gemmOperands(r, tc, tA, tB)
				want, tol := gemmRef(tA, tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
				c0 := append([]float32(nil), c...)
				gemmWith(kern, tA, tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
				checkOutside(t, name, c, c0, tc.m, tc.n, ldc)
				bad := 0
				for i := 0; i < tc.m; i++ {
					for j := 0; j < tc.n; j++ {
						got := c[i*ldc+j]
						w := want[i*tc.n+j]
						if d := math.Abs(float64(got) - w); !(d <= tol[i*tc.n+j]) {
							if bad < 3 {
								t.Errorf("%s: C[%d,%d] = %g, want %g (tol %g)", name, i, j, got, w, tol[i*tc.n+j])
							}
							bad++
						}
					}
				}
				if bad > 0 {
					t.Errorf("%s: %d bad elements", name, bad)
				}
			}
		}
	}
}

// TestGemmWorkersBitIdentical checks that splitting C across workers changes
// no bit of the result, for products large enough to use the pool, split by
// rows and by columns.
func TestGemmWorkersBitIdentical(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(3, 4))
	sizes := [][3]int{{256, 300, 200}, {67, 900, 130}, {900, 70, 300}, {100, 784, 50}, {100, 50, 784}, {784, 50, 100}}
	for _, kern := range kernels {
		for _, s := range sizes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				m, n, k := s[0], s[1], s[2]
				a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
				lda, ldb := k, n
				if tr[0] {
					lda = m
				}
				if tr[1] {
					ldb = k
				}
				var out [2][]float32
				for wi, w := range []int{1, 2} {
					SetWorkers(w)
					out[wi] = append([]float32(nil), c...)
					gemmWith(kern, tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, 0.5, out[wi], n)
				}
				for i := range out[0] {
					if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) {
						t.Fatalf("%s %v tA=%v tB=%v: C[%d] = %g with 1 worker, %g with 2", kern.name, s, tr[0], tr[1], i, out[0][i], out[1][i])
					}
				}
			}
		}
	}
}

func TestGemmAllocs(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(2)
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range [][3]int{{100, 50, 784}, {100, 10, 50}, {256, 256, 256}, {784, 50, 100}} {
		m, n, k := s[0], s[1], s[2]
		a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			allocs := testing.AllocsPerRun(20, func() {
				Gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0, c, n)
			})
			if allocs != 0 {
				t.Errorf("Gemm %v tA=%v tB=%v: %v allocs per call, want 0", s, tr[0], tr[1], allocs)
			}
		}
	}
}

func TestGemmPanics(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 16)
	cases := []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Gemm(false, false, -1, 3, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{"lda < k", func() { Gemm(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3) }},
		{"lda < m transA", func() { Gemm(true, false, 4, 3, 3, 1, a, 3, b, 3, 0, c, 3) }},
		{"ldb < n", func() { Gemm(false, false, 3, 4, 3, 1, a, 3, b, 3, 0, c, 4) }},
		{"ldb < k transB", func() { Gemm(false, true, 3, 3, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{"ldc < n", func() { Gemm(false, false, 3, 4, 3, 1, a, 3, b, 4, 0, c, 3) }},
		{"short a", func() { Gemm(false, false, 4, 3, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{"short b", func() { Gemm(false, false, 3, 4, 4, 1, a, 4, b, 4, 0, c, 4) }},
		{"short c", func() { Gemm(false, false, 4, 4, 3, 1, a, 3, b, 4, 0, c[:15:15], 4) }},
		{"strided short", func() { Gemm(false, false, 2, 2, 2, 1, a, 11, b, 2, 0, c, 2) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { expectPanic(t, tc.f) })
	}
}

func expectPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatal("no panic")
		}
		if s, ok := r.(string); !ok || !strings.HasPrefix(s, "kernel: ") {
			t.Fatalf("panic %v, want a string starting with \"kernel: \"", r)
		}
	}()
	f()
}

func benchGemm(b *testing.B, m, n, k int, tA, tB bool) {
	r := rand.New(rand.NewPCG(7, 8))
	a, bb, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	b.ResetTimer()
	for b.Loop() {
		Gemm(tA, tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGemm(b *testing.B) {
	for _, s := range []struct {
		m, n, k int
		tA, tB  bool
	}{
		{100, 50, 784, false, false}, // dense 784→50 forward, Y = X·W
		{100, 784, 50, false, true},  // its dX = dY·Wᵀ
		{784, 50, 100, true, false},  // its dW = Xᵀ·dY
		{100, 10, 50, false, false},  // dense 50→10 forward
		{128, 256, 3136, false, false},
		{512, 512, 512, false, false},
		{1024, 1024, 1024, false, false},
		{1024, 1024, 1024, true, false},
		{1024, 1024, 1024, false, true},
		{1000, 1000, 1000, false, false},
	} {
		name := fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n)
		if s.tA {
			name += "_tA"
		}
		if s.tB {
			name += "_tB"
		}
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", name, w), func(b *testing.B) {
				SetWorkers(w)
				defer SetWorkers(0)
				benchGemm(b, s.m, s.n, s.k, s.tA, s.tB)
			})
		}
	}
}

func TestGemmImplementations(t *testing.T) {
	var names []string
	for _, k := range kernels {
		names = append(names, k.name)
	}
	t.Logf("implementations: %v; Gemm uses %s", names, active.name)
	if kernels[0] != &genericKernel {
		t.Error("the pure-Go reference must be first")
	}
}

// BenchmarkGemmImpl times every implementation available here on one
// worker, so that the AVX2 tile can be measured on an AVX-512 machine.
func BenchmarkGemmImpl(b *testing.B) {
	defer SetWorkers(0)
	SetWorkers(1)
	r := rand.New(rand.NewPCG(7, 8))
	for _, kern := range kernels {
		for _, s := range [][3]int{{100, 50, 784}, {100, 10, 50}, {512, 512, 512}} {
			m, n, k := s[0], s[1], s[2]
			if kern == &genericKernel && m*n*k > 1<<25 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%dx%dx%d", kern.name, m, k, n), func(b *testing.B) {
				a, bb, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
				for b.Loop() {
					gemmWith(kern, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestInterleave checks the transposing pack, assembly blocks and Go edges,
// against its definition.
func TestInterleave(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, s := range [][2]int{{1, 1}, {3, 5}, {8, 8}, {9, 17}, {14, 256}, {32, 50}, {31, 7}, {40, 100}} {
		rows, kb := s[0], s[1]
		lds, ld := kb+3, rows+5
		src := randSlice(r, rows*lds)
		dst := make([]float32, kb*ld)
		interleave(dst, ld, src, lds, rows, kb)
		for i := 0; i < rows; i++ {
			for p := 0; p < kb; p++ {
				if dst[p*ld+i] != src[i*lds+p] {
					t.Fatalf("%dx%d: dst[%d*ld+%d] = %g, want %g", rows, kb, p, i, dst[p*ld+i], src[i*lds+p])
				}
			}
		}
		for p := 0; p < kb; p++ {
			for i := rows; i < ld; i++ {
				if dst[p*ld+i] != 0 {
					t.Fatalf("%dx%d: wrote outside the block at dst[%d*ld+%d]", rows, kb, p, i)
				}
			}
		}
	}
}
