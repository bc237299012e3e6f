package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bf16ConvCases are geometries Conv2DBF16 takes: stride 1, paddings
// below the window, an even number of filters.
var bf16ConvCases = []convCase{
	{3, 7, 9, 8, 3, 3, 6, 1, 1, 1, 1, 1, 1},     // same, 3 samples
	{2, 8, 19, 6, 3, 4, 20, 1, 1, 2, 0, 0, 3},   // uneven padding, 3×4 window, 19 = 14+5 columns
	{5, 6, 31, 16, 2, 2, 40, 1, 1, 1, 0, 1, 0},  // even window, 40 filters = 32+8 columns
	{1, 5, 5, 4, 5, 5, 4, 1, 1, 4, 0, 0, 4},     // padding KH-1 on one side only
	{2, 5, 5, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1},     // 33 pixels on xp's grid: an odd last pair
	{2, 9, 8, 7, 3, 3, 4, 1, 1, 0, 0, 0, 0},     // seven channels: a zero channel per pixel
	{2, 14, 14, 6, 5, 5, 16, 1, 1, 0, 0, 0, 0},  // LeNet's second
	{2, 13, 13, 32, 3, 3, 64, 1, 1, 0, 0, 0, 0}, // keras-convnet's second
	{2, 14, 14, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1}, // best's third
	{9, 6, 6, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1},     // more samples than groups
}

// roundedCopy returns s rounded to bfloat16, as float32.
func roundedCopy(s []float32) []float32 {
	r := make([]float32, len(s))
	for i, v := range s {
		r[i] = RoundBF16(v)
	}
	return r
}

// TestConv2DBF16 runs each bfloat16 implementation through both passes,
// with and without bias and ReLU, against convRef in float64: on
// bfloat16-rounded x, w and dy within float32 accumulation error (so
// every pair is where it belongs), and the output also on the operands
// as given within bfloat16's worst case 2^-7·Σ|x·w|. The gradients are
// accumulated onto non-zero buffers, as a plan requires.
func TestConv2DBF16(t *testing.T) {
	defer SetWorkers(0)
	for _, kern := range testBF16Kernels() {
		for _, c := range bf16ConvCases {
			for _, mode := range [][2]bool{{false, false}, {true, false}, {true, true}} {
				name := fmt.Sprintf("%s/%v/bias=%v/relu=%v", kern.name, c, mode[0], mode[1])
				t.Run(name, func(t *testing.T) {
					SetWorkers(3)
					checkConvBF16(t, kern, c, mode[0], mode[1])
				})
			}
		}
	}
}

func checkConvBF16(t *testing.T, kern *bf16Kernel, c convCase, bias, relu bool) {
	r := rand.New(rand.NewPCG(3, uint64(c.h*100+c.c)))
	b := NewConv2DBF16(NewConv2D(c.n, c.c, c.f, c.window()))
	if b == nil {
		t.Fatal("NewConv2DBF16 = nil")
	}
	b.kern = kern
	oh, ow := b.cv.OutShape()
	o := newConvOperands(r, c, oh, ow, bias)
	b.Forward(o.y, o.x, o.w, o.b, relu)
	b.Backward(o.dx, o.dw, o.db, o.dy, o.x, o.w, o.y, relu)
	rx, rw := roundedCopy(o.x), roundedCopy(o.w)
	wy, wdx, wdw, _ := convRef(c, rx, rw, o.b, roundedCopy(o.dy), relu)
	_, _, _, wdb := convRef(c, rx, rw, o.b, o.dy, relu) // db sums dy itself, masked as y is
	ey, _, _, _ := convRef(c, o.x, o.w, o.b, o.dy, relu)
	k := float64(c.kh * c.kw * c.c)
	for i, y := range o.y {
		if !closeTo(y, wy[i], k) {
			t.Fatalf("y[%d] = %v, want %v on rounded operands", i, y, wy[i])
		}
		if d := math.Abs(float64(y) - ey[i]); !(d <= 0x1p-7*k+1e-5*(1+k)) {
			t.Fatalf("y[%d] = %v, %v on exact operands: off by %g > 2^-7·%g", i, y, ey[i], d, k)
		}
	}
	checkAccumulated(t, "dx", o.dx, o.dx0, wdx, float64(c.kh*c.kw*c.f))
	checkAccumulated(t, "dw", o.dw, o.dw0, wdw, float64(c.n*oh*ow))
	checkAccumulated(t, "db", o.db, o.db0, wdb, float64(c.n*oh*ow))
}

// TestConv2DBF16Geometries: the geometries without a bfloat16 form are
// refused, so that the caller keeps the float32 convolution.
func TestConv2DBF16Geometries(t *testing.T) {
	for _, c := range []convCase{
		{2, 9, 9, 3, 3, 3, 4, 2, 2, 1, 1, 1, 1},    // stride 2
		{3, 5, 6, 8, 1, 1, 8, 1, 1, 0, 0, 0, 0},    // 1×1
		{2, 4, 4, 2, 3, 3, 2, 1, 1, 4, 3, 3, 4},    // padding wider than the window
		{2, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 1, 1}, // one channel: window rows of 3 values
		{2, 9, 8, 5, 3, 3, 4, 1, 1, 0, 0, 0, 0},    // rows of 15 values
		{2, 9, 8, 4, 3, 3, 5, 1, 1, 0, 0, 0, 0},    // five filters
	} {
		if NewConv2DBF16(NewConv2D(c.n, c.c, c.f, c.window())) != nil {
			t.Errorf("%v: NewConv2DBF16 took a geometry it has no form for", c)
		}
	}
}

func TestConv2DBF16WorkersBitIdentical(t *testing.T) {
	defer SetWorkers(0)
	c := convCase{13, 12, 11, 6, 3, 3, 8, 1, 1, 1, 1, 1, 1}
	run := func(workers int) [][]float32 {
		SetWorkers(workers)
		b := NewConv2DBF16(NewConv2D(c.n, c.c, c.f, c.window()))
		oh, ow := b.cv.OutShape()
		return trainStep(b, c, oh, ow)
	}
	checkSameBits(t, c, run(1), run(4))
}

func TestConv2DBF16AllocatesNothing(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(2)
	for _, c := range []convCase{{8, 12, 12, 6, 3, 3, 8, 1, 1, 1, 1, 1, 1}, {8, 12, 12, 7, 3, 3, 8, 1, 1, 0, 0, 0, 0}} {
		b := NewConv2DBF16(NewConv2D(c.n, c.c, c.f, c.window()))
		oh, ow := b.cv.OutShape()
		step := zeroStep(b, c, oh, ow)
		for range 3 { // every worker's scratch made
			step()
		}
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("%v: a bfloat16 conv step allocates %v times", c, n)
		}
	}
}

// BenchmarkConv2DBF16 times a training step (forward with bias and ReLU,
// then dx, dw, db) of the convolutions of keras-convnet and best, batch
// 128, float32 (Conv2D) against bfloat16 (Conv2DBF16).
func BenchmarkConv2DBF16(b *testing.B) {
	for _, s := range []struct {
		name string
		c    convCase
		dx   bool
	}{
		{"convnet2", convCase{128, 13, 13, 32, 3, 3, 64, 1, 1, 0, 0, 0, 0}, true},
		{"best2", convCase{128, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1, 1, 1}, true},
		{"best3", convCase{128, 14, 14, 64, 3, 3, 64, 1, 1, 1, 1, 1, 1}, true},
	} {
		c := s.c
		r := rand.New(rand.NewPCG(4, 4))
		cv := NewConv2D(c.n, c.c, c.f, c.window())
		oh, ow := cv.OutShape()
		x, w, bs := randSlice(r, c.n*c.h*c.w*c.c), randSlice(r, c.kh*c.kw*c.c*c.f), randSlice(r, c.f)
		dy := randSlice(r, c.n*oh*ow*c.f)
		y := make([]float32, len(dy))
		var dx []float32
		if s.dx {
			dx = make([]float32, len(x))
		}
		dw, db := make([]float32, len(w)), make([]float32, c.f)
		b.Run(s.name+"/f32", func(b *testing.B) {
			cv.KeepPatches()
			for b.Loop() {
				cv.Forward(y, x, w, bs, true)
				cv.Backward(dx, dw, db, dy, x, w, y, true)
			}
		})
		bc := NewConv2DBF16(NewConv2D(c.n, c.c, c.f, c.window()))
		b.Run(s.name+"/bf16", func(b *testing.B) {
			for b.Loop() {
				bc.Forward(y, x, w, bs, true)
				bc.Backward(dx, dw, db, dy, x, w, y, true)
			}
		})
	}
}
