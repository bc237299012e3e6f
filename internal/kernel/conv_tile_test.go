package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// directCases are the convolutions ForwardAffine is checked on: every
// geometry of convCases (strides, paddings, 1×1, few and many channels),
// the best network's layers at batch 1 and 3, and shapes that leave
// partial tiles both ways (more than 14 pixels a row, more than 32
// channels, and neither a multiple).
var directCases = append(append([]convCase{
	{1, 17, 30, 3, 3, 3, 45, 1, 1, 1, 1, 1, 1},
	{2, 9, 16, 5, 2, 4, 33, 2, 3, 0, 1, 2, 1},
}, convCases...), append(bestLayers(1), bestLayers(3)...)...)

// affineRef is ForwardAffine's reference: the sums of convRef (sums, in
// float64), then the scale (nil: 1), the shift (nil: 0) and the ReLU.
func affineRef(sums []float64, f int, scale, shift []float32, relu bool) []float64 {
	y := make([]float64, len(sums))
	for i, v := range sums {
		if scale != nil {
			v *= float64(scale[i%f])
		}
		if shift != nil {
			v += float64(shift[i%f])
		}
		if relu && v < 0 {
			v = 0
		}
		y[i] = v
	}
	return y
}

// TestForwardAffine holds every tile, and the path without one, against
// the float64 reference on directCases, with each epilogue.
func TestForwardAffine(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(3)
	tiles := append([]*directTile{nil}, directTiles...)
	for _, c := range directCases {
		r := rand.New(rand.NewPCG(3, uint64(c.h*100+c.c)))
		x, w := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f)
		scale, shift := randSlice(r, c.f), randSlice(r, c.f)
		oh, ow := c.window().Out()
		sums, _, _, _ := convRef(c, x, w, nil, make([]float32, c.n*oh*ow*c.f), false)
		for _, tile := range tiles {
			name := "none"
			if tile != nil {
				name = tile.name
			}
			for _, mode := range []struct{ scale, shift, relu bool }{{true, true, true}, {true, true, false}, {false, true, true}, {false, false, false}} {
				t.Run(fmt.Sprintf("%s/%v/%+v", name, c, mode), func(t *testing.T) {
					cv := NewConv2D(c.n, c.c, c.f, c.window())
					cv.tile = tile
					var sc, sh []float32
					if mode.scale {
						sc = scale
					}
					if mode.shift {
						sh = shift
					}
					y := make([]float32, len(sums))
					for i := range y {
						y[i] = float32(math.NaN()) // every output must be written
					}
					cv.ForwardAffine(y, x, w, sc, sh, mode.relu)
					want := affineRef(sums, c.f, sc, sh, mode.relu)
					for i := range y {
						if !closeTo(y[i], want[i], float64(c.kh*c.kw*c.c)) {
							t.Fatalf("y[%d] = %v, want %v", i, y[i], want[i])
						}
					}
				})
			}
		}
	}
}

// TestForwardAffineEdges: a NaN sum gives 0 under ReLU and stays NaN
// without; -0 gives +0 under ReLU. Each tile.
func TestForwardAffineEdges(t *testing.T) {
	c := convCase{1, 3, 3, 1, 1, 1, 3, 1, 1, 0, 0, 0, 0}
	for _, tile := range directTiles {
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		cv.tile = tile
		x := []float32{float32(math.NaN()), 1, 2, 3, 4, 5, 6, 7, 8}
		w := []float32{1, float32(math.Copysign(0, -1)), -1}
		y := make([]float32, 27)
		cv.ForwardAffine(y, x, w, nil, nil, true)
		if y[0] != 0 || y[1] != 0 || math.Signbit(float64(y[4])) || y[3] != 1 || y[5] != 0 {
			t.Errorf("%s: with ReLU, pixels 0 and 1 give %v, want [0 0 0 1 +0 0]", tile.name, y[:6])
		}
		cv.ForwardAffine(y, x, w, nil, nil, false)
		if !math.IsNaN(float64(y[0])) || y[5] != -1 {
			t.Errorf("%s: without ReLU, pixel 0 gives %v and pixel 1 %v, want NaN and -1", tile.name, y[0], y[3:6])
		}
	}
}

// TestForwardAffineWorkersBitIdentical: 1 and 3 workers cut the rows into
// different blocks and give the same bits.
func TestForwardAffineWorkersBitIdentical(t *testing.T) {
	defer SetWorkers(0)
	for _, c := range []convCase{bestLayers(1)[1], {5, 12, 11, 4, 3, 3, 40, 1, 1, 1, 1, 1, 1}} {
		run := func(workers int) []float32 {
			SetWorkers(workers)
			r := rand.New(rand.NewPCG(4, 4))
			cv := NewConv2D(c.n, c.c, c.f, c.window())
			oh, ow := cv.OutShape()
			x, w := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f)
			y := make([]float32, c.n*oh*ow*c.f)
			cv.ForwardAffine(y, x, w, randSlice(r, c.f), randSlice(r, c.f), true)
			return y
		}
		one, many := run(1), run(3)
		for i := range one {
			if math.Float32bits(one[i]) != math.Float32bits(many[i]) {
				t.Fatalf("%v: y[%d] is %v with 1 worker, %v with 3", c, i, one[i], many[i])
			}
		}
	}
}

func TestForwardAffineAllocatesNothing(t *testing.T) {
	c := bestLayers(2)[2]
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	x, w, s := make([]float32, c.n*c.h*c.w*c.c), make([]float32, c.kh*c.kw*c.c*c.f), make([]float32, c.f)
	y := make([]float32, c.n*c.h*c.w*c.f)
	call := func() { cv.ForwardAffine(y, x, w, s, s, true) }
	call()
	if n := testing.AllocsPerRun(10, call); n != 0 {
		t.Errorf("ForwardAffine allocates %v times a call", n)
	}
}

func TestForwardAffinePanics(t *testing.T) {
	cv := NewConv2D(1, 1, 2, Window{H: 4, W: 4, KH: 3, KW: 3, SH: 1, SW: 1})
	mustPanic(t, "scale without shift", func() {
		cv.ForwardAffine(make([]float32, 8), make([]float32, 16), make([]float32, 18), make([]float32, 2), nil, false)
	})
	mustPanic(t, "short shift", func() {
		cv.ForwardAffine(make([]float32, 8), make([]float32, 16), make([]float32, 18), nil, make([]float32, 1), false)
	})
}
