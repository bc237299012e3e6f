package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convCase is a convolution geometry: input (n,h,w,c), kernel (kh,kw,c,f),
// strides and paddings (top, bottom, left, right).
type convCase struct{ n, h, w, c, kh, kw, f, sh, sw, pt, pb, pl, pr int }

func (c convCase) String() string {
	return fmt.Sprintf("x%dx%dx%dx%d_k%dx%dx%d_s%dx%d_p%d%d%d%d", c.n, c.h, c.w, c.c, c.kh, c.kw, c.f, c.sh, c.sw, c.pt, c.pb, c.pl, c.pr)
}

// window is the case's geometry as NewConv2D takes it.
func (c convCase) window() Window {
	return Window{H: c.h, W: c.w, KH: c.kh, KW: c.kw, SH: c.sh, SW: c.sw, PT: c.pt, PB: c.pb, PL: c.pl, PR: c.pr}
}

var convCases = []convCase{
	{2, 9, 8, 3, 3, 3, 5, 1, 1, 0, 0, 0, 0},
	{3, 9, 8, 3, 3, 3, 5, 1, 1, 1, 1, 1, 1},
	{1, 11, 10, 2, 5, 5, 4, 2, 2, 2, 2, 1, 2},
	{3, 6, 7, 1, 2, 3, 7, 2, 1, 0, 1, 1, 1},
	{2, 28, 28, 1, 5, 5, 6, 1, 1, 2, 2, 2, 2},   // LeNet's first layer
	{9, 10, 10, 6, 5, 5, 16, 1, 1, 0, 0, 0, 0},  // LeNet's second, more samples than groups
	{2, 4, 4, 2, 3, 3, 2, 1, 1, 4, 3, 3, 4},     // padding wider than the kernel
	{3, 5, 6, 7, 1, 1, 9, 1, 1, 0, 0, 0, 0},     // 1×1: x is its own patch matrix
	{2, 40, 40, 35, 3, 3, 33, 1, 1, 1, 1, 1, 1}, // several row blocks per sample, K > kc
	{2, 3, 2, 2, 3, 3, 2, 1, 1, 1, 1, 1, 1},     // no window lies inside a row
	{2, 9, 9, 3, 3, 3, 4, 2, 2, 1, 1, 1, 1},     // stride 2, same
	{2, 9, 9, 1, 3, 3, 4, 2, 1, 1, 1, 1, 1},     // 3×3 on one channel, strides 2×1
	{2, 9, 9, 5, 1, 5, 4, 1, 2, 0, 0, 2, 2},     // 1×5 on five channels (rows of 5 values)
	// The shifted-window path (stride 1, window rows of ≥ 16 values):
	{3, 7, 9, 8, 3, 3, 6, 1, 1, 1, 1, 1, 1},    // same, 3 samples: quarter-sample forward units
	{2, 8, 19, 6, 3, 4, 20, 1, 1, 2, 0, 0, 3},  // uneven padding, 3×4 window, 19 = 14+5 columns
	{5, 6, 31, 16, 2, 2, 40, 1, 1, 1, 0, 1, 0}, // even window, 40 filters = 32+8 columns
	{1, 5, 5, 4, 5, 5, 4, 1, 1, 4, 0, 0, 4},    // padding KH-1 on one side only
	{4, 6, 5, 32, 3, 3, 1, 1, 1, 0, 0, 0, 0},   // one filter: dx's window rows are 3 values
	// Winograd in training (16·k channels both sides, even sides):
	{3, 8, 8, 16, 3, 3, 32, 1, 1, 1, 1, 1, 1},  // same, forward units of two rows
	{4, 6, 10, 32, 3, 3, 16, 1, 1, 0, 0, 0, 0}, // valid, 4×8 outputs
}

// TestConv2DPaths checks that convCases reach each implementation.
func TestConv2DPaths(t *testing.T) {
	shifted, im2col, wino := 0, 0, 0
	for _, c := range convCases {
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		if cv.winoForwardOK() && cv.winoDXOK() {
			wino++
		}
		switch {
		case cv.shifted:
			shifted++
		case !cv.direct:
			im2col++
		}
	}
	if shifted < 6 || im2col < 6 {
		t.Errorf("%d cases take the shifted path and %d im2col, want ≥ 6 of each", shifted, im2col)
	}
	if wino < 2 && defaultWino(activeTile) != nil {
		t.Errorf("%d cases take Winograd in training, want ≥ 2", wino)
	}
}

// convRef computes, in float64, the forward pass y = act(conv(x,w) + b) and
// the backward pass dx, dw, db for an upstream gradient dy, straight from
// the definition, one output at a time.
func convRef(c convCase, x, w, b, dy []float32, relu bool) (y, dx, dw, db []float64) {
	oh, ow := (c.h+c.pt+c.pb-c.kh)/c.sh+1, (c.w+c.pl+c.pr-c.kw)/c.sw+1
	y = make([]float64, c.n*oh*ow*c.f)
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	db = make([]float64, c.f)
	for n := 0; n < c.n; n++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for f := 0; f < c.f; f++ {
					s := 0.0
					if b != nil {
						s = float64(b[f])
					}
					each := func(visit func(xi, wi int)) {
						for ky := 0; ky < c.kh; ky++ {
							for kx := 0; kx < c.kw; kx++ {
								iy, ix := i*c.sh+ky-c.pt, j*c.sw+kx-c.pl
								if iy < 0 || iy >= c.h || ix < 0 || ix >= c.w {
									continue
								}
								for ch := 0; ch < c.c; ch++ {
									visit(((n*c.h+iy)*c.w+ix)*c.c+ch, ((ky*c.kw+kx)*c.c+ch)*c.f+f)
								}
							}
						}
					}
					each(func(xi, wi int) { s += float64(x[xi]) * float64(w[wi]) })
					o := ((n*oh+i)*ow+j)*c.f + f
					g := float64(dy[o])
					if relu {
						s = max(s, 0)
						if s <= 0 {
							g = 0
						}
					}
					y[o] = s
					db[f] += g
					each(func(xi, wi int) {
						dx[xi] += g * float64(w[wi])
						dw[wi] += g * float64(x[xi])
					})
				}
			}
		}
	}
	return y, dx, dw, db
}

func closeTo(got float32, want, scale float64) bool {
	return math.Abs(float64(got)-want) <= 1e-5*(1+scale)
}

// TestConv2D runs every Gemm implementation through the forward and
// backward passes, with and without bias and ReLU, against convRef. The
// gradients are accumulated onto non-zero buffers, as the plan requires.
func TestConv2D(t *testing.T) {
	defer SetWorkers(0)
	saved := active
	defer func() { active = saved }()
	defer func() { shiftedOff, gemmDXOff = false, false }()
	for _, kern := range testKernels() {
		for _, c := range convCases {
			// The shifted path computes dx of few-channel inputs as a GEMM
			// and Col2im; "convdx" holds its convolution of dy to account
			// too.
			for _, path := range []string{"shifted", "convdx", "im2col"} {
				if path == "convdx" && c.c > 8 {
					continue
				}
				shiftedOff, gemmDXOff = path == "im2col", path == "convdx"
				for _, mode := range []struct {
					bias, relu, keep bool
				}{{false, false, false}, {true, false, true}, {true, true, false}, {true, true, true}} {
					name := fmt.Sprintf("%s/%v/bias=%v/relu=%v/keep=%v/%s", kern.name, c, mode.bias, mode.relu, mode.keep, path)
					t.Run(name, func(t *testing.T) {
						SetWorkers(3)
						checkConv(t, kern, c, mode.bias, mode.relu, mode.keep)
					})
				}
			}
		}
	}
}

func checkConv(t *testing.T, kern *microKernel, c convCase, bias, relu, keep bool) {
	r := rand.New(rand.NewPCG(1, uint64(c.h*100+c.c)))
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	cv.kern = kern
	if keep {
		cv.KeepPatches()
	}
	oh, ow := cv.OutShape()
	o := newConvOperands(r, c, oh, ow, bias)
	cv.Forward(o.y, o.x, o.w, o.b, relu)
	cv.Backward(o.dx, o.dw, o.db, o.dy, o.x, o.w, o.y, relu)
	wy, wdx, wdw, wdb := convRef(c, o.x, o.w, o.b, o.dy, relu)
	scale := float64(c.kh * c.kw * c.c)
	for i := range o.y {
		if !closeTo(o.y[i], wy[i], scale) {
			t.Fatalf("y[%d] = %v, want %v", i, o.y[i], wy[i])
		}
	}
	checkAccumulated(t, "dx", o.dx, o.dx0, wdx, float64(c.kh*c.kw*c.f))
	checkAccumulated(t, "dw", o.dw, o.dw0, wdw, float64(c.n*oh*ow))
	checkAccumulated(t, "db", o.db, o.db0, wdb, float64(c.n*oh*ow))
}

// convOperands are a conv test's operands for a case: random x, w, dy,
// bias b and its gradient db (nil without a bias), random starting
// gradients dx, dw (and db) and their copies dx0, dw0, db0, which the
// passes must add to, and y all NaN, which Forward must overwrite.
type convOperands struct {
	x, w, b, dy, y []float32
	dx, dw, db     []float32
	dx0, dw0, db0  []float32
}

func newConvOperands(r *rand.Rand, c convCase, oh, ow int, bias bool) convOperands {
	var o convOperands
	o.x = randSlice(r, c.n*c.h*c.w*c.c)
	o.w = randSlice(r, c.kh*c.kw*c.c*c.f)
	if bias {
		o.b, o.db = randSlice(r, c.f), randSlice(r, c.f)
	}
	o.dy = randSlice(r, c.n*oh*ow*c.f)
	o.dx, o.dw = randSlice(r, len(o.x)), randSlice(r, len(o.w))
	o.dx0, o.dw0, o.db0 = append([]float32(nil), o.dx...), append([]float32(nil), o.dw...), append([]float32(nil), o.db...)
	o.y = make([]float32, len(o.dy))
	for i := range o.y {
		o.y[i] = float32(math.NaN())
	}
	return o
}

// checkAccumulated checks a gradient the passes added to: got = before +
// want, within closeTo's tolerance at scale.
func checkAccumulated(t *testing.T, name string, got, before []float32, want []float64, scale float64) {
	t.Helper()
	for i := range got {
		if w := float64(before[i]) + want[i]; !closeTo(got[i], w, scale) {
			t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], w)
		}
	}
}

// TestConv2DWorkersBitIdentical: 1 and 4 workers give the same bits, the
// weight gradient included (its per-group sums are added in group order).
func TestConv2DWorkersBitIdentical(t *testing.T) {
	defer SetWorkers(0)
	// Band forward; and pixel pairs with the padded input kept.
	for _, c := range []convCase{{13, 12, 11, 4, 3, 3, 8, 1, 1, 1, 1, 1, 1}, {8, 10, 12, 6, 5, 5, 6, 1, 1, 2, 2, 2, 2}} {
		checkWorkersBitIdentical(t, c)
	}
}

func checkWorkersBitIdentical(t *testing.T, c convCase) {
	run := func(workers int) [][]float32 {
		SetWorkers(workers)
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		cv.KeepPatches()
		oh, ow := cv.OutShape()
		return trainStep(cv, c, oh, ow)
	}
	checkSameBits(t, c, run(1), run(4))
}

// convLayer is what the conv tests drive of Conv2D and Conv2DBF16.
type convLayer interface {
	Forward(y, x, w, bias []float32, relu bool)
	Backward(dx, dw, db, dy, x, w, y []float32, relu bool)
}

// trainStep runs a training step of layer (forward with bias and ReLU,
// then the gradients from zero) on operands drawn from a fixed seed, and
// returns y, dx, dw and db.
func trainStep(layer convLayer, c convCase, oh, ow int) [][]float32 {
	r := rand.New(rand.NewPCG(2, 2))
	x, w, b := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f), randSlice(r, c.f)
	dy := randSlice(r, c.n*oh*ow*c.f)
	y := make([]float32, len(dy))
	dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.f)
	layer.Forward(y, x, w, b, true)
	layer.Backward(dx, dw, db, dy, x, w, y, true)
	return [][]float32{y, dx, dw, db}
}

// checkSameBits checks that the outputs of trainStep with 1 worker (one)
// and with 4 (many) have the same bits.
func checkSameBits(t *testing.T, c convCase, one, many [][]float32) {
	t.Helper()
	for i := range one {
		for j := range one[i] {
			if math.Float32bits(one[i][j]) != math.Float32bits(many[i][j]) {
				t.Fatalf("%v: output %d element %d: %v with 1 worker, %v with 4", c, i, j, one[i][j], many[i][j])
			}
		}
	}
}

func TestConv2DAllocatesNothing(t *testing.T) {
	c := convCase{8, 12, 12, 3, 3, 3, 8, 1, 1, 1, 1, 1, 1}
	cv := NewConv2D(c.n, c.c, c.f, c.window())
	oh, ow := cv.OutShape()
	step := zeroStep(cv, c, oh, ow)
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("a conv step allocates %v times", n)
	}
}

// zeroStep returns a training step of layer (forward with bias and ReLU,
// then backward) on zero operands, for the allocation tests.
func zeroStep(layer convLayer, c convCase, oh, ow int) func() {
	x, w, b := make([]float32, c.n*c.h*c.w*c.c), make([]float32, c.kh*c.kw*c.c*c.f), make([]float32, c.f)
	y, dy := make([]float32, c.n*oh*ow*c.f), make([]float32, c.n*oh*ow*c.f)
	dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, c.f)
	return func() {
		layer.Forward(y, x, w, b, true)
		layer.Backward(dx, dw, db, dy, x, w, y, true)
	}
}

func TestConv2DPanics(t *testing.T) {
	mustPanic(t, "window larger than the padded input", func() { NewConv2D(1, 1, 1, Window{H: 2, W: 2, KH: 3, KW: 3, SH: 1, SW: 1}) })
	mustPanic(t, "short y", func() {
		cv := NewConv2D(1, 1, 2, Window{H: 4, W: 4, KH: 3, KW: 3, SH: 1, SW: 1})
		cv.Forward(make([]float32, 7), make([]float32, 16), make([]float32, 18), nil, false)
	})
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("%s: no panic", what)
		} else if s, ok := r.(string); !ok || s[:7] != "kernel:" {
			t.Errorf("%s: panic %v, want a kernel: message", what, r)
		}
	}()
	f()
}

// BenchmarkConv2D times a training step's convolution passes (forward with
// bias and ReLU, then backward for dx, dw, db) on the course's layers at
// batch 100 (LeNet-5) and 128 (the bounty CNN), by each path that applies.
func BenchmarkConv2D(b *testing.B) {
	for _, bc := range []struct {
		name   string
		c      convCase
		needDX bool
	}{
		{"lenet1", convCase{100, 28, 28, 1, 5, 5, 6, 1, 1, 2, 2, 2, 2}, false},
		{"lenet2", convCase{100, 14, 14, 6, 5, 5, 16, 1, 1, 0, 0, 0, 0}, true},
		{"bounty1", convCase{128, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 1, 1}, false},
		{"bounty2", convCase{128, 28, 28, 32, 3, 3, 32, 1, 1, 1, 1, 1, 1}, true},
		{"bounty3", convCase{128, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1, 1, 1}, true},
		{"bounty4", convCase{128, 14, 14, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1}, true},
	} {
		for _, path := range []string{"shifted", "im2col"} {
			shiftedOff = path == "im2col"
			c := bc.c
			cv := NewConv2D(c.n, c.c, c.f, c.window())
			cv.KeepPatches()
			oh, ow := cv.OutShape()
			r := rand.New(rand.NewPCG(1, 1))
			x, w, bias := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f), randSlice(r, c.f)
			y, dy := make([]float32, c.n*oh*ow*c.f), randSlice(r, c.n*oh*ow*c.f)
			var dx []float32
			if bc.needDX {
				dx = make([]float32, len(x))
			}
			dw, db := make([]float32, len(w)), make([]float32, c.f)
			flops := 2 * float64(c.n*oh*ow*cv.k*c.f)
			passes := 2.0
			if bc.needDX {
				passes = 3
			}
			shiftedOff = false
			if path == "shifted" && !cv.shifted {
				continue // this geometry always takes im2col: run it once
			}
			name := bc.name + "/" + path
			b.Run(name+"/forward", func(b *testing.B) {
				for b.Loop() {
					cv.Forward(y, x, w, bias, true)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			b.Run(name+"/step", func(b *testing.B) {
				for b.Loop() {
					cv.Forward(y, x, w, bias, true)
					cv.Backward(dx, dw, db, dy, x, w, y, true)
				}
				b.ReportMetric(passes*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			// Each gradient alone, after one forward pass; dx by each way
			// the shifted path has.
			b.Run(name+"/dw", func(b *testing.B) {
				cv.Forward(y, x, w, bias, true)
				for b.Loop() {
					cv.Backward(nil, dw, nil, dy, x, w, y, true)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			if !bc.needDX {
				continue
			}
			for _, viaGemm := range []bool{true, false} {
				if !viaGemm && !(cv.shifted && cv.gemmDX()) {
					continue // the two names would time the same code
				}
				dxName := name + "/dx"
				if !viaGemm {
					dxName += "-conv"
				}
				b.Run(dxName, func(b *testing.B) {
					gemmDXOff = !viaGemm
					defer func() { gemmDXOff = false }()
					cv.Forward(y, x, w, bias, true)
					for b.Loop() {
						cv.Backward(dx, nil, nil, dy, x, w, y, true)
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
