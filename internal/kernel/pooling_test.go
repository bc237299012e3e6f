package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// poolRef computes pooling of x (n,H,W,c) from the definition, in float64,
// one output at a time: for max, the largest real cell of each window
// (scanned in row-major order, a NaN winning over a number, the first of
// equal maxima winning) and its index within its sample; for average, the
// mean of the real cells. Its backward pass scatters dy in float64.
func poolRef(isMax bool, x []float32, n, c int, g Window) (y []float64, arg []int) {
	oh, ow := g.Out()
	for s := 0; s < n; s++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for ch := 0; ch < c; ch++ {
					best, at, sum, cells := math.Inf(-1), -1, 0.0, 0
					for ky := 0; ky < g.KH; ky++ {
						for kx := 0; kx < g.KW; kx++ {
							iy, ix := i*g.SH-g.PT+ky, j*g.SW-g.PL+kx
							if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
								continue
							}
							p := (iy*g.W+ix)*c + ch
							v := float64(x[s*g.H*g.W*c+p])
							if at < 0 || v > best || (math.IsNaN(v) && !math.IsNaN(best)) {
								best, at = v, p
							}
							sum += v
							cells++
						}
					}
					if isMax {
						y, arg = append(y, best), append(arg, at)
					} else {
						y = append(y, sum/float64(cells))
					}
				}
			}
		}
	}
	return y, arg
}

// poolBackRef is the float64 gradient of poolRef's output with respect to
// x, given dy and, for max, poolRef's indices.
func poolBackRef(isMax bool, dy []float32, arg []int, n, c int, g Window) []float64 {
	oh, ow := g.Out()
	dx := make([]float64, n*g.H*g.W*c)
	for s := 0; s < n; s++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for ch := 0; ch < c; ch++ {
					o := ((s*oh+i)*ow+j)*c + ch
					if isMax {
						dx[s*g.H*g.W*c+arg[o]] += float64(dy[o])
						continue
					}
					var cells []int
					for ky := 0; ky < g.KH; ky++ {
						for kx := 0; kx < g.KW; kx++ {
							iy, ix := i*g.SH-g.PT+ky, j*g.SW-g.PL+kx
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								cells = append(cells, s*g.H*g.W*c+(iy*g.W+ix)*c+ch)
							}
						}
					}
					for _, p := range cells {
						dx[p] += float64(dy[o]) / float64(len(cells))
					}
				}
			}
		}
	}
	return dx
}

// poolCase is n samples of c channels and a window geometry.
type poolCase struct {
	n, c int
	g    Window
}

func (p poolCase) String() string { return fmt.Sprintf("n%d_c%d_%v", p.n, p.c, p.g) }

func win(h, w, kh, kw, sh, sw, pt, pb, pl, pr int) Window {
	return Window{H: h, W: w, KH: kh, KW: kw, SH: sh, SW: sw, PT: pt, PB: pb, PL: pl, PR: pr}
}

var poolCases = []poolCase{
	{3, 6, win(28, 28, 2, 2, 2, 2, 0, 0, 0, 0)},  // LeNet-5's pooling: MaxPool2x2
	{2, 16, win(10, 10, 2, 2, 2, 2, 0, 0, 0, 0)}, // whole vectors of 8 channels
	{2, 3, win(7, 5, 2, 2, 2, 2, 0, 0, 0, 0)},    // odd sizes: the last row and column dropped
	{2, 5, win(7, 7, 3, 3, 2, 2, 1, 1, 1, 1)},    // "same" at stride 2
	{2, 4, win(6, 6, 2, 2, 2, 2, 0, 0, 0, 0)},
	{1, 3, win(5, 6, 3, 2, 1, 1, 1, 1, 0, 1)}, // overlapping windows, uneven padding
	{3, 1, win(4, 9, 2, 3, 1, 3, 0, 1, 2, 1)},
	{2, 9, win(8, 8, 2, 2, 2, 2, 0, 1, 0, 1)}, // 2×2 but padded: not the fast path
	{1, 2, win(1, 1, 1, 1, 1, 1, 0, 0, 0, 0)},
	{4, 13, win(12, 12, 3, 3, 3, 3, 0, 0, 0, 0)},
}

// TestPool2DConformance holds MaxPool2D, AvgPool2D and their backward
// passes against poolRef, with the vector loop of MaxPool2x2 on and off,
// on data with ties, signed zeros and NaNs: max pooling and its indices
// exactly, the averages and the gradients to float32 rounding.
func TestPool2DConformance(t *testing.T) {
	defer func() { poolVecOff = false }()
	r := rand.New(rand.NewPCG(6, 6))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), 1, 1, -2}
	for _, pc := range poolCases {
		n, c, g := pc.n, pc.c, pc.g
		oh, ow := g.Out()
		x, dy := make([]float32, n*g.H*g.W*c), randSlice(r, n*oh*ow*c)
		xa := randSlice(r, len(x)) // no NaN, for the averages
		for i := range x {
			x[i] = float32(r.IntN(5)) // ties
			if r.IntN(4) == 0 {
				x[i] = special[r.IntN(len(special))]
			}
		}
		wantMax, wantArg := poolRef(true, x, n, c, g)
		wantAvg, _ := poolRef(false, xa, n, c, g)
		wantDxMax := poolBackRef(true, dy, wantArg, n, c, g)
		wantDxAvg := poolBackRef(false, dy, nil, n, c, g)
		for _, off := range []bool{true, false} {
			poolVecOff = off
			name := fmt.Sprintf("%v vector loop off %v", pc, off)
			y, arg := make([]float32, len(dy)), make([]int32, len(dy))
			MaxPool2D(y, arg, x, n, c, g)
			for i := range y {
				want := float32(wantMax[i])
				if !sameBits(y[i], want) || int(arg[i])%(g.H*g.W*c) != wantArg[i] {
					t.Fatalf("%s: max %d = %v at %d, want %v at %d", name, i, y[i], arg[i], want, wantArg[i])
				}
			}
			dx := make([]float32, len(x))
			MaxPool2DBackward(dx, dy, arg, n, c, g)
			checkClose(t, name+" max dx", dx, wantDxMax)
			AvgPool2D(y, xa, n, c, g)
			checkClose(t, name+" avg", y, wantAvg)
			clear(dx)
			AvgPool2DBackward(dx, dy, n, c, g)
			checkClose(t, name+" avg dx", dx, wantDxAvg)
		}
	}
}

// TestPool2DByHand: a 3×3 image of one channel, 1 … 9, pooled 2×2 at
// stride 2 with "same" padding (one row below, one column right) gives
// windows {1,2,4,5}, {3,6}, {7,8}, {9}.
func TestPool2DByHand(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	g := win(3, 3, 2, 2, 2, 2, 0, 1, 0, 1)
	y, arg := make([]float32, 4), make([]int32, 4)
	MaxPool2D(y, arg, x, 1, 1, g)
	if fmt.Sprint(y, arg) != "[5 6 8 9] [4 5 7 8]" {
		t.Errorf("max pooling gave %v at %v, want [5 6 8 9] at [4 5 7 8]", y, arg)
	}
	AvgPool2D(y, x, 1, 1, g)
	if fmt.Sprint(y) != "[3 4.5 7.5 9]" {
		t.Errorf("average pooling gave %v, want [3 4.5 7.5 9]", y)
	}
	dx := make([]float32, 9)
	AvgPool2DBackward(dx, []float32{4, 2, 2, 1}, 1, 1, g)
	if fmt.Sprint(dx) != "[1 1 1 1 1 1 1 1 1]" {
		t.Errorf("average pooling's gradient gave %v, want all 1", dx)
	}
}

// TestPool2DWorkersBitIdentical: 1 and 3 workers give the same bits.
func TestPool2DWorkersBitIdentical(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(7, 7))
	pc := poolCase{40, 6, win(28, 28, 3, 3, 2, 2, 1, 1, 1, 1)}
	oh, ow := pc.g.Out()
	x, dy := randSlice(r, pc.n*28*28*pc.c), randSlice(r, pc.n*oh*ow*pc.c)
	run := func(workers int) [][]float32 {
		SetWorkers(workers)
		y, arg, dx := make([]float32, len(dy)), make([]int32, len(dy)), make([]float32, len(x))
		ya, dxa := make([]float32, len(dy)), make([]float32, len(x))
		MaxPool2D(y, arg, x, pc.n, pc.c, pc.g)
		MaxPool2DBackward(dx, dy, arg, pc.n, pc.c, pc.g)
		AvgPool2D(ya, x, pc.n, pc.c, pc.g)
		AvgPool2DBackward(dxa, dy, pc.n, pc.c, pc.g)
		return [][]float32{y, dx, ya, dxa}
	}
	one, three := run(1), run(3)
	for i := range one {
		for j := range one[i] {
			if math.Float32bits(one[i][j]) != math.Float32bits(three[i][j]) {
				t.Fatalf("output %d element %d: %v with 1 worker, %v with 3", i, j, one[i][j], three[i][j])
			}
		}
	}
}

// TestGlobalAvgPool holds GlobalAvgPool and its gradient against float64
// means.
func TestGlobalAvgPool(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, s := range [][3]int{{1, 1, 1}, {3, 49, 10}, {2, 7, 33}} {
		n, p, c := s[0], s[1], s[2]
		x, dy := randSlice(r, n*p*c), randSlice(r, n*c)
		y := randSlice(r, n*c) // overwritten
		GlobalAvgPool(y, x, n, p, c)
		dx := randSlice(r, n*p*c)
		dx0 := append([]float32(nil), dx...)
		GlobalAvgPoolBackward(dx, dy, n, p, c)
		want, wantDx := make([]float64, n*c), make([]float64, n*p*c)
		for i := 0; i < n; i++ {
			for t := 0; t < p; t++ {
				for ch := 0; ch < c; ch++ {
					want[i*c+ch] += float64(x[(i*p+t)*c+ch]) / float64(p)
					wantDx[(i*p+t)*c+ch] = float64(dx0[(i*p+t)*c+ch]) + float64(dy[i*c+ch])/float64(p)
				}
			}
		}
		checkClose(t, fmt.Sprint("GlobalAvgPool ", s), y, want)
		checkClose(t, fmt.Sprint("GlobalAvgPoolBackward ", s), dx, wantDx)
	}
}

func TestPool2DAllocatesNothing(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(2)
	pc := poolCases[3]
	oh, ow := pc.g.Out()
	x, dy := make([]float32, pc.n*pc.g.H*pc.g.W*pc.c), make([]float32, pc.n*oh*ow*pc.c)
	y, arg, dx := make([]float32, len(dy)), make([]int32, len(dy)), make([]float32, len(x))
	step := func() {
		MaxPool2D(y, arg, x, pc.n, pc.c, pc.g)
		MaxPool2DBackward(dx, dy, arg, pc.n, pc.c, pc.g)
		AvgPool2D(y, x, pc.n, pc.c, pc.g)
		AvgPool2DBackward(dx, dy, pc.n, pc.c, pc.g)
		GlobalAvgPool(dy[:pc.n*pc.c], x, pc.n, pc.g.H*pc.g.W, pc.c)
		GlobalAvgPoolBackward(dx, dy[:pc.n*pc.c], pc.n, pc.g.H*pc.g.W, pc.c)
	}
	step()
	if a := testing.AllocsPerRun(20, step); a != 0 {
		t.Errorf("pooling allocates %v times per step", a)
	}
}

func TestPool2DPanics(t *testing.T) {
	g := win(4, 4, 2, 2, 2, 2, 0, 0, 0, 0)
	mustPanic(t, "padding as large as the window", func() {
		MaxPool2D(make([]float32, 9), make([]int32, 9), make([]float32, 16), 1, 1, win(4, 4, 2, 2, 2, 2, 2, 0, 0, 0))
	})
	mustPanic(t, "short y", func() { MaxPool2D(make([]float32, 3), make([]int32, 3), make([]float32, 16), 1, 1, g) })
	mustPanic(t, "short arg", func() { MaxPool2DBackward(make([]float32, 16), make([]float32, 4), make([]int32, 3), 1, 1, g) })
	mustPanic(t, "long x", func() { AvgPool2D(make([]float32, 4), make([]float32, 17), 1, 1, g) })
	mustPanic(t, "short dx", func() { GlobalAvgPoolBackward(make([]float32, 15), make([]float32, 1), 1, 16, 1) })
}

// TestMaxPool2x2 checks the fast pooling against a plain scan, ties and odd
// sizes included, and its backward scatter.
func TestMaxPool2x2(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, s := range [][3]int{{4, 4, 1}, {5, 7, 3}, {28, 28, 6}, {2, 2, 2}} {
		h, w, c := s[0], s[1], s[2]
		x := make([]float32, h*w*c)
		for i := range x {
			x[i] = float32(r.IntN(4)) // many ties
		}
		oh, ow := h/2, w/2
		y, arg := make([]float32, oh*ow*c), make([]int32, oh*ow*c)
		MaxPool2x2(y, arg, x, h, w, c)
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for ch := 0; ch < c; ch++ {
					best, at := float32(math.Inf(-1)), -1
					for dy := 0; dy < 2; dy++ {
						for dx := 0; dx < 2; dx++ {
							p := ((2*i+dy)*w+2*j+dx)*c + ch
							if x[p] > best {
								best, at = x[p], p
							}
						}
					}
					o := (i*ow+j)*c + ch
					if y[o] != best || int(arg[o]) != at {
						t.Fatalf("%v: output %d = %v at %d, want %v at %d", s, o, y[o], arg[o], best, at)
					}
				}
			}
		}
		dx, dyv := make([]float32, len(x)), randSlice(r, len(y))
		ScatterAdd(dx, dyv, arg)
		var sum float64
		for _, v := range dx {
			sum += float64(v)
		}
		var want float64
		for _, v := range dyv {
			want += float64(v)
		}
		if math.Abs(sum-want) > 1e-4 {
			t.Errorf("%v: scatter moved %v of %v", s, sum, want)
		}
	}
}

// TestMaxPool2x2Conformance: the assembly loop (whole rows of windows when
// the channels are a multiple of 8, all windows of a row but the last
// otherwise) gives the pure-Go loop's values and indices bit for bit, on data with
// ties, signed zeros and NaNs; and a NaN wins its window.
func TestMaxPool2x2Conformance(t *testing.T) {
	defer func() { poolVecOff = false }()
	r := rand.New(rand.NewPCG(4, 4))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), 1, 1, -2}
	for _, s := range [][3]int{{2, 2, 8}, {5, 7, 16}, {28, 28, 32}, {14, 15, 64},
		{28, 28, 6}, {10, 10, 16}, {6, 9, 4}, {4, 5, 5}, {4, 4, 7}, {5, 6, 9}, {2, 4, 3}, {3, 3, 1}, {2, 2, 6}} {
		h, w, c := s[0], s[1], s[2]
		x := make([]float32, h*w*c)
		for i := range x {
			x[i] = special[r.IntN(len(special))]
			if r.IntN(3) == 0 {
				x[i] = float32(r.NormFloat64())
			}
		}
		oh, ow := h/2, w/2
		run := func(off bool) ([]float32, []int32) {
			poolVecOff = off
			y, arg := make([]float32, oh*ow*c), make([]int32, oh*ow*c)
			MaxPool2x2(y, arg, x, h, w, c)
			return y, arg
		}
		gy, ga := run(true)
		vy, va := run(false)
		for i := range gy {
			if math.Float32bits(gy[i]) != math.Float32bits(vy[i]) || ga[i] != va[i] {
				t.Fatalf("%v: output %d = %v at %d by the loop, %v at %d by Go", s, i, vy[i], va[i], gy[i], ga[i])
			}
			if gy[i] == gy[i] && math.IsNaN(float64(x[ga[i]])) || math.IsNaN(float64(gy[i])) && !math.IsNaN(float64(x[ga[i]])) {
				t.Fatalf("%v: output %d = %v but its cell holds %v", s, i, gy[i], x[ga[i]])
			}
		}
	}
}

// BenchmarkMaxPool2x2 times the pooling of the bounty CNN's first block
// output (28,28,32) for one sample.
func BenchmarkMaxPool2x2(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x := randSlice(r, 28*28*32)
	y, arg := make([]float32, 14*14*32), make([]int32, 14*14*32)
	for _, off := range []bool{false, true} {
		name := "vector"
		if off {
			name = "go"
		}
		b.Run(name, func(b *testing.B) {
			poolVecOff = off
			defer func() { poolVecOff = false }()
			for b.Loop() {
				MaxPool2x2(y, arg, x, 28, 28, 32)
			}
		})
	}
}
