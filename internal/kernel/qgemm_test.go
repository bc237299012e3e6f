package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// qImpls are the int8 implementations this machine can run: the pure-Go
// loops always, the assembly when the CPU has AVX512_VNNI (and, for the
// pooling, AVX512_VBMI).
// qImpl is one implementation of the int8 kernels: the Go loops, the
// VNNI tiles, or AMX's tiles (which qgemm prefers where it may).
type qImpl int

const (
	qGo qImpl = iota
	qVNNI
	qAMXTiles
)

// qImpls lists the implementations this machine runs.
func qImpls() []qImpl {
	qDefault()
	list := []qImpl{qGo}
	if qVec {
		list = append(list, qVNNI)
	}
	if qAMXUsable() {
		list = append(list, qAMXTiles)
	}
	return list
}

// use makes the int8 kernels run im.
func (im qImpl) use() { qVecOff, qAMXOff = im == qGo, im != qAMXTiles }

// qDefault restores the kernels' own choice.
func qDefault() { qVecOff, qAMXOff = false, false }

func (im qImpl) String() string { return [...]string{"purego", "vnni", "amx"}[im] }

// qRef is the int8 GEMM's contract in int64: for r < m, j < n, the sum over
// taps and the run of each tap of a[r*lda+offs[t]+p]·w[t*run+p][j].
func qRef(a []uint8, lda int, offs []int, w []int8, run, n, m int) []int64 {
	out := make([]int64, m*n)
	for r := 0; r < m; r++ {
		for j := 0; j < n; j++ {
			var s int64
			for t, o := range offs {
				for p := 0; p < run; p++ {
					s += int64(a[r*lda+o+p]) * int64(w[(t*run+p)*n+j])
				}
			}
			out[r*n+j] = s
		}
	}
	return out
}

type qCase struct {
	m, n, taps, run int
	lda, ldd        int // 0: packed (taps·span, n)
	extreme         bool
}

func (c qCase) String() string {
	return fmt.Sprintf("m%d_n%d_taps%d_run%d_lda%d_ldd%d_ext%v", c.m, c.n, c.taps, c.run, c.lda, c.ldd, c.extreme)
}

func qCases() []qCase {
	var cs []qCase
	// Every tile height and column-block shape, dense (one tap) and
	// convolution-like (several taps, runs not a multiple of 4).
	for _, m := range []int{1, 2, 5, 6, 7, 8, 12, 13, 16, 17, 31, 50} {
		for _, n := range []int{1, 6, 10, 16, 17, 32, 33, 48, 50, 64, 65, 84, 120, 130, 256} {
			cs = append(cs, qCase{m: m, n: n, taps: 1, run: 1 + (m*n)%37})
		}
	}
	// Runs of 64 bytes and more take AMX's tiles where the CPU has them:
	// whole chunks of 16 groups, a tail, both; one to four vectors a block;
	// a whole row tile of 16 and a part.
	for _, tr := range [][2]int{{5, 5}, {3, 9}, {3, 96}, {5, 30}, {2, 3}, {1, 400}, {3, 192}, {2, 64}} {
		for _, n := range []int{6, 16, 32, 48, 64, 70} {
			cs = append(cs, qCase{m: 23, n: n, taps: tr[0], run: tr[1]})
		}
	}
	cs = append(cs, qCase{m: 40, n: 130, taps: 2, run: 70}, qCase{m: 16, n: 200, taps: 1, run: 1000})
	// Row tiles go four to a call: four exactly, four and one and a part,
	// twice four and a part, with a tail and without.
	for _, m := range []int{64, 83, 150} {
		cs = append(cs, qCase{m: m, n: 70, taps: 3, run: 96}, qCase{m: m, n: 48, taps: 2, run: 70})
	}
	// Narrow matrices (≤ 8 columns) on rows a few bytes apart, as a first
	// convolution's: the row-in-lanes kernels, whole blocks and a rest.
	for lda := 1; lda <= 8; lda++ {
		for n := 1; n <= 9; n++ {
			for _, m := range []int{16, 47, 64, 100} {
				cs = append(cs, qCase{m: m, n: n, taps: 1 + (lda+n)%5, run: 1 + (m+n*lda)%9, lda: lda})
			}
		}
	}
	cs = append(cs,
		qCase{m: 9, n: 21, taps: 2, run: 11, lda: 50, ldd: 40},
		qCase{m: 14, n: 64, taps: 1, run: 4100, extreme: true},
		qCase{m: 7, n: 100, taps: 3, run: 1000, extreme: true},
	)
	return cs
}

// qOperands draws A, W and tap offsets for c: taps overlap as a
// convolution's kernel rows do, and A's bytes past each run are random, as
// a neighbouring pixel's would be. Extreme cases use only 0, 255 and −128,
// 127, the sums' largest magnitudes.
func qOperands(r *rand.Rand, c qCase) (a []uint8, lda int, offs []int, w []int8) {
	span := (c.run + 3) / 4 * 4
	offs = make([]int, c.taps)
	for t := range offs {
		offs[t] = t * (c.run + 2)
	}
	lda = c.lda
	if lda == 0 {
		lda = 7
	}
	a = make([]uint8, (c.m-1)*lda+offs[c.taps-1]+span)
	w = make([]int8, c.taps*c.run*c.n)
	for i := range a {
		a[i] = uint8(r.IntN(256))
		if c.extreme {
			a[i] = 255 * uint8(r.IntN(8)/7) // mostly 255
			if r.IntN(8) != 0 {
				a[i] = 255
			}
		}
	}
	for i := range w {
		w[i] = int8(r.IntN(256) - 128)
		if c.extreme {
			w[i] = -128
			if r.IntN(4) == 0 {
				w[i] = 127
			}
		}
	}
	return a, lda, offs, w
}

// TestQGemmI32MatchesInt64Reference holds every implementation to the
// contract computed in int64, over odd sizes, every tile height and block
// width, several taps, strides wider than the data, and sums near their
// largest magnitude; elements outside the result are never written.
func TestQGemmI32MatchesInt64Reference(t *testing.T) {
	defer qDefault()
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range qCases() {
		a, lda, offs, w := qOperands(r, c)
		b := NewQMatrix(w, c.taps, c.run, c.n)
		want := qRef(a, lda, offs, w, c.run, c.n, c.m)
		ldd := max(c.ldd, c.n)
		for _, im := range qImpls() {
			im.use()
			dst := make([]int32, c.m*ldd+5)
			for i := range dst {
				dst[i] = -7
			}
			QGemmI32(dst, ldd, a, lda, offs, b, c.m)
			for i := range dst {
				row, col := i/ldd, i%ldd
				if row < c.m && col < c.n {
					if got := int64(dst[i]); got != want[row*c.n+col] {
						t.Fatalf("%v %s: C[%d][%d] = %d, want %d", c, im, row, col, got, want[row*c.n+col])
					}
				} else if dst[i] != -7 {
					t.Fatalf("%v %s: wrote %d outside the result at row %d column %d", c, im, dst[i], row, col)
				}
			}
		}
	}
}

// TestQGemmExtremeSums checks that the largest sums are exact: 4100 rows of
// 255·(−128) make −133,824,000, far past float32's exact integers.
func TestQGemmExtremeSums(t *testing.T) {
	defer qDefault()
	const k = 4100
	a := make([]uint8, k)
	w := make([]int8, k*17)
	for i := range a {
		a[i] = 255
	}
	for i := range w {
		w[i] = -128
		if i%17 == 16 {
			w[i] = 127
		}
	}
	b := NewQMatrix(w, 1, k, 17)
	for _, im := range qImpls() {
		im.use()
		dst := make([]int32, 17)
		QGemmI32(dst, 17, a, 0, []int{0}, b, 1)
		if dst[0] != -255*128*k || dst[16] != 255*127*k {
			t.Errorf("%s: sums %d and %d, want %d and %d", im, dst[0], dst[16], -255*128*k, 255*127*k)
		}
	}
}

// TestQGemmU8Requantizes holds QGemmU8 to Requantize applied to the int64
// reference, and Requantize to its formula in float64 where that is exact.
func TestQGemmU8Requantizes(t *testing.T) {
	defer qDefault()
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range qCases() {
		a, lda, offs, w := qOperands(r, c)
		b := NewQMatrix(w, c.taps, c.run, c.n)
		want := qRef(a, lda, offs, w, c.run, c.n, c.m)
		cols := (c.n + 15) / 16 * 16
		scale, offset := make([]float32, cols), make([]float32, cols)
		// Scales that spread the sums over about [-300, 300], so that both
		// clamps and every rounding case occur.
		var big float64 = 1
		for _, v := range want {
			big = max(big, math.Abs(float64(v)))
		}
		for j := range scale {
			scale[j] = float32(300 / big * (0.5 + r.Float64()))
			offset[j] = float32(r.Float64()*200 - 50)
		}
		lo := float32(r.IntN(3) * 10)
		ldd := max(c.ldd, c.n)
		for _, im := range qImpls() {
			im.use()
			dst := make([]uint8, c.m*ldd+3)
			for i := range dst {
				dst[i] = 77
			}
			QGemmU8(dst, ldd, a, lda, offs, b, c.m, scale, offset, lo)
			for i := range dst {
				row, col := i/ldd, i%ldd
				if row < c.m && col < c.n {
					if g, w := dst[i], Requantize(int32(want[row*c.n+col]), scale[col], offset[col], lo); g != w {
						t.Fatalf("%v %s: C[%d][%d] = %d, want %d", c, im, row, col, g, w)
					}
				} else if dst[i] != 77 {
					t.Fatalf("%v %s: wrote %d outside the result at row %d column %d", c, im, dst[i], row, col)
				}
			}
		}
	}
	for _, c := range []struct {
		acc           int32
		scale, offset float32
		lo            float32
		want          uint8
	}{
		{10, 0.25, 0, 0, 2},       // 2.5 rounds to even
		{14, 0.25, 0, 0, 4},       // 3.5 rounds to even
		{-40, 1, 3, 0, 0},         // clamped below
		{-40, 1, 3, 5, 5},         // at a ReLU's zero point
		{1 << 30, 1, 0, 0, 255},   // clamped above
		{100, 0.5, 127.5, 0, 178}, // 177.5 → 178
	} {
		if got := Requantize(c.acc, c.scale, c.offset, c.lo); got != c.want {
			t.Errorf("Requantize(%d, %v, %v, %v) = %d, want %d", c.acc, c.scale, c.offset, c.lo, got, c.want)
		}
	}
}

// TestQuantizeU8 compares the implementations on every length up to 40
// (full vectors and tails) and values that round half way, clamp, or are
// MNIST pixels, which scale 1/255 with zero point 0 must give back exactly.
func TestQuantizeU8(t *testing.T) {
	defer qDefault()
	r := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= 40; n++ {
		src := make([]float32, n)
		for i := range src {
			switch i % 4 {
			case 0:
				src[i] = float32(r.Float64()*4 - 1)
			case 1:
				src[i] = float32(r.IntN(600))/2 - 20 // halves
			case 2:
				src[i] = float32(r.IntN(256)) / 255
			default:
				src[i] = float32(r.NormFloat64() * 1e3)
			}
		}
		var ref []uint8
		for _, im := range qImpls() {
			im.use()
			inv, zp := float32(255), float32(0)
			if n%2 == 1 {
				inv, zp = 1, 20
			}
			dst := make([]uint8, n+1)
			dst[n] = 9
			QuantizeU8(dst[:n], src, inv, zp)
			if dst[n] != 9 {
				t.Fatalf("n=%d %s: wrote past dst", n, im)
			}
			for i, x := range src {
				v := math.Min(math.Max(float64(float32(x*inv))+float64(zp), 0), 255)
				if want := uint8(math.RoundToEven(v)); dst[i] != want {
					t.Fatalf("n=%d %s: dst[%d] = %d for %v, want %d", n, im, i, dst[i], x, want)
				}
			}
			if ref == nil {
				ref = dst
			}
		}
	}
	pix := make([]float32, 256)
	for v := range pix {
		pix[v] = float32(v) / 255
	}
	got := make([]uint8, 256)
	for _, im := range qImpls() {
		im.use()
		QuantizeU8(got, pix, 255, 0)
		for v, g := range got {
			if int(g) != v {
				t.Fatalf("%s: pixel %d/255 quantized to %d", im, v, g)
			}
		}
	}
}

// TestMaxPool2x2U8 compares the implementations with a plain loop over
// channel counts that fill a 64-byte vector exactly, leave a tail, or
// exceed it, odd image sizes, and input and output rows wider than the
// pixels.
func TestMaxPool2x2U8(t *testing.T) {
	defer qDefault()
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []int{1, 3, 6, 16, 21, 32, 64, 65, 100} {
		for _, hw := range [][2]int{{2, 2}, {5, 7}, {28, 28}, {14, 14}, {10, 10}, {3, 30}} {
			h, w := hw[0], hw[1]
			rs := w*c + r.IntN(3)*c
			x := make([]uint8, (h-1)*rs+w*c)
			for i := range x {
				x[i] = uint8(r.IntN(256))
			}
			oh, ow := h/2, w/2
			want0 := make([]uint8, oh*ow*c)
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					for ch := 0; ch < c; ch++ {
						var m uint8
						for di := 0; di < 2; di++ {
							for dj := 0; dj < 2; dj++ {
								m = max(m, x[(2*i+di)*rs+(2*j+dj)*c+ch])
							}
						}
						want0[(i*ow+j)*c+ch] = m
					}
				}
			}
			for _, im := range qImpls() {
				im.use()
				// Output rows ys apart, the gaps and the end checked untouched.
				n := ow * c
				ys := n + (c%3)*5
				y := make([]uint8, (oh-1)*ys+n+1)
				for i := range y {
					y[i] = 3
				}
				MaxPool2x2U8(y[:len(y)-1], ys, x, rs, h, w, c)
				for i := range y {
					row, col := i/ys, i%ys
					want := uint8(3)
					if row < oh && col < n {
						want = want0[row*n+col]
					}
					if y[i] != want {
						t.Fatalf("c=%d %dx%d rs=%d ys=%d %s: y[%d] = %d, want %d", c, h, w, rs, ys, im, i, y[i], want)
					}
				}
			}
		}
	}
}

// TestQGemmPanics checks the one block of checks names what is wrong.
func TestQGemmPanics(t *testing.T) {
	b := NewQMatrix(make([]int8, 2*3*5), 2, 3, 5)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"short a", func() { QGemmI32(make([]int32, 10), 5, make([]uint8, 6), 4, []int{0, 3}, b, 2) }},
		{"taps", func() { QGemmI32(make([]int32, 10), 5, make([]uint8, 64), 4, []int{0}, b, 2) }},
		{"short dst", func() { QGemmI32(make([]int32, 9), 5, make([]uint8, 64), 4, []int{0, 3}, b, 2) }},
		{"scales", func() {
			QGemmU8(make([]uint8, 10), 5, make([]uint8, 64), 4, []int{0, 3}, b, 2, make([]float32, 5), make([]float32, 16), 0)
		}},
	} {
		func() {
			defer func() {
				if p := recover(); p == nil {
					t.Errorf("%s: no panic", c.name)
				} else if s := fmt.Sprint(p); len(s) < 20 || s[:8] != "kernel: " {
					t.Errorf("%s: panic %q does not say what is wrong", c.name, s)
				}
			}()
			c.f()
		}()
	}
}
