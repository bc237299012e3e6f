package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// col2imBefore is Col2im as it was before col2imRows (one AddTo per window
// row): the computation whose bits the new one must keep.
func col2imBefore(dx, cols []float32, g Window, c, i0, i1 int) {
	h, w, kh, kw, sh, sw, pt, pl := g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PT, g.PL
	_, ow := g.Out()
	rowLen := kw * c
	k := kh * rowLen
	jlo, jhi := g.interior()
	for i := i0; i < i1; i++ {
		top := i*sh - pt
		in := cols[(i-i0)*ow*k : (i-i0+1)*ow*k]
		for ky := 0; ky < kh; ky++ {
			if iy := top + ky; iy < 0 || iy >= h {
				continue
			}
			dst := dx[(top+ky)*w*c : (top+ky+1)*w*c]
			for j := jlo; j < jhi; j++ {
				AddTo(dst[(j*sw-pl)*c:][:rowLen], in[j*k+ky*rowLen:][:rowLen])
			}
			for j := 0; j < ow; j++ {
				if j == jlo && jhi > jlo {
					j = jhi - 1
					continue
				}
				kx0, kx1, ix0 := g.cols(j)
				if kx1 <= kx0 {
					continue
				}
				AddTo(dst[ix0*c:(ix0+kx1-kx0)*c], in[j*k+ky*rowLen+kx0*c:j*k+ky*rowLen+kx1*c])
			}
		}
	}
}

// col2imScalar is the same order spelled out one value at a time, with no
// kernel call: for each output row, kernel row, then the interior columns
// and the edge columns, each patch value is added to its dx cell.
func col2imScalar(dx, cols []float32, g Window, c, i0, i1 int) {
	_, ow := g.Out()
	k := g.KH * g.KW * c
	jlo, jhi := g.interior()
	order := make([]int, 0, ow)
	for j := jlo; j < jhi; j++ {
		order = append(order, j)
	}
	for j := 0; j < ow; j++ {
		if j < jlo || j >= jhi || jhi <= jlo {
			order = append(order, j)
		}
	}
	for i := i0; i < i1; i++ {
		for ky := 0; ky < g.KH; ky++ {
			iy := i*g.SH - g.PT + ky
			if iy < 0 || iy >= g.H {
				continue
			}
			for _, j := range order {
				for kx := 0; kx < g.KW; kx++ {
					ix := j*g.SW - g.PL + kx
					if ix < 0 || ix >= g.W {
						continue
					}
					for ch := 0; ch < c; ch++ {
						dx[(iy*g.W+ix)*c+ch] += cols[((i-i0)*ow+j)*k+(ky*g.KW+kx)*c+ch]
					}
				}
			}
		}
	}
}

// col2imValues fills v with values whose sums depend on the order of
// addition (magnitudes spread over many binades), with a sprinkling of
// ±0, ±Inf and NaNs of different payloads, whose survival through a sum
// depends on the operand order.
func col2imValues(r *rand.Rand, v []float32) {
	for i := range v {
		switch r.IntN(40) {
		case 0:
			v[i] = float32(math.Copysign(0, -1))
		case 1:
			v[i] = 0
		case 2:
			v[i] = math.Float32frombits(0x7fc00000 | r.Uint32()&0x3fffff | r.Uint32()&0x80000000)
		case 3:
			v[i] = float32(math.Inf(1 - 2*r.IntN(2)))
		default:
			v[i] = float32(r.NormFloat64() * math.Exp2(float64(r.IntN(40)-20)))
		}
	}
}

// col2imSameBits fails t at the first value of got whose bits differ from want's.
func col2imSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v (%#08x), want %v (%#08x)", what, i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func TestCol2imRowsBits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 16))
	defer func() { col2imVecOff = false }()
	for trial := 0; trial < 3000; trial++ {
		dstep, rowLen := 1+r.IntN(40), 1+r.IntN(80)
		n, rows := 1+r.IntN(20), 1+r.IntN(4)
		sstep := rowLen + r.IntN(3*rowLen)
		span := (n-1)*dstep + rowLen
		drs, srs := span+r.IntN(9), (n-1)*sstep+rowLen+r.IntN(9)
		// Values before and after the ranges must stay untouched.
		pad := 20
		dst0 := make([]float32, pad+(rows-1)*drs+span+pad)
		src := make([]float32, pad+(rows-1)*srs+(n-1)*sstep+rowLen+pad)
		col2imValues(r, dst0)
		col2imValues(r, src)
		want := append([]float32(nil), dst0...)
		for row := 0; row < rows; row++ {
			for w := 0; w < n; w++ {
				for l := 0; l < rowLen; l++ {
					want[pad+row*drs+w*dstep+l] += src[pad+row*srs+w*sstep+l]
				}
			}
		}
		for _, off := range []bool{false, true} {
			col2imVecOff = off
			got := append([]float32(nil), dst0...)
			col2imRows(got[pad:len(got)-pad], src[pad:len(src)-pad], dstep, sstep, rowLen, n, rows, drs, srs)
			col2imSameBits(t, fmt.Sprintf("trial %d (dstep %d sstep %d rowLen %d n %d rows %d), vector loop off %v",
				trial, dstep, sstep, rowLen, n, rows, off), got, want)
		}
	}
}

// With no channels there is nothing to add; windows that do not move
// (dstep 0) all add onto the same values, which the vector loop, whose
// windows would not advance, must leave to the pure-Go one.
func TestCol2imDegenerate(t *testing.T) {
	g := Window{H: 4, W: 4, KH: 3, KW: 3, SH: 1, SW: 1}
	Col2im(nil, nil, g, 0, 0, 2)
	dst := []float32{1, 2, 3}
	col2imRows(dst, []float32{10, 20, 30, 40, 50, 60, 70, 80}, 0, 4, 3, 2, 1, 0, 0)
	col2imSameBits(t, "dstep 0", dst, []float32{1 + 10 + 50, 2 + 20 + 60, 3 + 30 + 70})
}

// col2imGeometries are the windows TestCol2imBits runs on every channel
// count: valid and same padding, strides 1 and 2, asymmetric padding,
// windows wider than the image's interior, and LeNet-5's second layer.
var col2imGeometries = []Window{
	{H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1},
	{H: 28, W: 28, KH: 5, KW: 5, SH: 1, SW: 1, PT: 2, PB: 2, PL: 2, PR: 2},
	{H: 9, W: 11, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PB: 1, PL: 1, PR: 1},
	{H: 8, W: 8, KH: 3, KW: 3, SH: 1, SW: 1},
	{H: 9, W: 10, KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PB: 1, PL: 1, PR: 1},
	{H: 7, W: 12, KH: 2, KW: 4, SH: 1, SW: 2, PT: 0, PB: 1, PL: 3, PR: 0},
	{H: 5, W: 6, KH: 1, KW: 1, SH: 1, SW: 1},
	{H: 4, W: 3, KH: 3, KW: 5, SH: 1, SW: 1, PT: 2, PB: 2, PL: 3, PR: 3},
	{H: 6, W: 9, KH: 3, KW: 2, SH: 3, SW: 4, PL: 1, PR: 1},
	{H: 10, W: 10, KH: 7, KW: 7, SH: 1, SW: 1, PT: 3, PB: 3, PL: 3, PR: 3},
}

func TestCol2imBits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	defer func() { col2imVecOff = false }()
	for _, g := range col2imGeometries {
		oh, ow := g.Out()
		for c := 1; c <= 17; c++ {
			k := g.KH * g.KW * c
			cols := make([]float32, oh*ow*k)
			dx0 := make([]float32, g.H*g.W*c)
			col2imValues(r, cols)
			col2imValues(r, dx0)
			// The whole sample, and a block of rows as conv.go's blocks
			// call it.
			for _, rr := range [][2]int{{0, oh}, {oh / 3, oh/3 + (oh+1)/2}} {
				i0, i1 := rr[0], rr[1]
				in := cols[:(i1-i0)*ow*k]
				want := append([]float32(nil), dx0...)
				col2imBefore(want, in, g, c, i0, i1)
				spec := append([]float32(nil), dx0...)
				col2imScalar(spec, in, g, c, i0, i1)
				what := fmt.Sprintf("%v, %d channels, rows [%d,%d)", g, c, i0, i1)
				col2imSameBits(t, what+": scalar order vs before", spec, want)
				for _, off := range []bool{false, true} {
					col2imVecOff = off
					got := append([]float32(nil), dx0...)
					Col2im(got, in, g, c, i0, i1)
					col2imSameBits(t, fmt.Sprintf("%s, vector loop off %v", what, off), got, want)
				}
			}
		}
	}
}

// BenchmarkCol2im runs one sample's Col2im, the loop of one AddTo per
// window row ("before") against today's, in one process. On a shared
// machine, compare the fastest of several short runs of each
// (-count=12 -benchtime=30ms), not one long run.
func BenchmarkCol2im(b *testing.B) {
	cases := []struct {
		name string
		g    Window
		c    int
	}{
		{"lenet2_14x14x6_5x5", Window{H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1}, 6},
		{"same_28x28x1_5x5", Window{H: 28, W: 28, KH: 5, KW: 5, SH: 1, SW: 1, PT: 2, PB: 2, PL: 2, PR: 2}, 1},
		{"valid_28x28x1_3x3", Window{H: 28, W: 28, KH: 3, KW: 3, SH: 1, SW: 1}, 1},
		{"same_28x28x3_3x3", Window{H: 28, W: 28, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PB: 1, PL: 1, PR: 1}, 3},
		{"same_28x28x8_3x3", Window{H: 28, W: 28, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PB: 1, PL: 1, PR: 1}, 8},
		{"valid_12x12x16_3x3", Window{H: 12, W: 12, KH: 3, KW: 3, SH: 1, SW: 1}, 16},
		{"same_16x16x24_3x3", Window{H: 16, W: 16, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PB: 1, PL: 1, PR: 1}, 24},
		{"valid_14x14x11_5x5", Window{H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1}, 11},
		{"same_16x16x32_3x3", Window{H: 16, W: 16, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PB: 1, PL: 1, PR: 1}, 32},
		{"valid_14x14x16_5x5", Window{H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1}, 16},
		{"same_16x16x64_3x3", Window{H: 16, W: 16, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PB: 1, PL: 1, PR: 1}, 64},
	}
	for _, cs := range cases {
		oh, ow := cs.g.Out()
		cols := make([]float32, oh*ow*cs.g.KH*cs.g.KW*cs.c)
		dx := make([]float32, cs.g.H*cs.g.W*cs.c)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range cols {
			cols[i] = float32(r.NormFloat64())
		}
		b.Run(cs.name+"/before", func(b *testing.B) {
			for b.Loop() {
				col2imBefore(dx, cols, cs.g, cs.c, 0, oh)
			}
		})
		b.Run(cs.name+"/now", func(b *testing.B) {
			for b.Loop() {
				Col2im(dx, cols, cs.g, cs.c, 0, oh)
			}
		})
	}
}
