package autograd

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// distinct is a differentiable input whose values are a shuffled ladder
// 0.1 apart, so that no max-pooling window holds two values close enough for
// a finite difference to change its winner.
func distinct(p *Plan, rng *rand.Rand, shape ...int) *Var {
	v := leaf(p, rng, false, shape...)
	d := v.Value.Data()
	for i, j := range rng.Perm(len(d)) {
		d[i] = 0.1 * float32(j-len(d)/2)
	}
	return v
}

// conv is a gradient-check case of Conv2D: input shape, kernel shape,
// strides and paddings (top, bottom, left, right).
func conv(xs, ws []int, sh, sw, pt, pb, pl, pr int) func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
	return func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, w := leaf(p, rng, false, xs...), param(p, rng, "w", ws...)
		return p.probe(p.Conv2D(x, w, sh, sw, pt, pb, pl, pr), rng), append([]*Var{x}, params(w)...)
	}
}

func pool(isMax bool, xs []int, kh, kw, sh, sw, pt, pb, pl, pr int) func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
	return func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := distinct(p, rng, xs...)
		if isMax {
			return p.probe(p.MaxPool2D(x, kh, kw, sh, sw, pt, pb, pl, pr), rng), []*Var{x}
		}
		return p.probe(p.AvgPool2D(x, kh, kw, sh, sw, pt, pb, pl, pr), rng), []*Var{x}
	}
}

// convGradCases cover stride 1 and 2, valid and same (including the
// asymmetric split with the extra pixel at the bottom/right), odd sizes,
// several channels and filters.
var convGradCases = []gradCase{
	{"Conv2D/valid", conv([]int{2, 5, 6, 3}, []int{3, 2, 3, 4}, 1, 1, 0, 0, 0, 0)},
	{"Conv2D/same", conv([]int{2, 5, 5, 2}, []int{3, 3, 2, 3}, 1, 1, 1, 1, 1, 1)},
	{"Conv2D/same-even-kernel", conv([]int{1, 5, 4, 2}, []int{2, 4, 2, 3}, 1, 1, 0, 1, 1, 2)},
	{"Conv2D/stride2-same", conv([]int{2, 7, 6, 2}, []int{3, 3, 2, 2}, 2, 2, 1, 1, 0, 1)},
	{"Conv2D/stride2-valid", conv([]int{2, 7, 7, 3}, []int{2, 2, 3, 2}, 2, 2, 0, 0, 0, 0)},
	{"Conv2D/stride1x2", conv([]int{1, 5, 7, 2}, []int{3, 1, 2, 3}, 1, 2, 0, 0, 0, 0)},
	{"Conv2D/1x1", conv([]int{2, 3, 3, 4}, []int{1, 1, 4, 2}, 1, 1, 0, 0, 0, 0)},
	// 16·k channels, even sides, 4 samples (whole-sample forward units):
	// training's Winograd path, forward, dx and dw.
	{"Conv2D/same-winograd", conv([]int{4, 4, 6, 16}, []int{3, 3, 16, 16}, 1, 1, 1, 1, 1, 1)},
	{"Conv2D/valid-winograd", conv([]int{4, 6, 4, 16}, []int{3, 3, 16, 32}, 1, 1, 0, 0, 0, 0)},
	{"Conv2DBiasReLU/same", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, w, b := leaf(p, rng, false, 2, 5, 5, 2), param(p, rng, "w", 3, 3, 2, 3), param(p, rng, "b", 3)
		return p.probe(p.Conv2DBiasReLU(x, w, b, true, 1, 1, 1, 1, 1, 1), rng), append([]*Var{x}, params(w, b)...)
	}},
	{"Conv2DBias/stride2", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x, w, b := leaf(p, rng, false, 2, 7, 6, 2), param(p, rng, "w", 3, 3, 2, 2), param(p, rng, "b", 2)
		return p.probe(p.Conv2DBiasReLU(x, w, b, false, 2, 2, 1, 1, 0, 1), rng), append([]*Var{x}, params(w, b)...)
	}},
	{"MaxPool2D/valid", pool(true, []int{2, 5, 5, 3}, 2, 2, 2, 2, 0, 0, 0, 0)},
	{"MaxPool2D/same-stride2", pool(true, []int{1, 5, 6, 2}, 3, 3, 2, 2, 1, 1, 0, 1)},
	{"MaxPool2D/same-stride1", pool(true, []int{2, 4, 5, 2}, 2, 3, 1, 1, 0, 1, 1, 1)},
	{"AvgPool2D/valid", pool(false, []int{2, 5, 5, 3}, 2, 2, 2, 2, 0, 0, 0, 0)},
	{"AvgPool2D/same-stride2", pool(false, []int{2, 5, 5, 3}, 2, 2, 2, 2, 0, 1, 0, 1)},
	{"AvgPool2D/same-stride1", pool(false, []int{1, 4, 5, 2}, 3, 3, 1, 1, 1, 1, 1, 1)},
	{"GlobalAvgPool2D", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := leaf(p, rng, false, 2, 3, 4, 3)
		return p.probe(p.GlobalAvgPool2D(x), rng), []*Var{x}
	}},
	{"LeNet-like", func(p *Plan, rng *rand.Rand) (LossOp, []*Var) {
		x := distinct(p, rng, 2, 7, 7, 1)
		w1, b1 := param(p, rng, "w1", 3, 3, 1, 2), param(p, rng, "b1", 2)
		w2 := param(p, rng, "w2", 2*3*3, 3)
		h := p.ReLU(p.BiasAdd(p.Conv2D(x, w1, 1, 1, 1, 1, 1, 1), b1))
		h = p.MaxPool2D(h, 2, 2, 2, 2, 0, 0, 0, 0)
		y := p.Softmax(p.MatMul(p.Flatten(h), w2))
		return p.CategoricalCrossentropy(y, oneHot(rng, 2, 3), false, 0), append([]*Var{x}, params(w1, b1, w2)...)
	}},
}

// TestConvGradients holds the backward passes of convolution and pooling to
// central finite differences of their forward passes, summed in float64.
func TestConvGradients(t *testing.T) {
	for _, c := range convGradCases {
		// Single ops are linear (conv, average) or piecewise linear (max) in
		// each input, so the difference is exact but for float32 rounding.
		// The composed network has curvature and ReLU kinks that tie in the
		// max-pool windows, hence the looser bound of TestGradients.
		abs, rel := 1e-3, 2e-3
		switch {
		case c.name == "LeNet-like":
			abs, rel = 2e-3, 2e-2
		case strings.HasSuffix(c.name, "-winograd"):
			// Winograd's forward rounds a few times more than the direct
			// sums (kernel.TestConv2DWinogradTraining holds both
			// gradients to float64 at the direct path's bound), and the
			// finite differences of a 144-term sum divide that rounding
			// by the step: 1 of 3840 differences was 1.5e-3 off.
			abs, rel = 2e-3, 2e-2
		}
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(3)
			p := NewPlan(1)
			loss, inputs := c.build(p, rng)
			checkGradients(t, forwardLoss(p, loss, true), p.Backward, inputs, abs, rel)
		})
	}
}

// naiveConv is the definition of Conv2D in float64, one output at a time.
func naiveConv(x, w []float32, n, h, wd, c, kh, kw, f, sh, sw, pt, pb, pl, pr int) (out []float64, oh, ow int) {
	oh, ow = (h+pt+pb-kh)/sh+1, (wd+pl+pr-kw)/sw+1
	out = make([]float64, n*oh*ow*f)
	for b := 0; b < n; b++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for o := 0; o < f; o++ {
					var s float64
					for ky := 0; ky < kh; ky++ {
						for kx := 0; kx < kw; kx++ {
							iy, ix := i*sh+ky-pt, j*sw+kx-pl
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							for ci := 0; ci < c; ci++ {
								s += float64(x[((b*h+iy)*wd+ix)*c+ci]) * float64(w[((ky*kw+kx)*c+ci)*f+o])
							}
						}
					}
					out[((b*oh+i)*ow+j)*f+o] = s
				}
			}
		}
	}
	return out, oh, ow
}

func TestConv2DMatchesDirectConvolution(t *testing.T) {
	for _, c := range []struct{ n, h, w, c, kh, kw, f, sh, sw, pt, pb, pl, pr int }{
		{2, 9, 8, 3, 3, 3, 5, 1, 1, 0, 0, 0, 0},
		{2, 9, 8, 3, 3, 3, 5, 1, 1, 1, 1, 1, 1},
		{1, 11, 10, 2, 5, 5, 4, 2, 2, 2, 2, 1, 2},
		{3, 6, 7, 1, 2, 3, 7, 2, 1, 0, 1, 1, 1},
		{1, 28, 28, 1, 5, 5, 6, 1, 1, 2, 2, 2, 2}, // LeNet's first layer
		{2, 4, 4, 2, 3, 3, 2, 1, 1, 4, 3, 3, 4},   // padding wider than the kernel
	} {
		rng := tensor.NewRNG(7)
		p := NewInferencePlan(c.n)
		x := p.Input(c.h, c.w, c.c)
		x.Value.FillNormal(rng, 0, 1)
		w := NewParam("w", false, c.kh, c.kw, c.c, c.f)
		w.Value.FillNormal(rng, 0, 1)
		y := p.Conv2D(x, w, c.sh, c.sw, c.pt, c.pb, c.pl, c.pr)
		p.Forward(false)
		want, oh, ow := naiveConv(x.Value.Data(), w.Value.Data(), c.n, c.h, c.w, c.c, c.kh, c.kw, c.f, c.sh, c.sw, c.pt, c.pb, c.pl, c.pr)
		if got := y.Shape(); !tensor.SameShape(got, []int{c.n, oh, ow, c.f}) {
			t.Fatalf("%+v: shape %v, want (%d,%d,%d,%d)", c, got, c.n, oh, ow, c.f)
		}
		for i, v := range y.Value.Data() {
			if math.Abs(float64(v)-want[i]) > 1e-4*(1+math.Abs(want[i])) {
				t.Fatalf("%+v: y[%d] = %v, want %v", c, i, v, want[i])
			}
		}
	}
}

// TestPoolingByHand checks pooling against numbers worked out on paper.
func TestPoolingByHand(t *testing.T) {
	// x is one 3×3 single-channel image:
	//	1 2 3
	//	4 9 6
	//	7 8 5
	x := constant([]int{1, 3, 3, 1}, []float32{1, 2, 3, 4, 9, 6, 7, 8, 5})
	for _, c := range []struct {
		name string
		max  bool
		k, s int
		pads [4]int
		want []float32
	}{
		// 2×2 windows, stride 1, valid: [1 2;4 9] [2 3;9 6] [4 9;7 8] [9 6;8 5].
		{"max/valid", true, 2, 1, [4]int{}, []float32{9, 9, 9, 9}},
		{"avg/valid", false, 2, 1, [4]int{}, []float32{4, 5, 7, 7}},
		// Stride 2, same: out 2×2, one pad row at the bottom and one column
		// at the right: windows [1 2;4 9] [3;6] [7 8] [5].
		{"max/same", true, 2, 2, [4]int{0, 1, 0, 1}, []float32{9, 6, 8, 5}},
		{"avg/same", false, 2, 2, [4]int{0, 1, 0, 1}, []float32{4, 4.5, 7.5, 5}},
		// 3×3 stride 1 same: every window is centred, padded all round; the
		// corner mean is over 4 real cells, an edge over 6, the centre 9.
		{"avg/same3", false, 3, 1, [4]int{1, 1, 1, 1}, []float32{4, 25. / 6, 5, 31. / 6, 5, 33. / 6, 7, 39. / 6, 7}},
		{"max/same3", true, 3, 1, [4]int{1, 1, 1, 1}, []float32{9, 9, 9, 9, 9, 9, 9, 9, 9}},
	} {
		p := NewInferencePlan(1)
		var y *Var
		if c.max {
			y = p.MaxPool2D(x, c.k, c.k, c.s, c.s, c.pads[0], c.pads[1], c.pads[2], c.pads[3])
		} else {
			y = p.AvgPool2D(x, c.k, c.k, c.s, c.s, c.pads[0], c.pads[1], c.pads[2], c.pads[3])
		}
		p.Forward(false)
		for i, v := range y.Value.Data() {
			if math.Abs(float64(v-c.want[i])) > 1e-6 {
				t.Errorf("%s: got %v, want %v", c.name, y.Value.Data(), c.want)
				break
			}
		}
	}

	// Padding never wins a max, even when every real cell is negative.
	p := NewPlan(1)
	neg := leaf(p, tensor.NewRNG(1), false, 1, 3, 3, 1)
	copy(neg.Value.Data(), []float32{-1, -2, -3, -4, -9, -6, -7, -8, -5})
	y := p.MaxPool2D(neg, 2, 2, 2, 2, 0, 1, 0, 1)
	p.Forward(true)
	if got, want := y.Value.Data(), []float32{-1, -3, -7, -5}; !equal(got, want) {
		t.Errorf("max of negatives with padding = %v, want %v", got, want)
	}

	// Ties: the gradient goes to the first maximum in row-major order only.
	p = NewPlan(1)
	tie := leaf(p, tensor.NewRNG(1), false, 1, 2, 2, 2)
	copy(tie.Value.Data(), []float32{1, 5, 3, 5, 3, 2, 3, 5}) // channel 0: 1 3 3 3; channel 1: all 5 but one
	y = p.MaxPool2D(tie, 2, 2, 2, 2, 0, 0, 0, 0)
	loss := p.MeanSquaredError(y, constant([]int{1, 1, 1, 2}, []float32{0, 0}))
	p.Forward(true)
	p.Backward()
	_ = loss
	// dL/dy = 2y/2 = y = (3, 5).
	if got, want := tie.Grad.Data(), []float32{0, 5, 3, 0, 0, 0, 0, 0}; !equal(got, want) {
		t.Errorf("max-pool gradient with ties = %v, want %v", got, want)
	}

	// GlobalAvgPool2D: channel means.
	p = NewInferencePlan(1)
	g := p.GlobalAvgPool2D(constant([]int{1, 2, 2, 2}, []float32{1, 10, 2, 20, 3, 30, 4, 40}))
	p.Forward(false)
	if got, want := g.Value.Data(), []float32{2.5, 25}; !equal(got, want) {
		t.Errorf("GlobalAvgPool2D = %v, want %v", got, want)
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// convNet builds a small fused conv+bias+relu → max-pool → avg-pool → dense chain
// with a loss, at a batch large enough for the pool to split.
func convNet(batch int) (p *Plan, x *Var, ws []*Param) {
	rng := tensor.NewRNG(5)
	p = NewPlan(batch)
	x = leaf(p, rng, false, batch, 12, 12, 3)
	w1 := param(p, rng, "w1", 3, 3, 3, 8)
	b1 := param(p, rng, "b1", 8)
	w2 := param(p, rng, "w2", 3*3*8, 4)
	h := p.Conv2DBiasReLU(x, w1, b1, true, 1, 1, 1, 1, 1, 1)
	h = p.MaxPool2D(h, 2, 2, 2, 2, 0, 0, 0, 0)
	h = p.AvgPool2D(h, 3, 3, 2, 2, 1, 1, 1, 1)
	y := p.Softmax(p.MatMul(p.Flatten(h), w2))
	p.CategoricalCrossentropy(y, oneHot(rng, batch, 4), false, 0)
	return p, x, []*Param{w1, b1, w2}
}

// TestConvDeterministicAcrossWorkers: the same step on 1 worker and on
// several gives bit-identical outputs and gradients.
func TestConvDeterministicAcrossWorkers(t *testing.T) {
	defer kernel.SetWorkers(0)
	run := func(workers int) [][]float32 {
		kernel.SetWorkers(workers)
		p, x, ws := convNet(24)
		p.Forward(true)
		p.Backward()
		out := [][]float32{x.Grad.Clone().Data()}
		for _, w := range ws {
			out = append(out, w.Grad.Clone().Data())
		}
		return out
	}
	one, many := run(1), run(4)
	for i := range one {
		if !equal(one[i], many[i]) {
			t.Errorf("gradient %d differs between 1 and 4 workers", i)
		}
	}
}

func TestConvStepAllocatesNothing(t *testing.T) {
	p, _, _ := convNet(8)
	p.Forward(true)
	p.Backward()
	if n := testing.AllocsPerRun(10, func() { p.Forward(true); p.Backward() }); n != 0 {
		t.Errorf("a conv training step allocates %v times", n)
	}
}

// BenchmarkLeNet5ConvStep times the convolution and pooling part of LeNet-5
// (conv 5×5×6 same, max-pool, conv 5×5×16 valid, max-pool) forward and
// backward at batch 100, with bias and ReLU as separate ops and fused into
// the convolution (as layers.Conv2D builds it).
func BenchmarkLeNet5ConvStep(b *testing.B) {
	for _, fused := range []bool{false, true} {
		name := "separate"
		if fused {
			name = "fused"
		}
		b.Run(name, func(b *testing.B) {
			rng := tensor.NewRNG(1)
			p := NewPlan(100)
			x := p.Input(28, 28, 1)
			x.Value.FillUniform(rng, 0, 1)
			w1, b1 := param(p, rng, "w1", 5, 5, 1, 6), param(p, rng, "b1", 6)
			w2, b2 := param(p, rng, "w2", 5, 5, 6, 16), param(p, rng, "b2", 16)
			convReLU := func(x *Var, w, bias *Param, pad int) *Var {
				if fused {
					return p.Conv2DBiasReLU(x, w, bias, true, 1, 1, pad, pad, pad, pad)
				}
				return p.ReLU(p.BiasAdd(p.Conv2D(x, w, 1, 1, pad, pad, pad, pad), bias))
			}
			h := convReLU(x, w1, b1, 2)
			h = p.MaxPool2D(h, 2, 2, 2, 2, 0, 0, 0, 0)
			h = convReLU(h, w2, b2, 0)
			h = p.MaxPool2D(h, 2, 2, 2, 2, 0, 0, 0, 0)
			p.probe(h, rng)
			b.ReportAllocs()
			for b.Loop() {
				p.Forward(true)
				p.Backward()
			}
		})
	}
}
