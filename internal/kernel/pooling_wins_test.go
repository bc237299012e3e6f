package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// winsSpecial are the values that decide ties and NaN rules: ±0, NaNs
// with distinct payloads (and signs), infinities, repeated numbers.
var winsSpecial = []float32{
	0, float32(math.Copysign(0, -1)), 1, 1, -2,
	math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00002), math.Float32frombits(0x7fa00003), // the last a signalling NaN
	float32(math.Inf(1)), float32(math.Inf(-1)),
}

// winsData is n values, most of them few small integers (ties) or
// winsSpecial, the rest normal.
func winsData(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch r.IntN(3) {
		case 0:
			v[i] = float32(r.IntN(3))
		case 1:
			v[i] = winsSpecial[r.IntN(len(winsSpecial))]
		default:
			v[i] = float32(r.NormFloat64())
		}
	}
	return v
}

// guarded returns a slice of n values with copies of guard before and
// after it in the same array, and a check that they were left alone.
func guarded(vals []float32, guard float32) ([]float32, func() bool) {
	const g = 40
	a := make([]float32, len(vals)+2*g)
	for i := range a {
		a[i] = guard
	}
	copy(a[g:], vals)
	return a[g : g+len(vals) : g+len(vals)], func() bool {
		for i := range g {
			if math.Float32bits(a[i]) != math.Float32bits(guard) || math.Float32bits(a[len(a)-1-i]) != math.Float32bits(guard) {
				return false
			}
		}
		return true
	}
}

// TestMaxPool2DWinsBitIdentical holds MaxPool2DWins and its backward pass,
// with the pure-Go loop, the AVX2 rows and the AVX-512 loop, against MaxPool2D and
// MaxPool2DBackward with int32 indices (the path training used before):
// the same float32 bits for y and dx (NaN payloads included), the winner
// at the same cell, dx's cells outside every window and the memory around
// every slice untouched. The data hold ties, ±0, NaNs and infinities in x,
// dy and the dx the gradient is added to. MaxPool2DWinsBackwardSet, on a
// dx of NaNs, gives the bits of MaxPool2DBackward on a dx of zeros.
func TestMaxPool2DWinsBitIdentical(t *testing.T) {
	defer func() { poolVecOff, winsRowsOnly = false, false }()
	r := rand.New(rand.NewPCG(16, 16))
	shapes := [][4]int{{1, 2, 2, 1}, {2, 28, 28, 6}, {3, 7, 5, 3}, {2, 5, 7, 16}, {2, 10, 9, 17},
		{1, 6, 6, 32}, {2, 3, 11, 33}, {1, 4, 4, 15}, {2, 26, 26, 32}, {1, 9, 9, 64}, {2, 2, 3, 1}, {1, 3, 2, 48}}
	// Every channel count of the narrow backward loop, with rows that end
	// on a whole vector (w = 16), inside one (odd w), and shorter than one.
	for c := 1; c <= 17; c++ {
		shapes = append(shapes, [4]int{2, 4, 16, c}, [4]int{1, 5, 2*(c%5) + 3, c}, [4]int{2, 2, 2, c})
	}
	for _, s := range shapes {
		n, h, w, c := s[0], s[1], s[2], s[3]
		g := win(h, w, 2, 2, 2, 2, 0, 0, 0, 0)
		oh, ow := g.Out()
		x, dy, dx0 := winsData(r, n*h*w*c), winsData(r, n*oh*ow*c), winsData(r, n*h*w*c)
		poolVecOff = true // the reference: the pure-Go loop and ScatterAdd
		wantY, arg := make([]float32, len(dy)), make([]int32, len(dy))
		MaxPool2D(wantY, arg, x, n, c, g)
		wantDx := append([]float32(nil), dx0...)
		MaxPool2DBackward(wantDx, dy, arg, n, c, g)
		wantSet := make([]float32, len(dx0)) // the plan's zeroing, then the scatter
		MaxPool2DBackward(wantSet, dy, arg, n, c, g)
		// The pure-Go loop, the AVX2 rows, the AVX-512 sample loop.
		for mode := range 3 {
			poolVecOff, winsRowsOnly = mode == 0, mode == 1
			name := fmt.Sprintf("n%d h%d w%d c%d vector mode %d", n, h, w, c, mode)
			y, yOK := guarded(make([]float32, len(dy)), 7)
			wn := make([]uint8, len(dy)+32)
			for i := range wn {
				wn[i] = 0xEE
			}
			xg, xOK := guarded(x, 5)
			MaxPool2DWins(y, wn[16:16+len(dy)], xg, n, c, g)
			for i := range y {
				cell := int(arg[i]) % (h * w * c)
				pos := int(wn[16+i])
				ch := cell % c
				iy, ix := cell/c/w, cell/c%w
				o := i % (oh * ow * c) / c
				if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) || pos != (iy-2*(o/ow))*2+ix-2*(o%ow) || ch != i%c {
					t.Fatalf("%s: output %d = %v (bits %#x) at position %d, want %v (bits %#x) at cell %d",
						name, i, y[i], math.Float32bits(y[i]), pos, wantY[i], math.Float32bits(wantY[i]), cell)
				}
			}
			for i := range 16 {
				if wn[i] != 0xEE || wn[len(wn)-1-i] != 0xEE || !yOK() || !xOK() {
					t.Fatalf("%s: the forward pass wrote outside its slices", name)
				}
			}
			dx, dxOK := guarded(dx0, 3)
			dyg, dyOK := guarded(dy, 9)
			MaxPool2DWinsBackward(dx, dyg, wn[16:16+len(dy)], n, c, g)
			for i := range dx {
				if math.Float32bits(dx[i]) != math.Float32bits(wantDx[i]) {
					t.Fatalf("%s: dx[%d] = %v (bits %#x), want %v (bits %#x); it was %v",
						name, i, dx[i], math.Float32bits(dx[i]), wantDx[i], math.Float32bits(wantDx[i]), dx0[i])
				}
			}
			if !dxOK() || !dyOK() {
				t.Fatalf("%s: the backward pass wrote outside its slices", name)
			}
			// Set: the bits of adding into zeros, whatever dx held (NaN).
			ds, dsOK := guarded(make([]float32, len(dx0)), 3)
			for i := range ds {
				ds[i] = math.Float32frombits(0x7fc0dead)
			}
			MaxPool2DWinsBackwardSet(ds, dyg, wn[16:16+len(dy)], n, c, g)
			for i := range ds {
				if math.Float32bits(ds[i]) != math.Float32bits(wantSet[i]) {
					t.Fatalf("%s: set dx[%d] = %v (bits %#x), want %v (bits %#x)",
						name, i, ds[i], math.Float32bits(ds[i]), wantSet[i], math.Float32bits(wantSet[i]))
				}
			}
			if !dsOK() {
				t.Fatalf("%s: the setting backward pass wrote outside its slice", name)
			}
		}
	}
}

// TestMaxPool2DWinsByHand: one sample of 4×5 cells and 2 channels, 2×2
// windows (the last column in none). Channel 0 has a tie (the first wins)
// and −0 against +0 (+0 is not greater: −0, first, wins); channel 1 a NaN
// in the bottom right corner, which wins. The gradient adds to the
// winners only, so a −0 in dx of a losing cell stays −0 and a −0 gradient
// added to +0 gives +0.
func TestMaxPool2DWinsByHand(t *testing.T) {
	nan, nz := float32(math.NaN()), float32(math.Copysign(0, -1))
	// x[row][col] = {channel 0, channel 1}
	x := []float32{
		3, 1 /**/, 3, 2 /**/, nz, 0 /**/, 0, 0 /**/, 9, 9,
		1, 1 /**/, 2, nan /**/, 0, 0 /**/, 0, 5 /**/, 9, 9,
		0, 0 /**/, 0, 0 /**/, -1, -1 /**/, -2, -2 /**/, 9, 9,
		0, 0 /**/, 0, 0 /**/, -3, -1 /**/, -1, -3 /**/, 9, 9,
	}
	g := win(4, 5, 2, 2, 2, 2, 0, 0, 0, 0)
	for _, off := range []bool{true, false} {
		poolVecOff = off
		y, w := make([]float32, 8), make([]uint8, 8)
		MaxPool2DWins(y, w, x, 1, 2, g)
		if got, want := fmt.Sprint(y, w), "[3 NaN -0 5 0 0 -1 -1] [0 3 0 3 0 0 0 0]"; got != want {
			t.Errorf("vector loop off %v: y, win = %s, want %s", off, got, want)
		}
		dx := make([]float32, len(x))
		for i := range dx {
			dx[i] = nz
		}
		MaxPool2DWinsBackward(dx, []float32{1, 2, 3, 4, nz, 6, 7, 8}, w, 1, 2, g)
		var signs []int
		for _, v := range dx {
			signs = append(signs, int(math.Float32bits(v)>>31))
		}
		if dx[0] != 1 || dx[13] != 2 || dx[4] != 3 || dx[17] != 4 || dx[20] != 0 || dx[21] != 6 || dx[24] != 7 || dx[25] != 8 {
			t.Errorf("vector loop off %v: dx = %v, want 1, 2, 3, 4, 0, 6, 7, 8 at the winners", off, dx)
		}
		// Every other cell keeps its −0; dx[20] = −0 + −0 = −0 too.
		if fmt.Sprint(signs) != "[0 1 1 1 0 1 1 1 1 1 1 1 1 0 1 1 1 0 1 1 1 0 1 1 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1]" {
			t.Errorf("vector loop off %v: sign bits of dx %v", off, signs)
		}
	}
	poolVecOff = false
}

// TestMaxPool2DWinsWorkersAndAllocs: 1 and 3 workers give the same bits,
// and a forward and backward pass allocate nothing once warm.
func TestMaxPool2DWinsWorkersAndAllocs(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(17, 17))
	n, c, g := 40, 6, win(28, 28, 2, 2, 2, 2, 0, 0, 0, 0)
	x, dy := winsData(r, n*28*28*c), winsData(r, n*14*14*c)
	run := func(workers int) ([]float32, []float32) {
		SetWorkers(workers)
		y, w, dx := make([]float32, len(dy)), make([]uint8, len(dy)), make([]float32, len(x))
		MaxPool2DWins(y, w, x, n, c, g)
		MaxPool2DWinsBackward(dx, dy, w, n, c, g)
		if a := testing.AllocsPerRun(10, func() {
			MaxPool2DWins(y, w, x, n, c, g)
			MaxPool2DWinsBackward(dx, dy, w, n, c, g)
		}); a != 0 {
			t.Errorf("%d workers: %v allocations per pass", workers, a)
		}
		return y, dx
	}
	y1, dx1 := run(1)
	y3, dx3 := run(3)
	for i := range y1 {
		if math.Float32bits(y1[i]) != math.Float32bits(y3[i]) {
			t.Fatalf("y[%d]: %v with 1 worker, %v with 3", i, y1[i], y3[i])
		}
	}
	for i := range dx1 {
		if math.Float32bits(dx1[i]) != math.Float32bits(dx3[i]) {
			t.Fatalf("dx[%d]: %v with 1 worker, %v with 3", i, dx1[i], dx3[i])
		}
	}
}

func TestMaxPool2DWinsPanics(t *testing.T) {
	g := win(4, 4, 2, 2, 2, 2, 0, 0, 0, 0)
	mustPanic(t, "padded geometry", func() {
		MaxPool2DWins(make([]float32, 9), make([]uint8, 9), make([]float32, 25), 1, 1, win(5, 5, 2, 2, 2, 2, 0, 1, 0, 1))
	})
	mustPanic(t, "3x3 windows", func() {
		MaxPool2DWins(make([]float32, 1), make([]uint8, 1), make([]float32, 16), 1, 1, win(4, 4, 3, 3, 2, 2, 0, 0, 0, 0))
	})
	mustPanic(t, "short win", func() { MaxPool2DWins(make([]float32, 4), make([]uint8, 3), make([]float32, 16), 1, 1, g) })
	mustPanic(t, "short dx", func() {
		MaxPool2DWinsBackward(make([]float32, 15), make([]float32, 4), make([]uint8, 4), 1, 1, g)
	})
	if !MaxPool2x2Wins(win(6, 6, 2, 2, 2, 2, 0, 1, 0, 1)) || MaxPool2x2Wins(win(5, 6, 2, 2, 2, 2, 0, 1, 0, 1)) {
		t.Error("MaxPool2x2Wins: an even side padded by one is covered by windows without padding; an odd one is not")
	}
}

// BenchmarkMaxPoolBackward times the passes of LeNet-5's poolings
// (28×28×6, 10×10×16) and keras-convnet's (26×26×32, 11×11×64), batch 128
// as they train: the int32 indices (ScatterAdd backward) against the bytes
// (adding with the assembly loops and without, and setting). The variants take turns
// within each iteration and each reports its fastest pass (ns/pass), so
// that other programs' load, which comes and goes, spares the comparison.
func BenchmarkMaxPoolBackward(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range [][4]int{{128, 28, 28, 6}, {128, 10, 10, 16}, {128, 26, 26, 32}, {128, 11, 11, 64}} {
		n, h, w, c := s[0], s[1], s[2], s[3]
		g := win(h, w, 2, 2, 2, 2, 0, 0, 0, 0)
		x, dy, dx := randSlice(r, n*h*w*c), randSlice(r, n*(h/2)*(w/2)*c), make([]float32, n*h*w*c)
		y, arg, wn := make([]float32, len(dy)), make([]int32, len(dy)), make([]uint8, len(dy))
		passes := []struct {
			name string
			f    func()
		}{
			{"back-scatter", func() { MaxPool2DBackward(dx, dy, arg, n, c, g) }},
			{"back-wins", func() { MaxPool2DWinsBackward(dx, dy, wn, n, c, g) }},
			{"back-wins-go", func() {
				poolVecOff = true
				MaxPool2DWinsBackward(dx, dy, wn, n, c, g)
				poolVecOff = false
			}},
			{"back-set", func() { MaxPool2DWinsBackwardSet(dx, dy, wn, n, c, g) }},
			{"fwd-arg", func() { MaxPool2D(y, arg, x, n, c, g) }},
			{"fwd-wins", func() { MaxPool2DWins(y, wn, x, n, c, g) }},
		}
		b.Run(fmt.Sprintf("%dx%dx%d", h, w, c), func(b *testing.B) {
			best := make([]time.Duration, len(passes))
			for i := range best {
				best[i] = time.Hour
			}
			for b.Loop() {
				for i, p := range passes {
					t0 := time.Now()
					p.f()
					best[i] = min(best[i], time.Since(t0))
				}
			}
			for i, p := range passes {
				b.ReportMetric(float64(best[i].Nanoseconds()), "ns/"+p.name)
			}
		})
	}
}

// BenchmarkMaxPoolWinsSpill times MaxPool2DWins on one sample of LeNet-5's
// first pooling (28×28×6) with each row's last window by the pure-Go loop
// ("old") and by the vector loop ("new"), alternated in one process.
func BenchmarkMaxPoolWinsSpill(b *testing.B) {
	defer func() { winsSpillOff, winsRowsOnly = false, false }()
	winsRowsOnly = true // the spill is the AVX2 rows'
	r := rand.New(rand.NewPCG(1, 1))
	x := winsData(r, 28*28*6)
	y, wn := make([]float32, 14*14*6), make([]uint8, 14*14*6)
	for round := range 4 {
		for _, old := range []bool{true, false} {
			name := map[bool]string{true: "old", false: "new"}[old]
			b.Run(fmt.Sprintf("%s/%d", name, round), func(b *testing.B) {
				winsSpillOff = old
				for b.Loop() {
					maxPoolWinsSample(y, wn, x, 28, 28, 6)
				}
			})
		}
	}
}
