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
	// Winograd's: odd outputs (tiles that overhang), no padding, uneven
	// padding, a single partial tile, 48 and 80 channels.
	{2, 7, 9, 16, 3, 3, 32, 1, 1, 1, 1, 1, 1},
	{1, 10, 8, 32, 3, 3, 16, 1, 1, 0, 0, 0, 0},
	{3, 5, 6, 16, 3, 3, 48, 1, 1, 2, 0, 0, 1},
	{1, 3, 3, 16, 3, 3, 16, 1, 1, 0, 0, 0, 0},
	{2, 16, 30, 48, 3, 3, 80, 1, 1, 1, 1, 1, 1},
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
	// Each tile on the direct path; then, where the geometry allows
	// Winograd, each implementation of its transforms (with the active
	// tile, which only decides that ForwardAffine runs).
	type path struct {
		tile *directTile
		wino *winoImpl
	}
	var paths []path
	for _, t := range append([]*directTile{nil}, directTiles...) {
		paths = append(paths, path{t, nil})
	}
	for _, wi := range winoImpls {
		paths = append(paths, path{activeTile, wi})
	}
	for _, c := range directCases {
		r := rand.New(rand.NewPCG(3, uint64(c.h*100+c.c)))
		x, w := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f)
		scale, shift := randSlice(r, c.f), randSlice(r, c.f)
		oh, ow := c.window().Out()
		sums, _, _, _ := convRef(c, x, w, nil, make([]float32, c.n*oh*ow*c.f), false)
		for _, pa := range paths {
			if pa.wino != nil && !winogradOK(c.window(), c.c, c.f) {
				continue
			}
			name := "none"
			switch {
			case pa.wino != nil:
				name = "winograd-" + pa.wino.name
			case pa.tile != nil:
				name = pa.tile.name
			}
			for _, mode := range []struct{ scale, shift, relu bool }{{true, true, true}, {true, true, false}, {false, true, true}, {false, false, false}} {
				t.Run(fmt.Sprintf("%s/%v/%+v", name, c, mode), func(t *testing.T) {
					cv := NewConv2D(c.n, c.c, c.f, c.window())
					cv.tile, cv.wino = pa.tile, pa.wino
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
	// Winograd on a batch of 1 (tile rows cut into blocks), direct tiles
	// on 5 samples of 7 rows each.
	for _, c := range []convCase{bestLayers(1)[1], {5, 12, 11, 4, 3, 3, 40, 1, 1, 1, 1, 1, 1}, {1, 9, 14, 16, 3, 3, 32, 1, 1, 1, 1, 1, 1}} {
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

// TestForwardAffineNewWeights: a kernel changed in place, by one value,
// is seen by the next call (the Winograd path keeps its transform of the
// last kernel it saw), with each path.
func TestForwardAffineNewWeights(t *testing.T) {
	c := convCase{2, 6, 8, 16, 3, 3, 32, 1, 1, 1, 1, 1, 1}
	for _, wi := range append([]*winoImpl{nil}, winoImpls...) {
		r := rand.New(rand.NewPCG(5, 5))
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		cv.wino = wi
		x, w := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f)
		oh, ow := cv.OutShape()
		y := make([]float32, c.n*oh*ow*c.f)
		cv.ForwardAffine(y, x, w, nil, nil, false)
		for _, at := range []int{0, 1234, len(w) - 1} {
			w[at] += 0.5
			cv.ForwardAffine(y, x, w, nil, nil, false)
			want, _, _, _ := convRef(c, x, w, nil, make([]float32, len(y)), false)
			for i := range y {
				if !closeTo(y[i], want[i], float64(c.kh*c.kw*c.c)) {
					t.Fatalf("wino %v, after w[%d] changed: y[%d] = %v, want %v", wi != nil, at, i, y[i], want[i])
				}
			}
		}
	}
}
