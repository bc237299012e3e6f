package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestConv2DWinogradTraining holds training's Winograd path (Forward,
// Backward's dx set or added, and dw) to the float64 reference: each value within
// closeTo's bound, as TestConv2D asks of the direct path, and the largest
// error at most four times the direct path's plus a rounding of the
// largest value. It also checks that the path ran: its sums are not the
// direct path's bits. The 20×20 case takes two chunks of tile rows.
func TestConv2DWinogradTraining(t *testing.T) {
	if defaultWino(activeTile) == nil {
		t.Skip("no Winograd transforms with this build's tile")
	}
	defer func() { winoTrainOff = false }()
	cases := []convCase{
		convCases[len(convCases)-2], convCases[len(convCases)-1],
		{4, 20, 20, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1},
		{3, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1, 1, 1}, // the bounty CNN's third layer, 3 samples
	}
	for _, wi := range winoImpls {
		for _, c := range cases {
			for _, relu := range []bool{false, true} {
				for _, setDX := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%v/relu=%v/setdx=%v", wi.name, c, relu, setDX), func(t *testing.T) {
						checkWinoTraining(t, c, wi, relu, setDX)
					})
				}
			}
		}
	}
}

func checkWinoTraining(t *testing.T, c convCase, wi *winoImpl, relu, setDX bool) {
	r := rand.New(rand.NewPCG(3, uint64(c.h*100+c.c)))
	x, w, b := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f), randSlice(r, c.f)
	run := func(off bool) (y, dx, dw []float32) {
		winoTrainOff = off
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		cv.wino = wi
		if !off && (!cv.winoForwardOK() || !cv.winoDXOK() || !cv.winoDWOK()) {
			t.Fatalf("%v does not take Winograd in training", c)
		}
		cv.SetGrads(setDX, false, false)
		oh, ow := cv.OutShape()
		y, dx, dw = make([]float32, c.n*oh*ow*c.f), make([]float32, len(x)), make([]float32, len(w))
		for i := range dx {
			dx[i] = float32(i%7) - 3 // added to, unless set
		}
		cv.Forward(y, x, w, b, relu)
		dy := randSlice(rand.New(rand.NewPCG(4, 4)), len(y))
		for i := range dw {
			dw[i] = float32(i%5) - 2 // added to
		}
		cv.Backward(dx, dw, nil, dy, x, w, y, relu)
		return y, dx, dw
	}
	wy, wdx, wdw := run(false)
	dirY, ddx, ddw := run(true)
	oh, ow := NewConv2D(c.n, c.c, c.f, c.window()).OutShape()
	refY, refDX, refDW, _ := convRef(c, x, w, b, randSlice(rand.New(rand.NewPCG(4, 4)), c.n*oh*ow*c.f), relu)
	if !setDX {
		for i := range refDX {
			refDX[i] += float64(i%7) - 3
		}
	}
	for i := range refDW {
		refDW[i] += float64(i%5) - 2
	}
	// With relu, dy flows only where y > 0, and y's sign may differ
	// between the paths near 0: dx and dw are compared with the reference only
	// without it (TestConv2D compares it with a reference made from the
	// path's own y).
	compare := func(name string, got, direct []float32, want []float64, scale float64) {
		var errW, errD, most float64
		for i := range want {
			if !closeTo(got[i], want[i], scale) {
				t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
			errW = max(errW, math.Abs(float64(got[i])-want[i]))
			errD = max(errD, math.Abs(float64(direct[i])-want[i]))
			most = max(most, math.Abs(want[i]))
		}
		if errW > 4*errD+most*0x1p-23 {
			t.Errorf("%s: largest error %.3g, the direct path's %.3g", name, errW, errD)
		}
		if slices.Equal(got, direct) {
			t.Errorf("%s: the direct path's bits: Winograd did not run", name)
		}
	}
	compare("y", wy, dirY, refY, float64(9*c.c))
	if !relu {
		compare("dx", wdx, ddx, refDX, float64(9*c.f))
		compare("dw", wdw, ddw, refDW, float64(c.n*oh*ow))
	}
}

// TestWinoGrad: each implementation of the output gradient's transform
// gives winoGradGo's bits, signed zeros, infinities and NaN included.
func TestWinoGrad(t *testing.T) {
	const f, tiles, rs = 32, 5, 13 * 32
	r := rand.New(rand.NewPCG(6, 6))
	dy := randSlice(r, rs+2*tiles*f+7)
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for i, v := range special {
		dy[3*i+1], dy[rs+5*i] = v, v
	}
	const ds = tiles*f + 3
	want := make([]float32, 16*ds)
	winoGradGo(want, ds, dy, rs, f, tiles)
	for _, wi := range winoImpls {
		got := make([]float32, 16*ds)
		wi.grad(got, ds, dy, rs, f, tiles)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: d[%d] = %v (%#x), want %v (%#x)", wi.name, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}

// BenchmarkConv2DWinogradTraining times the bounty CNN's three 3×3
// convolutions of 16·k channels at batch 128, Forward, and Backward's dx
// and dw each alone, on the direct shifted path and on Winograd. GFLOP/s counts the
// direct convolution's multiply-adds, so the two paths compare as times.
func BenchmarkConv2DWinogradTraining(b *testing.B) {
	defer func() { winoTrainOff = false }()
	for i, c := range []convCase{
		{128, 28, 28, 32, 3, 3, 32, 1, 1, 1, 1, 1, 1},
		{128, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1, 1, 1},
		{128, 14, 14, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1},
	} {
		r := rand.New(rand.NewPCG(1, 1))
		x, w, bias := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f), randSlice(r, c.f)
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		for _, path := range []string{"direct", "winograd"} {
			winoTrainOff = path == "direct"
			cv := NewConv2D(c.n, c.c, c.f, c.window())
			cv.SetGrads(true, false, false)
			oh, ow := cv.OutShape()
			y := make([]float32, c.n*oh*ow*c.f)
			dy := randSlice(r, len(y))
			flops := 2 * float64(c.n*oh*ow*cv.k*c.f)
			for _, pass := range []string{"forward", "dx", "dw"} {
				b.Run(fmt.Sprintf("conv%d/%s/%s", i+2, pass, path), func(b *testing.B) {
					winoTrainOff = path == "direct"
					for b.Loop() {
						switch pass {
						case "forward":
							cv.Forward(y, x, w, bias, true)
						case "dx":
							cv.Backward(dx, nil, nil, dy, x, w, nil, false)
						default:
							cv.Backward(nil, dw, nil, dy, x, w, nil, false)
						}
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
