package quantize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomMatmul fills a layer's weights and quantizations with values of
// the sizes training gives: weights in [-127, 127] with scales near 0.01,
// biases near 0.1, an input in [-0.2, 4.9]; the output's quantization is
// the test's to set.
func randomMatmul(r *rand.Rand, mm *matmul, k, f int, relu bool) {
	mm.W, mm.WScale, mm.Bias = make([]int8, k*f), make([]float32, f), make([]float32, f)
	for i := range mm.W {
		mm.W[i] = int8(r.IntN(255) - 127)
	}
	for j := range mm.WScale {
		mm.WScale[j] = float32(0.002 + 0.01*r.Float64())
		mm.Bias[j] = float32(r.NormFloat64() * 0.1)
	}
	mm.ReLU = relu
	mm.In = params{Scale: 0.02, Zero: 10}
	mm.Out = params{Scale: 0.05, Zero: 30}
	if relu {
		mm.Out.Zero = 0
	}
}

// requantRef is the quantization of real value v in float64: v/scale +
// zero, rounded half to even, clamped to [lo, 255] (lo the zero point
// after a ReLU).
func requantRef(v float64, out params, relu bool) int {
	if relu {
		v = math.Max(v, 0)
	}
	q := math.RoundToEven(v/float64(out.Scale) + float64(out.Zero))
	return int(math.Min(math.Max(q, 0), 255))
}

// compareQuantized checks got against want: every value within one step,
// and at most 1 % of them a step off (the float32 requantization rounds
// where float64 lands near a half).
func compareQuantized(t *testing.T, name string, got []uint8, want []int) {
	t.Helper()
	off := 0
	for i, w := range want {
		switch d := int(got[i]) - w; {
		case d == 0:
		case d == 1 || d == -1:
			off++
		default:
			t.Fatalf("%s: output %d is %d, want %d", name, i, got[i], w)
		}
	}
	if off*100 > len(want) {
		t.Errorf("%s: %d of %d outputs are one step off the float64 reference", name, off, len(want))
	}
}

// TestConvMatchesFloat64Reference runs quantized convolutions of several
// geometries (the narrow first-layer kernel, strides, both paddings, odd
// sizes) and holds them to the convolution of the real values their bytes
// stand for, computed in float64 with the padding as zeros.
func TestConvMatchesFloat64Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, g := range []struct {
		h, w, c, f, kh, kw, sh, sw int
		padding                    string
	}{
		{28, 28, 1, 6, 5, 5, 1, 1, "same"},
		{14, 14, 6, 16, 5, 5, 1, 1, "valid"},
		{14, 14, 32, 64, 3, 3, 1, 1, "same"},
		{9, 11, 3, 20, 3, 2, 2, 1, "same"},
		{8, 8, 4, 5, 3, 3, 2, 2, "valid"},
		{7, 5, 70, 33, 1, 1, 1, 1, "valid"},
		{10, 6, 2, 3, 3, 3, 1, 2, "same"},
	} {
		for _, relu := range []bool{false, true} {
			name := fmt.Sprintf("%+v relu=%v", g, relu)
			c := &conv{KH: g.kh, KW: g.kw, C: g.c, F: g.f, SH: g.sh, SW: g.sw, InH: g.h, InW: g.w}
			c.PT, c.PB = pads(g.h, g.kh, g.sh, g.padding)
			c.PL, c.PR = pads(g.w, g.kw, g.sw, g.padding)
			randomMatmul(r, &c.matmul, g.kh*g.kw*g.c, g.f, relu)
			c.setup(false)
			in := act{data: make([]uint8, g.h*g.w*g.c), h: g.h, w: g.w, c: g.c, rs: g.w * g.c}
			for i := range in.data {
				in.data[i] = uint8(r.IntN(256))
			}
			// The output's quantization spans the reference's values,
			// as calibration would make it.
			real := convRef(c, in.data)
			c.Out = chooseParams(minMax(real))
			c.setup(false)
			want := make([]int, len(real))
			for i, v := range real {
				want[i] = requantRef(v, c.Out, c.ReLU)
			}
			ps, os := c.sizes()
			p, o := make([]uint8, ps), make([]uint8, os)
			c.fillBorders(p)
			out := act{data: make([]uint8, c.oh*c.ow*g.f), h: c.oh, w: c.ow, c: g.f, rs: c.ow * g.f}
			c.run(p, o, in, &out)
			compareQuantized(t, name, out.data, want)
			if c.oh != (g.h+c.PT+c.PB-g.kh)/g.sh+1 || (g.padding == "same" && c.oh != (g.h+g.sh-1)/g.sh) {
				t.Errorf("%s: %d output rows", name, c.oh)
			}
		}
	}
}

// convRef is the float64 convolution of the real values of x (H, W, C),
// ReLU applied.
func convRef(c *conv, x []uint8) []float64 {
	var want []float64
	sa, za := float64(c.In.Scale), float64(c.In.Zero)
	for i := 0; i < c.oh; i++ {
		for j := 0; j < c.ow; j++ {
			for f := 0; f < c.F; f++ {
				s := float64(c.Bias[f])
				for ki := 0; ki < c.KH; ki++ {
					for kj := 0; kj < c.KW; kj++ {
						y, xx := i*c.SH+ki-c.PT, j*c.SW+kj-c.PL
						if y < 0 || y >= c.InH || xx < 0 || xx >= c.InW {
							continue
						}
						for ch := 0; ch < c.C; ch++ {
							v := sa * (float64(x[(y*c.InW+xx)*c.C+ch]) - za)
							s += v * float64(c.WScale[f]) * float64(c.W[((ki*c.KW+kj)*c.C+ch)*c.F+f])
						}
					}
				}
				if c.ReLU {
					s = math.Max(s, 0)
				}
				want = append(want, s)
			}
		}
	}
	return want
}

// TestDenseMatchesFloat64Reference does the same for a dense layer on a
// block of rows, and for the last layer's float32 outputs.
func TestDenseMatchesFloat64Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, s := range [][3]int{{1, 400, 120}, {32, 120, 84}, {5, 3136, 256}, {17, 7, 3}} {
		rows, in, units := s[0], s[1], s[2]
		d := &dense{Inputs: in, Units: units}
		randomMatmul(r, &d.matmul, in, units, units%2 == 0)
		x := make([]uint8, rows*in+4)
		for i := range x {
			x[i] = uint8(r.IntN(256))
		}
		ref := make([]float64, rows*units)
		for i := 0; i < rows; i++ {
			for j := 0; j < units; j++ {
				v := float64(d.Bias[j])
				for k := 0; k < in; k++ {
					v += float64(d.In.Scale) * (float64(x[i*in+k]) - float64(d.In.Zero)) * float64(d.WScale[j]) * float64(d.W[k*units+j])
				}
				ref[i*units+j] = v
			}
		}
		d.Out = chooseParams(minMax(ref))
		if d.ReLU {
			d.Out = chooseParams(0, max(0, slices.Max(ref)))
		}
		want := make([]int, len(ref))
		for i, v := range ref {
			want[i] = requantRef(v, d.Out, d.ReLU)
		}
		name := fmt.Sprint(s)
		d.prepare(1, in, units, false)
		y := make([]uint8, rows*units)
		d.run(y, x, rows)
		compareQuantized(t, name, y, want)
		// The last layer's float outputs: float32 rounding only.
		d.prepare(1, in, units, true)
		acc := make([]int32, rows*units)
		d.sums(acc, x, rows)
		for i, a := range acc {
			v := ref[i]
			if d.ReLU {
				v = math.Max(v, 0)
			}
			if got := float64(d.real(a, i%units, d.mul, d.add)); math.Abs(got-v) > 1e-5*(1+math.Abs(v)) {
				t.Fatalf("%s: float output %d is %v, want %v", name, i, got, v)
			}
		}
	}
}

func minMax(v []float64) (float64, float64) { return slices.Min(v), slices.Max(v) }

// TestChooseParams checks the quantization of a range: 0 exact, the
// range's ends at 0 and 255, a ReLU's range zero point 0.
func TestChooseParams(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   params
	}{
		{0, 1, params{float32(1.0 / 255), 0}},
		{0, 5.1, params{float32(5.1 / 255), 0}},
		{-1, 1, params{float32(2.0 / 255), 127}}, // 1/float32(2/255) is just under 127.5
		{2, 3, params{float32(3.0 / 255), 0}},    // widened to hold 0
		{-3, -2, params{float32(3.0 / 255), 255}},
		{0, 0, params{1, 0}},
	} {
		if got := chooseParams(c.lo, c.hi); got != c.want {
			t.Errorf("chooseParams(%v, %v) = %+v, want %+v", c.lo, c.hi, got, c.want)
		}
	}
}
