package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// elementwiseImpls lists the element-wise implementations this machine can
// run: the pure-Go reference loops always, the assembly when the CPU has it.
func elementwiseImpls() []bool {
	impls := []bool{false}
	if useSIMD {
		impls = append(impls, true)
	}
	return impls
}

func implName(simd bool) string {
	if simd {
		return "simd"
	}
	return "purego"
}

// withSIMD runs f with useSIMD set to simd, restoring it afterwards.
func withSIMD(simd bool, f func()) {
	old := useSIMD
	useSIMD = simd
	defer func() { useSIMD = old }()
	f()
}

// specialSlice is random values in [-2, 2] sprinkled with the values whose
// handling differs between careless implementations: ±0, ±Inf, NaN and
// tiny (subnormal) numbers.
func specialSlice(r *rand.Rand, n int) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-40, -1e-40}
	s := make([]float32, n)
	for i := range s {
		if r.IntN(6) == 0 {
			s[i] = specials[r.IntN(len(specials))]
		} else {
			s[i] = float32(r.Float64()*4 - 2)
		}
	}
	return s
}

// sameBits reports whether a and b are the same float32, NaN equal to any
// NaN (payloads are not part of any contract here).
func sameBits(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// TestElementwiseConformance holds every implementation of every element-wise
// kernel against the pure-Go reference loop, bit for bit, at lengths around
// the vector width and the unrolled loop (8 and 32), with special values
// mixed in, in place and out of place. One table row per kernel.
func TestElementwiseConformance(t *testing.T) {
	type op struct {
		name string
		// run applies the kernel to bufs (each of length n) through the
		// exported function; ref applies the reference loop.
		run, ref func(bufs [][]float32, n int)
		bufs     int
	}
	const a, mu, lr = 0.37, 0.9, 0.05
	// rms runs RMSpropFull or its reference, centred on b[2] and with
	// momentum in b[3] as asked, the mean square b[1] non-negative.
	rms := func(f func(w, v, avg, mom, g []float32, rho, c, lr, eps, mu float32), centered, momentum bool) func([][]float32, int) {
		return func(b [][]float32, _ int) {
			absAll(b[1])
			var avg, mom []float32
			if centered {
				avg = b[2]
			}
			if momentum {
				mom = b[3]
			}
			f(b[0], b[1], avg, mom, b[4], 0.9, 0.1, 1e-3, 1e-7, 0.5)
		}
	}
	// nadam runs Nadam or its reference, the second moment b[2]
	// non-negative as Adam's row has it.
	nadam := func(f func(w, m, v, g []float32, c1, c2, cm, cg, lr, cv, eps float32)) func([][]float32, int) {
		return func(b [][]float32, _ int) {
			absAll(b[2])
			f(b[0], b[1], b[2], b[3], 0.1, 0.001, 0.47, 0.53, 1e-3, 1.3, 1e-7)
		}
	}
	negZero := float32(math.Copysign(0, -1))
	// amsTies runs AdamAMSGrad or its reference with moments that stay
	// (c1 = 0, c2 = -0) and vhat set to -v or v in half the places.
	amsTies := func(f func(w, m, v, vhat, g []float32, c1, c2, alpha, eps float32)) func([][]float32, int) {
		return func(b [][]float32, _ int) {
			for i := range b[3] {
				switch i % 4 {
				case 0:
					b[3][i] = -b[2][i]
				case 1:
					b[3][i] = b[2][i]
				}
			}
			f(b[0], b[1], b[2], b[3], b[4], 0, negZero, 1e-3, 1e-7)
		}
	}
	ops := []op{
		{"Add", func(b [][]float32, _ int) { Add(b[0], b[1], b[2]) }, func(b [][]float32, _ int) { addGeneric(b[0], b[1], b[2]) }, 3},
		{"Add/aliased", func(b [][]float32, _ int) { Add(b[0], b[0], b[1]) }, func(b [][]float32, _ int) { addGeneric(b[0], b[0], b[1]) }, 2},
		{"AddTo", func(b [][]float32, _ int) { AddTo(b[0], b[1]) }, func(b [][]float32, _ int) { addGeneric(b[0], b[0], b[1]) }, 2},
		{"Axpy", func(b [][]float32, _ int) { Axpy(b[0], a, b[1]) }, func(b [][]float32, _ int) { axpyGeneric(b[0], a, b[1]) }, 2},
		{"Scale", func(b [][]float32, _ int) { Scale(b[0], a) }, func(b [][]float32, _ int) { scaleGeneric(b[0], a) }, 1},
		{"Mul", func(b [][]float32, _ int) { Mul(b[0], b[1], b[2]) }, func(b [][]float32, _ int) { mulGeneric(b[0], b[1], b[2]) }, 3},
		{"ReLU", func(b [][]float32, _ int) { ReLU(b[0], b[1]) }, func(b [][]float32, _ int) { reluGeneric(b[0], b[1]) }, 2},
		{"ReLU/in-place", func(b [][]float32, _ int) { ReLU(b[0], b[0]) }, func(b [][]float32, _ int) { reluGeneric(b[0], b[0]) }, 1},
		{"ReLUBackward", func(b [][]float32, _ int) { ReLUBackward(b[0], b[1], b[2]) }, func(b [][]float32, _ int) { reluBackwardGeneric(b[0], b[1], b[2]) }, 3},
		{"SGDMomentum", func(b [][]float32, _ int) { SGDMomentum(b[0], b[1], b[2], mu, lr) }, func(b [][]float32, _ int) { sgdMomentumGeneric(b[0], b[1], b[2], mu, lr) }, 3},
		{"SGDNesterov", func(b [][]float32, _ int) { SGDNesterov(b[0], b[1], b[2], mu, lr) }, func(b [][]float32, _ int) { sgdNesterovGeneric(b[0], b[1], b[2], mu, lr) }, 3},
		{"Adam", func(b [][]float32, _ int) { absAll(b[2]); Adam(b[0], b[1], b[2], b[3], 0.1, 0.001, 1e-3, 1e-7) },
			func(b [][]float32, _ int) { absAll(b[2]); adamGeneric(b[0], b[1], b[2], b[3], 0.1, 0.001, 1e-3, 1e-7) }, 4},
		{"RMSprop", func(b [][]float32, _ int) { absAll(b[1]); RMSprop(b[0], b[1], b[2], 0.9, 0.1, 1e-3, 1e-7) },
			func(b [][]float32, _ int) { absAll(b[1]); rmspropGeneric(b[0], b[1], b[2], 0.9, 0.1, 1e-3, 1e-7) }, 3},
		{"Adagrad", func(b [][]float32, _ int) { absAll(b[1]); Adagrad(b[0], b[1], b[2], 1e-3, 1e-7) },
			func(b [][]float32, _ int) { absAll(b[1]); adagradGeneric(b[0], b[1], b[2], 1e-3, 1e-7) }, 3},
		// Adadelta, Adamax and Lion take their states raw (negative, NaN):
		// the kernels must follow the Go loop on any input, Adamax's max
		// Go's NaN rule and ±0.
		{"RMSpropCentered", rms(RMSpropFull, true, false), rms(rmspropFullGeneric, true, false), 5},
		{"RMSpropMomentum", rms(RMSpropFull, false, true), rms(rmspropFullGeneric, false, true), 5},
		{"RMSpropCenteredMomentum", rms(RMSpropFull, true, true), rms(rmspropFullGeneric, true, true), 5},
		{"Nadam", nadam(Nadam), nadam(nadamGeneric), 4},
		{"Adamax", func(b [][]float32, _ int) { Adamax(b[0], b[1], b[2], b[3], 0.1, 0.999, 1e-2, 1e-7) },
			func(b [][]float32, _ int) { adamaxGeneric(b[0], b[1], b[2], b[3], 0.1, 0.999, 1e-2, 1e-7) }, 4},
		// b2 = 0: b2*u is ±0 (NaN for infinite u), max's zeros and NaNs at once.
		{"Adamax/b2-0", func(b [][]float32, _ int) { Adamax(b[0], b[1], b[2], b[3], 0.1, 0, 0, 0) },
			func(b [][]float32, _ int) { adamaxGeneric(b[0], b[1], b[2], b[3], 0.1, 0, 0, 0) }, 4},
		// AMSGrad's states raw; with c1 = 0 and c2 = -0 they pass through
		// (x + -0 is x) and vhat is -v or v in half the places: max's ties
		// at ±0 in every sign pair, and its NaNs from either side.
		{"AdamAMSGrad", func(b [][]float32, _ int) { AdamAMSGrad(b[0], b[1], b[2], b[3], b[4], 0.1, 0.001, 1e-3, 1e-7) },
			func(b [][]float32, _ int) { adamAMSGradGeneric(b[0], b[1], b[2], b[3], b[4], 0.1, 0.001, 1e-3, 1e-7) }, 5},
		{"AdamAMSGrad/ties", amsTies(AdamAMSGrad), amsTies(adamAMSGradGeneric), 5},
		// Ftrl's accumulator raw: its -0 and -Inf, where pow(x, 0.5) is not
		// the square root, must not show. l1 = 0 puts the clip's ties at
		// ±0, l1 = -0 takes the Go loop.
		{"FtrlSqrt", func(b [][]float32, _ int) { FtrlSqrt(b[0], b[1], b[2], b[3], 0.1, 0.01, 0.1, 0.04) },
			func(b [][]float32, _ int) { ftrlSqrtGeneric(b[0], b[1], b[2], b[3], 0.1, 0.01, 0.1, 0.04) }, 4},
		{"FtrlSqrt/l1-0", func(b [][]float32, _ int) { FtrlSqrt(b[0], b[1], b[2], b[3], 1e-3, 0, 0, 0) },
			func(b [][]float32, _ int) { ftrlSqrtGeneric(b[0], b[1], b[2], b[3], 1e-3, 0, 0, 0) }, 4},
		{"FtrlSqrt/l1-neg0", func(b [][]float32, _ int) { FtrlSqrt(b[0], b[1], b[2], b[3], 1e-3, negZero, 0, 0) },
			func(b [][]float32, _ int) { ftrlSqrtGeneric(b[0], b[1], b[2], b[3], 1e-3, negZero, 0, 0) }, 4},
		{"Adadelta", func(b [][]float32, _ int) { Adadelta(b[0], b[1], b[2], b[3], 0.95, 0.05, 1e-7, 1) },
			func(b [][]float32, _ int) { adadeltaGeneric(b[0], b[1], b[2], b[3], 0.95, 0.05, 1e-7, 1) }, 4},
		{"Lion", func(b [][]float32, _ int) { Lion(b[0], b[1], b[2], 1e-3, 0.9, 0.99) },
			func(b [][]float32, _ int) { lionGeneric(b[0], b[1], b[2], 1e-3, 0.9, 0.99) }, 3},
		// lr = 0: w - (+0) and w + 0 differ on -0, the reference's three cases must hold.
		{"Lion/lr0", func(b [][]float32, _ int) { Lion(b[0], b[1], b[2], 0, 1, 0.5) },
			func(b [][]float32, _ int) { lionGeneric(b[0], b[1], b[2], 0, 1, 0.5) }, 3},
		// Bytes come from the first buffer's bits, so every value 0..255 occurs.
		{"ScaleUint8", func(b [][]float32, _ int) { ScaleUint8(b[0], bytesOf(b[1]), 255) },
			func(b [][]float32, _ int) { scaleUint8Generic(b[0], bytesOf(b[1]), 255) }, 2},
		// The row kernels at widths around the vector size, as m×w matrices.
		{"AddRowVectorTo", func(b [][]float32, n int) { rowsOf(n, func(m, w int) { AddRowVectorTo(b[0], b[1], b[2][:w], m, w) }) },
			func(b [][]float32, n int) {
				rowsOf(n, func(m, w int) {
					for i := 0; i < m; i++ {
						addGeneric(b[0][i*w:i*w+w], b[1][i*w:i*w+w], b[2][:w])
					}
				})
			}, 3},
		{"AddColumnSums", func(b [][]float32, n int) { rowsOf(n, func(m, w int) { AddColumnSums(b[0][:w], b[1], m, w) }) },
			func(b [][]float32, n int) {
				rowsOf(n, func(m, w int) {
					for j := 0; j < w; j++ { // column by column, i ascending
						for i := 0; i < m; i++ {
							b[0][j] += b[1][i*w+j]
						}
					}
				})
			}, 2},
	}
	r := rand.New(rand.NewPCG(41, 42))
	for _, o := range ops {
		for _, n := range []int{0, 1, 5, 7, 8, 9, 16, 31, 32, 33, 39, 40, 63, 64, 65, 100, 1000} {
			in := make([][]float32, o.bufs)
			for i := range in {
				in[i] = specialSlice(r, n)
			}
			want := cloneAll(in)
			o.ref(want, n)
			for _, simd := range elementwiseImpls() {
				got := cloneAll(in)
				withSIMD(simd, func() { o.run(got, n) })
				for bi := range got {
					for i := range got[bi] {
						if !sameBits(got[bi][i], want[bi][i]) {
							t.Fatalf("%s, %s, n=%d: buffer %d element %d = %g (%#x), reference %g (%#x)",
								o.name, implName(simd), n, bi, i, got[bi][i], math.Float32bits(got[bi][i]), want[bi][i], math.Float32bits(want[bi][i]))
						}
					}
				}
			}
		}
	}
}

// bytesOf returns one byte per element of x, from its bits, so that the
// same buffer always gives the same bytes.
func bytesOf(x []float32) []uint8 {
	out := make([]uint8, len(x))
	for i, v := range x {
		b := math.Float32bits(v)
		out[i] = uint8(b ^ b>>8 ^ b>>16 ^ b>>24)
	}
	return out
}

func cloneAll(b [][]float32) [][]float32 {
	out := make([][]float32, len(b))
	for i := range b {
		out[i] = clone(b[i])
	}
	return out
}

func absAll(x []float32) {
	for i := range x {
		x[i] = float32(math.Abs(float64(x[i])))
	}
}

// rowsOf calls f for the matrix shapes m×w that fit in n elements for a few
// widths w: below, at and above the vector width and its unrolled multiple.
func rowsOf(n int, f func(m, w int)) {
	for _, w := range []int{1, 7, 8, 10, 50} {
		if w <= n {
			f(n/w, w)
		}
	}
}

// BenchmarkElementwiseImpl times the kernels of a Dense(50) layer on a batch
// of 100 with each implementation: go test -bench ElementwiseImpl.
func BenchmarkElementwiseImpl(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	const m, n = 100, 50
	x, y, d := randSlice(r, m*n), randSlice(r, m*n), randSlice(r, m*n)
	bias := randSlice(r, n)
	w, v, g, mm := randSlice(r, 784*50), randSlice(r, 784*50), randSlice(r, 784*50), randSlice(r, 784*50)
	absAll(v)
	for _, simd := range elementwiseImpls() {
		for _, bc := range []struct {
			name  string
			elems int
			f     func()
		}{
			{"AddRowVectorTo", m * n, func() { AddRowVectorTo(d, x, bias, m, n) }},
			{"AddColumnSums", m * n, func() { AddColumnSums(bias, x, m, n) }},
			{"AddTo", m * n, func() { AddTo(d, x) }},
			{"ReLU", m * n, func() { ReLU(d, x) }},
			{"ReLUBackward", m * n, func() { ReLUBackward(d, x, y) }},
			{"Axpy784x50", len(w), func() { Axpy(w, -1e-9, g) }},
			{"SGDMomentum784x50", len(w), func() { SGDMomentum(w, v, g, 0.9, 1e-9) }},
			{"Adam784x50", len(w), func() { Adam(w, mm, v, g, 0.1, 0.001, 1e-9, 1e-7) }},
		} {
			b.Run(fmt.Sprintf("%s/%s", bc.name, implName(simd)), func(b *testing.B) {
				withSIMD(simd, func() {
					b.SetBytes(int64(4 * bc.elems))
					for b.Loop() {
						bc.f()
					}
				})
			})
		}
	}
}

// TestScaleUint8EveryByte checks all 256 pixel values in every
// implementation against float32(v)/255 (what Keras's x / 255 gives).
func TestScaleUint8EveryByte(t *testing.T) {
	src := make([]uint8, 256)
	for i := range src {
		src[i] = uint8(i)
	}
	for _, simd := range elementwiseImpls() {
		dst := make([]float32, 256)
		withSIMD(simd, func() { ScaleUint8(dst, src, 255) })
		for v, got := range dst {
			if want := float32(v) / 255; got != want {
				t.Fatalf("%s: %d/255 = %v, want %v", implName(simd), v, got, want)
			}
		}
	}
}

// TestScaleUint8Divisors checks all 256 byte values, at lengths that take
// the 16-wide reciprocal loop, its 8-wide fallback and the tail, against
// float32(v)/div for divisors whose reciprocal multiplies may or may not
// round as the division does, switching between them (the reciprocal is
// cached per divisor), and that 255 takes the reciprocal loop on AVX-512.
func TestScaleUint8Divisors(t *testing.T) {
	if useScaleRcp {
		if _, ok := scaleReciprocal(255); !ok {
			t.Fatal("255: the division-free loop refused its reciprocal")
		}
	}
	src := make([]uint8, 256+16+8+3)
	for i := range src {
		src[i] = uint8(i * 37)
	}
	copy(src, everyByte[:])
	divs := []float32{255, 3, 7, 10, 255, 0.1, 1e-30, 1e30, 256, -255, 0, float32(math.Inf(1)), 255, float32(math.NaN()), 1e-45}
	for _, n := range []int{256, 256 + 8, 256 + 16 + 8 + 3, 15, 7} {
		for _, div := range divs {
			dst := make([]float32, n)
			ScaleUint8(dst, src[:n], div)
			for i, got := range dst {
				if want := float32(src[i]) / div; !sameBits(got, want) {
					t.Fatalf("n %d: %d/%g = %v, want %v", n, src[i], div, got, want)
				}
			}
		}
	}
}

// BenchmarkScaleUint8 converts a batch of 100 MNIST images.
func BenchmarkScaleUint8(b *testing.B) {
	src, dst := make([]uint8, 100*784), make([]float32, 100*784)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	for _, simd := range elementwiseImpls() {
		b.Run(implName(simd), func(b *testing.B) {
			withSIMD(simd, func() {
				b.SetBytes(int64(len(src)))
				for b.Loop() {
					ScaleUint8(dst, src, 255)
				}
			})
		})
	}
}

// TestExpShiftedConformance holds every implementation of the softmax
// exponential against math.Exp: within 1e-15 relative in float64, the same
// float32 after rounding on 200,000 arguments across the float32 range that
// softmax meets, and the special values (NaN, ±Inf, underflow to 0), at
// every length around the vector width.
func TestExpShiftedConformance(t *testing.T) {
	impls := []bool{false}
	if useExp {
		impls = append(impls, true)
	}
	r := rand.New(rand.NewPCG(61, 62))
	x := make([]float32, 200000)
	for i := range x {
		x[i] = float32(-r.ExpFloat64() * 30) // mostly in [-100, 0], as x - max
	}
	copy(x, []float32{0, float32(math.Copysign(0, -1)), -745, -746, -800, -104, -103.97, 88.7, 89, 709, 720,
		float32(math.Inf(-1)), float32(math.Inf(1)), float32(math.NaN()), 1e-30, -1e-30, -0.3465, 0.3466})
	for _, exp := range impls {
		old := useExp
		useExp = exp
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, len(x)} {
			dst := make([]float64, n+1)
			dst[n] = 42 // past the end: must stay
			expShifted(dst, x[:n], 0.25)
			if dst[n] != 42 {
				t.Fatalf("exp=%v n=%d: wrote past the end", exp, n)
			}
			mismatch := 0
			for i := 0; i < n; i++ {
				want := math.Exp(float64(x[i] - 0.25))
				got := dst[i]
				switch {
				case math.IsNaN(want) || math.IsInf(want, 0) || want == 0:
					if !(math.IsNaN(want) && math.IsNaN(got)) && got != want {
						t.Fatalf("exp=%v: exp(%v) = %v, want %v", exp, x[i]-0.25, got, want)
					}
				case want < 1e-300: // float64 subnormals: only the float32 value matters (0)
				case math.Abs(got-want) > 1e-15*want:
					t.Fatalf("exp=%v: exp(%v) = %v, want %v (relative error %.2g)", exp, x[i]-0.25, got, want, math.Abs(got-want)/want)
				}
				if float32(got) != float32(want) && !math.IsNaN(want) {
					mismatch++
				}
			}
			if mismatch > 0 {
				t.Errorf("exp=%v n=%d: %d float32 results differ from math.Exp's", exp, n, mismatch)
			}
		}
		useExp = old
	}
}

// TestSoftmaxShortRowsSameBits holds the grouped softmax and log-sum-exp
// of short rows against the row-by-row ones, bit for bit, at every row length below
// expChunk and row counts around a group's, with ±Inf, NaN, huge and
// equal values mixed in, with either exponential, in place and not.
func TestSoftmaxShortRowsSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	for _, exp := range []bool{false, true} {
		if exp && !useExp {
			continue
		}
		old := useExp
		useExp = exp
		for n := 1; n < expChunk; n++ {
			for _, m := range []int{1, 2, softmaxGroup/n - 1, softmaxGroup / n, softmaxGroup/n + 1, 3*softmaxGroup/n + 2} {
				if m < 1 {
					continue
				}
				x := specialSlice(r, m*n)
				for i := range x {
					switch r.IntN(20) {
					case 0:
						x[i] = 80 // exp would overflow float32 without the shift
					case 1:
						x[i] = -1e30
					}
				}
				want, got := make([]float32, m*n), make([]float32, m*n)
				softmaxLongRows(want, x, m, n)
				softmaxShortRows(got, x, m, n)
				for i := range want {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("exp %v, %d×%d: [%d] = %v, row by row %v", exp, m, n, i, got[i], want[i])
					}
				}
				wantLSE, gotLSE := make([]float32, m), make([]float32, m)
				logSumExpLongRows(wantLSE, x, m, n)
				LogSumExpRows(gotLSE, x, m, n)
				for i := range wantLSE {
					if !sameBits(gotLSE[i], wantLSE[i]) {
						t.Fatalf("exp %v, %d×%d: log-sum-exp [%d] = %v, row by row %v", exp, m, n, i, gotLSE[i], wantLSE[i])
					}
				}
				SoftmaxRows(x, x, m, n) // in place
				for i := range want {
					if !sameBits(x[i], want[i]) {
						t.Fatalf("exp %v, %d×%d in place: [%d] = %v, want %v", exp, m, n, i, x[i], want[i])
					}
				}
			}
		}
		useExp = old
	}
}

// BenchmarkSoftmaxRows is the course MLP's output layer on a batch of 1000.
func BenchmarkSoftmaxRows(b *testing.B) {
	r := rand.New(rand.NewPCG(63, 64))
	x, d := randSlice(r, 1000*10), make([]float32, 1000*10)
	for _, exp := range []bool{false, true} {
		if exp && !useExp {
			continue
		}
		b.Run(map[bool]string{false: "math.Exp", true: "simd"}[exp], func(b *testing.B) {
			old := useExp
			useExp = exp
			defer func() { useExp = old }()
			for b.Loop() {
				SoftmaxRows(d, x, 1000, 10)
			}
		})
	}
}
