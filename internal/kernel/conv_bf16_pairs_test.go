package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specialValues fills x with random values among which NaN, ±Inf, -0,
// denormals and values that round up to the next bfloat16.
func specialValues(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.Copysign(0, -1)), 0, 1e-40, -3e-39, math.Float32frombits(0x3f808000), math.Float32frombits(0x3f818000)}
	for i := range x {
		if r.IntN(8) == 0 {
			x[i] = specials[r.IntN(len(specials))]
		} else {
			x[i] = float32(r.NormFloat64())
		}
	}
	return x
}

// TestConv2DBF16PairsSameBits holds pixelPairs and gradPairs against the
// float32 copies they replace (xp by padRows then paired with the next
// pixel; dy laid by padGrad then paired by pairRows), bit for bit, on
// every implementation, and gradPadded against clearing all of dx's
// padded dy before its rows are written, on geometries padded on each side or not at all,
// with odd and even widths and channel counts.
func TestConv2DBF16PairsSameBits(t *testing.T) {
	for _, kern := range bf16Kernels {
		for _, c := range []convCase{
			{2, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1, 1, 1}, // best's layers
			{2, 13, 13, 32, 3, 3, 64, 1, 1, 0, 0, 0, 0}, // keras-convnet's: odd width, no padding
			{2, 9, 8, 5, 3, 3, 4, 1, 1, 0, 2, 0, 2},     // padded right and below only
			{2, 9, 11, 7, 3, 5, 6, 1, 1, 2, 0, 3, 0},    // padded left and above only
			{1, 6, 7, 4, 5, 5, 2, 1, 1, 2, 2, 2, 2},
			{1, 5, 5, 16, 2, 2, 8, 1, 1, 0, 1, 1, 0},
		} {
			cv := NewConv2D(c.n, c.c, c.f, c.window())
			b := &Conv2DBF16{cv: cv, kern: kern}
			b.setPairSegs()
			r := rand.New(rand.NewPCG(uint64(c.c), uint64(c.w)))
			xn := specialValues(r, c.h*c.w*c.c)
			dyn := specialValues(r, cv.oh*cv.ow*c.f)
			zero := make([]float32, max(c.c, c.f))
			checkPixelPairs(t, kern.name, b, xn, zero)
			checkGradPairs(t, kern.name, b, dyn, zero)
			checkGradPadded(t, kern.name, b, dyn)
		}
	}
}

func checkPixelPairs(t *testing.T, name string, b *Conv2DBF16, xn, zero []float32) {
	t.Helper()
	cv := b.cv
	c, px := cv.c, cv.hp*cv.wp
	xs := make([]float32, (px+2)*c)
	cv.padRows(xs, xn, 0, cv.hp)
	want := make([]uint32, (px+1)*c)
	b.kern.pair(want, xs[:(px+1)*c], xs[c:])
	got := make([]uint32, len(want))
	for i := range got {
		got[i] = 0xdeadbeef // every value must be written
	}
	b.pixelPairs(got, xn, zero)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s %v: pixelPairs[%d] = %#08x, padded and paired %#08x", name, cv.win, i, got[i], want[i])
		}
	}
}

func checkGradPairs(t *testing.T, name string, b *Conv2DBF16, dyn, zero []float32) {
	t.Helper()
	cv := b.cv
	f := cv.f
	pix := cv.oh*cv.wp - (cv.win.KW - 1)
	steps := (pix + 1) / 2
	dyg := cv.padGrad(make([]float32, cv.oh*cv.wp*f), dyn, nil, false, cv.oh, cv.wp, 0, 0)
	want := make([]uint32, steps*f)
	pairRows(b.kern, want, f, dyg, f, f, pix, zero)
	got := make([]uint32, len(want))
	for i := range got {
		got[i] = 0xdeadbeef
	}
	b.gradPairs(got, dyn, zero)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s %v: gradPairs[%d] = %#08x, laid out and paired %#08x", name, cv.win, i, got[i], want[i])
		}
	}
}

func checkGradPadded(t *testing.T, name string, b *Conv2DBF16, dyn []float32) {
	t.Helper()
	cv := b.cv
	g := cv.win
	gw, hf := g.W+g.KW-1, cv.f/2
	top, left := g.KH-1-g.PT, g.KW-1-g.PL
	want := make([]uint32, (g.H+g.KH-1)*gw*hf)
	for i := 0; i < cv.oh; i++ {
		b.kern.cvt(want[((i+top)*gw+left)*hf:][:cv.ow*hf], dyn[i*cv.ow*cv.f:][:cv.ow*cv.f])
	}
	dyg := cv.padGrad(make([]float32, cv.oh*cv.wp*cv.f), dyn, nil, false, cv.oh, cv.wp, 0, 0)
	for _, grid := range [][]float32{nil, dyg} {
		s := &bf16ConvScratch{dyp16: make([]uint32, len(want))}
		for i := range s.dyp16 {
			s.dyp16[i] = 0xdeadbeef // a last sample's values: every one must go
		}
		b.gradPadded(s, dyn, grid)
		for i := range want {
			if s.dyp16[i] != want[i] {
				t.Fatalf("%s %v: gradPadded[%d] = %#08x, cleared then written %#08x", name, cv.win, i, s.dyp16[i], want[i])
			}
		}
	}
}
