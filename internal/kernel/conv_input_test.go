package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConv2DInputAffine holds a convolution reading x through
// SetInputAffine to the same convolution reading the map's output,
// written out first by the normalization's own loop (ChannelAffine or
// ChannelAffineReLU): y, dx, dw and db must have the same bits, through
// Forward, Backward and BackwardBN, with the padded input kept from
// Forward (KeepPatches) and made again in Backward, on one worker and two.
func TestConv2DInputAffine(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(61, 62))
	cases := append(append([]convCase(nil), convCases...), setConvCases...)
	cases = append(cases, convCase{3, 24, 24, 32, 3, 3, 16, 1, 1, 1, 1, 1, 1}) // too large to keep
	tried := 0
	for _, c := range cases {
		if !NewConv2D(c.n, c.c, c.f, c.window()).ReadsAffine() {
			continue
		}
		tried++
		for _, relu := range []bool{false, true} {
			for _, keep := range []bool{false, true} {
				for _, workers := range []int{1, 2} {
					SetWorkers(workers)
					checkInputAffine(t, fmt.Sprintf("%v/relu=%v/keep=%v/workers=%d", c, relu, keep, workers), r, c, relu, keep)
				}
			}
		}
	}
	if tried < 5 {
		t.Fatalf("only %d geometries take the map", tried)
	}
}

func checkInputAffine(t *testing.T, name string, r *rand.Rand, c convCase, relu, keep bool) {
	t.Helper()
	ref, cv := NewConv2D(c.n, c.c, c.f, c.window()), NewConv2D(c.n, c.c, c.f, c.window())
	if keep {
		ref.KeepPatches()
		cv.KeepPatches()
	}
	x, w, bias := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f), randSlice(r, c.f)
	scale, shift := randSlice(r, c.c), randSlice(r, c.c)
	a := make([]float32, len(x)) // what the normalization would write
	if relu {
		ChannelAffineReLU(a, x, scale, shift, len(x)/c.c, c.c)
	} else {
		ChannelAffine(a, x, scale, shift, len(x)/c.c, c.c)
	}
	cv.SetInputAffine(scale, shift, relu)
	oh, ow := ref.OutShape()
	m := c.n * oh * ow * c.f
	dy := randSlice(r, m)
	type grads struct{ y, dx, dw, db []float32 }
	run := func(cv *Conv2D, x []float32, bn *BNGrad) grads {
		g := grads{make([]float32, m), make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.f)}
		cv.Forward(g.y, x, w, bias, true)
		if bn != nil {
			cv.BackwardBN(g.dx, g.dw, g.db, bn, x, w)
		} else {
			cv.Backward(g.dx, g.dw, g.db, dy, x, w, g.y, true)
		}
		return g
	}
	bn := &BNGrad{DZ: randSlice(r, m), Y: randSlice(r, m), ReLU: true}
	for _, p := range []*[]float32{&bn.A, &bn.B, &bn.Mean, &bn.D, &bn.Scale, &bn.Shift} {
		*p = randSlice(r, c.f)
	}
	for _, via := range []*BNGrad{nil, bn} {
		want, got := run(ref, a, via), run(cv, x, via)
		requireBits(t, fmt.Sprintf("%s/bn=%v", name, via != nil),
			bitsOf{"y", got.y, want.y}, bitsOf{"dx", got.dx, want.dx}, bitsOf{"dw", got.dw, want.dw}, bitsOf{"db", got.db, want.db})
	}
}

// TestConv2DInputAffinePanics checks that SetInputAffine refuses a
// convolution that reads x in place and coefficients of the wrong length,
// and that ForwardAffine refuses to run with a map set.
func TestConv2DInputAffinePanics(t *testing.T) {
	valid := convCases[0] // unpadded: x is read in place
	cv := NewConv2D(valid.n, valid.c, valid.f, valid.window())
	k := make([]float32, valid.c)
	mustPanic(t, "unpadded", func() { cv.SetInputAffine(k, k, true) })
	same := convCases[1]
	cv = NewConv2D(same.n, same.c, same.f, same.window())
	mustPanic(t, "short shift", func() { cv.SetInputAffine(k, k[1:], true) })
	cv.SetInputAffine(k, k, true)
	oh, ow := cv.OutShape()
	y, x, w := make([]float32, same.n*oh*ow*same.f), make([]float32, same.n*same.h*same.w*same.c), make([]float32, same.kh*same.kw*same.c*same.f)
	mustPanic(t, "ForwardAffine with a map", func() { cv.ForwardAffine(y, x, w, nil, nil, false) })
	cv.SetInputAffine(nil, nil, false)
	cv.ForwardAffine(y, x, w, nil, nil, false) // the map off: no panic
}

// bitsOf names a slice computed two ways, for requireBits.
type bitsOf struct {
	name      string
	got, want []float32
}

// requireBits fails unless each got has the float32 bits of its want;
// what says which case.
func requireBits(t *testing.T, what string, pairs ...bitsOf) {
	t.Helper()
	for _, p := range pairs {
		for i := range p.want {
			if math.Float32bits(p.got[i]) != math.Float32bits(p.want[i]) {
				t.Fatalf("%s: %s[%d] = %v, want %v", what, p.name, i, p.got[i], p.want[i])
			}
		}
	}
}
