package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refBF16 rounds f to bfloat16 in float64 arithmetic, from the definition
// (8 significant bits, nearest, ties to even; denormals to zero, as
// VCVTNEPS2BF16), independently of bf16Bits' bit tricks.
func refBF16(f float32) float32 {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return f
	}
	if math.Abs(x) < 0x1p-126 { // a float32 denormal
		return float32(math.Copysign(0, x))
	}
	m, e := math.Frexp(x) // x = m·2^e, |m| in [0.5, 1)
	r := math.Ldexp(math.RoundToEven(m*256)/256, e)
	return float32(r) // beyond float32's range: ±Inf, as the rounding gives
}

// bf16Specials are values whose rounding is easy to get wrong.
var bf16Specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 1 + 0x1p-8, 1 + 3*0x1p-8, 1 + 0x1p-8 + 0x1p-20, 1 - 0x1p-10,
	math.MaxFloat32, -math.MaxFloat32, 0x1p-126, 0x1p-130, -0x1p-140, math.SmallestNonzeroFloat32,
	float32(math.Inf(1)), float32(math.Inf(-1)), 3.14159265, 65504, 0x1.fffffep127 / 2,
}

func TestRoundBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	vals := append([]float32(nil), bf16Specials...)
	for range 200000 {
		vals = append(vals, math.Float32frombits(r.Uint32()))
	}
	for _, v := range vals {
		got := RoundBF16(v)
		if math.IsNaN(float64(v)) {
			if !math.IsNaN(float64(got)) {
				t.Fatalf("RoundBF16(NaN %#x) = %g, want a NaN", math.Float32bits(v), got)
			}
			continue
		}
		if want := refBF16(v); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("RoundBF16(%g = %#x) = %g (%#x), want %g (%#x)", v, math.Float32bits(v), got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	// Two values the definition settles by hand: a tie to even (down), and
	// the next tie (up).
	if RoundBF16(1+0x1p-8) != 1 || RoundBF16(1+3*0x1p-8) != 1+0x1p-6 {
		t.Errorf("ties: RoundBF16(1+2^-8) = %g, RoundBF16(1+3·2^-8) = %g; want 1 and %g", RoundBF16(1+0x1p-8), RoundBF16(1+3*0x1p-8), 1+0x1p-6)
	}
}

// bf16TestValues returns n values: mostly uniform in (-1, 1), with every
// twentieth a special value (a NaN among them when nan is set).
func bf16TestValues(r *rand.Rand, n int, nan bool) []float32 {
	s := randSlice(r, n)
	for i := 0; i < n; i += 20 {
		s[i] = bf16Specials[r.IntN(len(bf16Specials))]
		if nan && i%100 == 0 {
			s[i] = float32(math.NaN())
		}
	}
	return s
}

// TestBF16Packing holds every implementation's cvt and pair to the
// reference rounding, lengths around the vector widths, and checks that
// nothing past the destination is written.
func TestBF16Packing(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	const guard = 0xdeadbeef
	for _, kern := range bf16Kernels {
		for n := 0; n <= 100; n++ {
			src := bf16TestValues(r, n, true)
			dst := make([]uint32, (n+1)/2+3)
			for i := range dst {
				dst[i] = guard
			}
			kern.cvt(dst, src)
			for q := 0; q < (n+1)/2; q++ {
				lo, hi := src[2*q], float32(0)
				if 2*q+1 < n {
					hi = src[2*q+1]
				}
				checkPair(t, fmt.Sprintf("%s cvt n=%d q=%d", kern.name, n, q), dst[q], lo, hi)
			}
			for q := (n + 1) / 2; q < len(dst); q++ {
				if dst[q] != guard {
					t.Fatalf("%s cvt n=%d: wrote dst[%d]", kern.name, n, q)
				}
			}
			lo, hi := bf16TestValues(r, n, true), bf16TestValues(r, n, true)
			dst = make([]uint32, n+3)
			for i := range dst {
				dst[i] = guard
			}
			kern.pair(dst, lo, hi)
			for i := 0; i < n; i++ {
				checkPair(t, fmt.Sprintf("%s pair n=%d i=%d", kern.name, n, i), dst[i], lo[i], hi[i])
			}
			for i := n; i < len(dst); i++ {
				if dst[i] != guard {
					t.Fatalf("%s pair n=%d: wrote dst[%d]", kern.name, n, i)
				}
			}
		}
	}
}

func checkPair(t *testing.T, name string, got uint32, lo, hi float32) {
	t.Helper()
	for _, h := range []struct {
		v    float32
		bits uint16
	}{{lo, uint16(got)}, {hi, uint16(got >> 16)}} {
		g := math.Float32frombits(uint32(h.bits) << 16)
		if math.IsNaN(float64(h.v)) {
			if !math.IsNaN(float64(g)) {
				t.Fatalf("%s: NaN packed as %g", name, g)
			}
			continue
		}
		if want := refBF16(h.v); math.Float32bits(g) != math.Float32bits(want) {
			t.Fatalf("%s: %g packed as %g (%#x), want %g", name, h.v, g, h.bits, want)
		}
	}
}

// gemmBF16Ref returns, in float64, alpha·op(A)·op(B) + beta·C twice: on
// the bfloat16-rounded operands (exact products, so the only error left is
// float32 accumulation) and on the operands as given, with each element's
// Σ|a·b|·|alpha| + |beta·c|, and the sum over C of every (alpha·a·b)².
func gemmBF16Ref(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (rounded, exact, mag []float64, sq float64) {
	rounded, exact, mag = make([]float64, m*n), make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sr, se, sm float64
			for p := 0; p < k; p++ {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				sr += float64(RoundBF16(av)) * float64(RoundBF16(bv))
				se += float64(av) * float64(bv)
				sm += math.Abs(float64(av) * float64(bv))
				q := float64(alpha) * float64(av) * float64(bv)
				sq += q * q
			}
			al := float64(alpha)
			rounded[i*n+j], exact[i*n+j], mag[i*n+j] = al*sr, al*se, math.Abs(al)*sm
			if beta != 0 {
				bc := float64(beta) * float64(c[i*ldc+j])
				rounded[i*n+j] += bc
				exact[i*n+j] += bc
				mag[i*n+j] += math.Abs(bc)
			}
		}
	}
	return rounded, exact, mag, sq
}

// TestGemmBF16Conformance runs every bfloat16 implementation against the
// float64 references on Gemm's cases, all four transpositions:
//   - on rounded operands within float32 accumulation error, u·(k+4)·Σ|a·b|:
//     this pins the packing (any pair out of place is far outside it);
//   - on the operands as given within bfloat16's worst case, each product
//     off by at most 2·2^-8 + 2^-16 of itself: 2^-7·(1+2^-8)·Σ|a·b| plus the
//     accumulation error;
//   - in root mean square over C, within 2^-8·√k times the rms of the
//     products: rounding errors of random sign add like a random walk.
func TestGemmBF16Conformance(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const u = 0x1p-23
	for _, kern := range testBF16Kernels() {
		for _, tc := range gemmCases() {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				tA, tB := tr[0], tr[1]
				name := fmt.Sprintf("%s/%dx%dx%d/tA=%v,tB=%v/alpha=%g,beta=%g,pad=%d", kern.name, tc.m, tc.n, tc.k, tA, tB, tc.alpha, tc.beta, tc.pad)
				a, lda, b, ldb, c, ldc := gemmOperands(r, tc, tA, tB)
				rounded, exact, mag, sq := gemmBF16Ref(tA, tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
				c0 := append([]float32(nil), c...)
				gemmBF16Run(kern, true, tA, tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
				checkOutside(t, name, c, c0, tc.m, tc.n, ldc)
				var se float64
				bad := 0
				for i := 0; i < tc.m; i++ {
					for j := 0; j < tc.n; j++ {
						got := c[i*ldc+j]
						e := i*tc.n + j
						acc := u*float64(tc.k+4)*mag[e] + 1e-30
						dr, de := math.Abs(float64(got)-rounded[e]), math.Abs(float64(got)-exact[e])
						if !(dr <= acc) || !(de <= 0x1p-7*(1+0x1p-8)*mag[e]+acc) {
							if bad < 3 {
								t.Errorf("%s: C[%d,%d] = %g, want %g on rounded operands (tol %g), %g on exact ones", name, i, j, got, rounded[e], acc, exact[e])
							}
							bad++
						}
						se += de * de
					}
				}
				if bad > 0 {
					t.Fatalf("%s: %d bad elements", name, bad)
				}
				// Σ err² ≤ 2^-16·Σ(ab)², i.e. rms(err) ≤ 2^-8·√k·rms(a·b).
				if tc.k >= 16 && tc.m*tc.n >= 64 && !(se <= 0x1p-16*sq) {
					t.Errorf("%s: rms error %g above 2^-8·√k·rms(a·b) = %g", name, math.Sqrt(se/float64(tc.m*tc.n)), 0x1p-8*math.Sqrt(sq/float64(tc.m*tc.n)))
				}
			}
		}
	}
}

// TestGemmBF16MatchesReference holds each implementation to the pure-Go
// one: the same products summed in the same order, so only the FMA of
// beta·C (and denormals, which VDPBF16PS flushes) may differ. Reported:
// how many elements are bit-identical.
func TestGemmBF16MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	for _, kern := range bf16Kernels[1:] {
		same, all := 0, 0
		for _, s := range [][3]int{{100, 50, 784}, {33, 70, 257}, {128, 64, 288}, {784, 50, 100}} {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}} {
				m, n, k := s[0], s[1], s[2]
				tc := gemmCase{m: m, n: n, k: k, alpha: 1, beta: 0}
				a, lda, b, ldb, c, ldc := gemmOperands(r, tc, tr[0], tr[1])
				ref := append([]float32(nil), c...)
				gemmBF16Run(kern, true, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
				gemmBF16Run(&genericBF16, true, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0, ref, ldc)
				for i := range c {
					all++
					if math.Float32bits(c[i]) == math.Float32bits(ref[i]) {
						same++
					} else if d := math.Abs(float64(c[i] - ref[i])); d > 0x1p-20*float64(k) {
						t.Fatalf("%s %v %v: C[%d] = %g, reference %g", kern.name, s, tr, i, c[i], ref[i])
					}
				}
			}
		}
		t.Logf("%s: %d of %d elements bit-identical to the pure-Go reference", kern.name, same, all)
	}
}

func TestGemmBF16WorkersBitIdentical(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(29, 30))
	for _, kern := range bf16Kernels {
		// On 2 workers {128, 256, 600} runs in strips of columns (of rows
		// before), {30, 32, 5000} in strips of rows (one of columns).
		for _, s := range [][3]int{{256, 300, 200}, {67, 900, 130}, {900, 70, 300}, {128, 256, 600}, {30, 32, 5000}} {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}} {
				m, n, k := s[0], s[1], s[2]
				tc := gemmCase{m: m, n: n, k: k, alpha: 1.5, beta: 0.5}
				a, lda, b, ldb, c, ldc := gemmOperands(r, tc, tr[0], tr[1])
				var out [2][]float32
				for wi, w := range []int{1, 2} {
					SetWorkers(w)
					out[wi] = append([]float32(nil), c...)
					gemmBF16Run(kern, true, tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, 0.5, out[wi], ldc)
				}
				for i := range out[0] {
					if math.Float32bits(out[0][i]) != math.Float32bits(out[1][i]) {
						t.Fatalf("%s %v %v: C[%d] = %g on 1 worker, %g on 2", kern.name, s, tr, i, out[0][i], out[1][i])
					}
				}
			}
		}
	}
}

func TestGemmBF16Allocs(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(2)
	r := rand.New(rand.NewPCG(31, 32))
	for _, s := range [][3]int{{100, 50, 784}, {256, 256, 256}, {784, 50, 100}} {
		m, n, k := s[0], s[1], s[2]
		a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
		GemmBF16(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		if allocs := testing.AllocsPerRun(10, func() { GemmBF16(false, false, m, n, k, 1, a, k, b, n, 0, c, n) }); allocs != 0 {
			t.Errorf("GemmBF16 %v: %v allocs per call, want 0", s, allocs)
		}
	}
}

func TestGemmBF16Panics(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 16)
	expectPanic(t, func() { GemmBF16(false, false, 3, 3, 4, 1, a, 3, b, 3, 0, c, 3) })
	expectPanic(t, func() { GemmBF16(false, false, 4, 3, 4, 1, a, 4, b, 3, 0, c, 3) })
}

// TestBF16Unavailable: where the OS refused AMX (played by setting
// bf16Slow as init does), bfloat16 products are not offered and the reason
// says so; otherwise the reason is empty exactly when they are.
func TestBF16Unavailable(t *testing.T) {
	if BF16Available() != (BF16Unavailable() == "") {
		t.Fatalf("BF16Available %v, BF16Unavailable %q", BF16Available(), BF16Unavailable())
	}
	saved := bf16Slow
	defer func() { bf16Slow = saved; SetBF16Products(false) }()
	bf16Slow = "the OS did not grant this CPU's AMX tiles"
	if BF16Available() || SetBF16Products(true) || BF16Unavailable() != bf16Slow {
		t.Errorf("with AMX refused: available %v, reason %q", BF16Available(), BF16Unavailable())
	}
}

// TestBF16Policy checks the switch: on only where BF16Available says so.
func TestBF16Policy(t *testing.T) {
	defer SetBF16Products(false)
	if got := SetBF16Products(true); got != BF16Available() || BF16Products() != got {
		t.Errorf("SetBF16Products(true) = %v, BF16Products() = %v; BF16Available() = %v", got, BF16Products(), BF16Available())
	}
	if SetBF16Products(false) || BF16Products() {
		t.Error("SetBF16Products(false) left bfloat16 products on")
	}
	t.Logf("bfloat16 implementations: %d, active %s, available %v", len(bf16Kernels), activeBF16.name, BF16Available())
}

// BenchmarkGemmBF16 times Gemm and GemmBF16 side by side on one worker, on
// the products of keras-convnet's and best's second convolutions as
// im2col would run them for 16 samples (rows = output pixels, depth =
// 3·3·C, columns = filters), their weight and input gradients, and best's
// Dense 3136→256 at batch 128.
func BenchmarkGemmBF16(b *testing.B) {
	defer SetWorkers(0)
	SetWorkers(1)
	r := rand.New(rand.NewPCG(33, 34))
	for _, s := range []struct {
		name    string
		m, n, k int
		tA, tB  bool
	}{
		{"convnet2_fwd", 16 * 121, 64, 288, false, false},
		{"convnet2_dw", 288, 64, 16 * 121, true, false},
		{"convnet2_dx", 16 * 121, 288, 64, false, true},
		{"best2_fwd", 16 * 196, 64, 288, false, false},
		{"best3_fwd", 16 * 196, 64, 576, false, false},
		{"best3_dw", 576, 64, 16 * 196, true, false},
		{"dense3136_fwd", 128, 256, 3136, false, false},
		{"dense3136_dx", 128, 3136, 256, false, true},
		{"512cubed", 512, 512, 512, false, false},
	} {
		m, n, k := s.m, s.n, s.k
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
		lda, ldb := k, n
		if s.tA {
			lda = m
		}
		if s.tB {
			ldb = k
		}
		for _, impl := range []string{"f32", "bf16"} {
			b.Run(s.name+"/"+impl, func(b *testing.B) {
				for b.Loop() {
					if impl == "f32" {
						Gemm(s.tA, s.tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
					} else {
						GemmBF16(s.tA, s.tB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
					}
				}
				b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
