package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// Tests of the ops ONNX import needs: Transpose, Pad2D, GlobalMaxPool2D,
// DepthwiseConv2D, Conv2DTranspose, Clip, HardSigmoid, Erf and
// ConstantArithmetic. Each has its gradient checked against finite
// differences, and its forward pass against float64 code written from the
// op's formula.

// randomTensor is a tensor of N(0,1) values, kept out of (-0.1, 0.1) when
// awayFromZero (no finite difference straddles a kink).
func randomTensor(rng *rand.Rand, awayFromZero bool, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	fillTest(t, rng, awayFromZero)
	return t
}

// weight is a trainable parameter of N(0,1) values.
func weight(rng *rand.Rand, name string, shape ...int) *Param {
	w := NewParam(name, true, shape...)
	fillTest(w.Value, rng, false)
	return w
}

// spread fills t with values 0.07 apart in a shuffled order, so that no
// finite difference changes which cell of a window is the largest.
func spread(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i, j := range rng.Perm(t.Len()) {
		t.Data()[i] = 0.07 * float32(j-t.Len()/2)
	}
	return t
}

func TestONNXOpGradients(t *testing.T) {
	rng := tensor.NewRNG(3)
	geo := Conv2DGeometry{StrideH: 2, StrideW: 1, DilationH: 1, DilationW: 2, PadTop: 1, PadBottom: 0, PadLeft: 2, PadRight: 1}
	dw, db := weight(rng, "dw", 3, 2, 3, 2), weight(rng, "db", 6)
	tw, tb := weight(rng, "tw", 3, 2, 4, 3), weight(rng, "tb", 4)
	cAdd := NewParam("c", true, 3, 1)
	fillTest(cAdd.Value, rng, false)
	cDiv := NewParam("cd", true, 2, 1, 3)
	fillTest(cDiv.Value, rng, true)
	cases := []struct {
		name  string
		build func(p *Plan, in []*Var) *Var
		input *tensor.Tensor
	}{
		{"Transpose", func(p *Plan, in []*Var) *Var { return p.Transpose(in[0], 0, 3, 1, 2) }, randomTensor(rng, false, 2, 3, 2, 4)},
		{"Transpose/rank3", func(p *Plan, in []*Var) *Var { return p.Transpose(in[0], 0, 2, 1) }, randomTensor(rng, false, 2, 3, 5)},
		{"Pad2D/pad", func(p *Plan, in []*Var) *Var { return p.Pad2D(in[0], 1, 2, 0, 3) }, randomTensor(rng, false, 2, 3, 2, 2)},
		{"Pad2D/crop", func(p *Plan, in []*Var) *Var { return p.Pad2D(in[0], -1, 1, 2, -2) }, randomTensor(rng, false, 2, 4, 5, 2)},
		{"GlobalMaxPool2D", func(p *Plan, in []*Var) *Var { return p.GlobalMaxPool2D(in[0]) }, spread(rng, 2, 3, 2, 3)},
		{"DepthwiseConv2D", func(p *Plan, in []*Var) *Var { return p.DepthwiseConv2D(in[0], dw, db, geo) }, randomTensor(rng, false, 2, 5, 4, 3)},
		{"DepthwiseConv2D/no-bias", func(p *Plan, in []*Var) *Var {
			return p.DepthwiseConv2D(in[0], dw, nil, Conv2DGeometry{StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1})
		}, randomTensor(rng, false, 1, 4, 3, 3)},
		{"Conv2DTranspose", func(p *Plan, in []*Var) *Var { return p.Conv2DTranspose(in[0], tw, tb, geo) }, randomTensor(rng, false, 2, 3, 3, 3)},
		{"Conv2DTranspose/output-padding", func(p *Plan, in []*Var) *Var {
			return p.Conv2DTranspose(in[0], tw, nil, Conv2DGeometry{StrideH: 2, StrideW: 3, DilationH: 1, DilationW: 1, PadBottom: -1, PadRight: -2})
		}, randomTensor(rng, false, 1, 2, 3, 3)},
		{"Clip", func(p *Plan, in []*Var) *Var { return p.Clip(in[0], -0.53, 0.725) }, spread(rng, 3, 7)},
		{"HardSigmoid", func(p *Plan, in []*Var) *Var { return p.HardSigmoid(in[0], 1.0/6, 0.5) }, randomTensor(rng, false, 3, 4)},
		{"Erf", func(p *Plan, in []*Var) *Var { return p.Erf(in[0]) }, randomTensor(rng, false, 3, 4)},
		{"ConstantArithmetic/add", func(p *Plan, in []*Var) *Var { return p.ConstantArithmetic(in[0], cAdd, ArithmeticAdd, false) }, randomTensor(rng, false, 2, 2, 3, 4)},
		{"ConstantArithmetic/c-x", func(p *Plan, in []*Var) *Var { return p.ConstantArithmetic(in[0], cAdd, ArithmeticSubtract, true) }, randomTensor(rng, false, 2, 3, 4)},
		{"ConstantArithmetic/mul", func(p *Plan, in []*Var) *Var { return p.ConstantArithmetic(in[0], cDiv, ArithmeticMultiply, false) }, randomTensor(rng, false, 2, 2, 2, 3)},
		{"ConstantArithmetic/x/c", func(p *Plan, in []*Var) *Var { return p.ConstantArithmetic(in[0], cDiv, ArithmeticDivide, false) }, randomTensor(rng, false, 2, 2, 4, 3)},
		{"ConstantArithmetic/c/x", func(p *Plan, in []*Var) *Var { return p.ConstantArithmetic(in[0], cDiv, ArithmeticDivide, true) }, randomTensor(rng, true, 2, 2, 1, 3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := CheckGradients(c.build, GradCheck{}, c.input); err != nil {
				t.Error(err)
			}
		})
	}
}

// runOp builds one op on a copy of x in an inference plan and returns its output.
func runOp(x *tensor.Tensor, build func(p *Plan, x *Var) *Var) *tensor.Tensor {
	p := NewInferencePlan(x.Dim(0))
	in := p.Input(x.Shape()[1:]...)
	copy(in.Value.Data(), x.Data())
	y := build(p, in)
	p.Forward(false)
	return y.Value
}

func closeTo(t *testing.T, what string, got *tensor.Tensor, want []float64, shape []int) {
	t.Helper()
	if !tensor.SameShape(got.Shape(), shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), shape)
	}
	for i, w := range want {
		if d := math.Abs(float64(got.Data()[i]) - w); d > 1e-5*(1+math.Abs(w)) {
			t.Fatalf("%s: value %d is %v, want %v", what, i, got.Data()[i], w)
		}
	}
}

func TestTransposeAndPadByHand(t *testing.T) {
	// x (1, 2, 3): [[0 1 2] [3 4 5]] transposed (0, 2, 1) is [[0 3] [1 4] [2 5]].
	x := fromSlice([]float32{0, 1, 2, 3, 4, 5}, 1, 2, 3)
	closeTo(t, "Transpose", runOp(x, func(p *Plan, x *Var) *Var { return p.Transpose(x, 0, 2, 1) }),
		[]float64{0, 3, 1, 4, 2, 5}, []int{1, 3, 2})
	// A 2×2 image of one channel padded by one row above and one column
	// right, then that cropped back.
	img := fromSlice([]float32{1, 2, 3, 4}, 1, 2, 2, 1)
	padded := runOp(img, func(p *Plan, x *Var) *Var { return p.Pad2D(x, 1, 0, 0, 1) })
	closeTo(t, "Pad2D", padded, []float64{0, 0, 0, 1, 2, 0, 3, 4, 0}, []int{1, 3, 3, 1})
	closeTo(t, "Pad2D crop", runOp(padded, func(p *Plan, x *Var) *Var { return p.Pad2D(x, -1, 0, 0, -1) }),
		[]float64{1, 2, 3, 4}, []int{1, 2, 2, 1})
}

// convRef is a direct float64 convolution of x (N,H,W,C) by w (KH,KW,C,F)
// with groups of one channel (depthwise: w (KH,KW,C,M), output c·M+m) or
// transposed (w (KH,KW,F,C), scattering), from the formulas of the ops'
// doc comments.
func depthwiseRef(x, w, b *tensor.Tensor, g Conv2DGeometry) ([]float64, []int) {
	xs, ws := x.Shape(), w.Shape()
	n, h, wd, c, kh, kw, m := xs[0], xs[1], xs[2], xs[3], ws[0], ws[1], ws[3]
	oh := convOut(h, kh, g.StrideH, g.DilationH, g.PadTop, g.PadBottom)
	ow := convOut(wd, kw, g.StrideW, g.DilationW, g.PadLeft, g.PadRight)
	out := make([]float64, n*oh*ow*c*m)
	for s := 0; s < n; s++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for ch := 0; ch < c; ch++ {
					for k := 0; k < m; k++ {
						v := float64(b.Data()[ch*m+k])
						for ky := 0; ky < kh; ky++ {
							for kx := 0; kx < kw; kx++ {
								r, q := i*g.StrideH+ky*g.DilationH-g.PadTop, j*g.StrideW+kx*g.DilationW-g.PadLeft
								if r >= 0 && r < h && q >= 0 && q < wd {
									v += float64(x.Data()[((s*h+r)*wd+q)*c+ch]) * float64(w.Data()[((ky*kw+kx)*c+ch)*m+k])
								}
							}
						}
						out[(((s*oh+i)*ow+j)*c+ch)*m+k] = v
					}
				}
			}
		}
	}
	return out, []int{n, oh, ow, c * m}
}

func transposeRef(x, w, b *tensor.Tensor, g Conv2DGeometry) ([]float64, []int) {
	xs, ws := x.Shape(), w.Shape()
	n, h, wd, c, kh, kw, f := xs[0], xs[1], xs[2], xs[3], ws[0], ws[1], ws[2]
	oh := (h-1)*g.StrideH + g.DilationH*(kh-1) + 1 - g.PadTop - g.PadBottom
	ow := (wd-1)*g.StrideW + g.DilationW*(kw-1) + 1 - g.PadLeft - g.PadRight
	out := make([]float64, n*oh*ow*f)
	for i := range out {
		out[i] = float64(b.Data()[i%f])
	}
	for s := 0; s < n; s++ {
		for i := 0; i < h; i++ {
			for j := 0; j < wd; j++ {
				for ky := 0; ky < kh; ky++ {
					for kx := 0; kx < kw; kx++ {
						r, q := i*g.StrideH+ky*g.DilationH-g.PadTop, j*g.StrideW+kx*g.DilationW-g.PadLeft
						if r < 0 || r >= oh || q < 0 || q >= ow {
							continue
						}
						for o := 0; o < f; o++ {
							for ch := 0; ch < c; ch++ {
								out[((s*oh+r)*ow+q)*f+o] += float64(x.Data()[((s*h+i)*wd+j)*c+ch]) * float64(w.Data()[((ky*kw+kx)*f+o)*c+ch])
							}
						}
					}
				}
			}
		}
	}
	return out, []int{n, oh, ow, f}
}

func TestConvolutionsMatchDirectFormulas(t *testing.T) {
	rng := tensor.NewRNG(5)
	geos := []Conv2DGeometry{
		{StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		{StrideH: 2, StrideW: 3, DilationH: 2, DilationW: 1, PadTop: 1, PadBottom: 2, PadLeft: 0, PadRight: 1},
	}
	for gi, g := range geos {
		x := randomTensor(rng, false, 2, 7, 6, 3)
		dw, db := weight(rng, "w", 3, 2, 3, 2), weight(rng, "b", 6)
		want, shape := depthwiseRef(x, dw.Value, db.Value, g)
		closeTo(t, "DepthwiseConv2D", runOp(x, func(p *Plan, x *Var) *Var { return p.DepthwiseConv2D(x, dw, db, g) }), want, shape)

		tw, tb := weight(rng, "w", 3, 2, 4, 3), weight(rng, "b", 4)
		tg := g
		if gi == 1 {
			tg.PadBottom = -1 // an output padding row
		}
		want, shape = transposeRef(x, tw.Value, tb.Value, tg)
		closeTo(t, "Conv2DTranspose", runOp(x, func(p *Plan, x *Var) *Var { return p.Conv2DTranspose(x, tw, tb, tg) }), want, shape)
	}
}

func TestElementwiseByHand(t *testing.T) {
	x := fromSlice([]float32{-2, -0.25, 0, 0.5, 3}, 1, 5)
	closeTo(t, "Clip", runOp(x, func(p *Plan, x *Var) *Var { return p.Clip(x, -0.5, 1) }), []float64{-0.5, -0.25, 0, 0.5, 1}, []int{1, 5})
	closeTo(t, "HardSigmoid", runOp(x, func(p *Plan, x *Var) *Var { return p.HardSigmoid(x, 0.2, 0.5) }), []float64{0.1, 0.45, 0.5, 0.6, 1}, []int{1, 5})
	erf := []float64{math.Erf(-2), math.Erf(-0.25), 0, math.Erf(0.5), math.Erf(3)}
	closeTo(t, "Erf", runOp(x, func(p *Plan, x *Var) *Var { return p.Erf(x) }), erf, []int{1, 5})
	// A (2, 1) constant broadcast over samples (2, 3): rows get 10 and 20.
	c := NewParam("c", false, 2, 1)
	copy(c.Value.Data(), []float32{10, 20})
	y := fromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 2, 2, 3)
	closeTo(t, "c - x", runOp(y, func(p *Plan, x *Var) *Var { return p.ConstantArithmetic(x, c, ArithmeticSubtract, true) }),
		[]float64{9, 8, 7, 16, 15, 14, 3, 2, 1, 10, 9, 8}, []int{2, 2, 3})
	closeTo(t, "x / c", runOp(y, func(p *Plan, x *Var) *Var { return p.ConstantArithmetic(x, c, ArithmeticDivide, false) }),
		[]float64{0.1, 0.2, 0.3, 0.2, 0.25, 0.3, 0.7, 0.8, 0.9, 0.5, 0.55, 0.6}, []int{2, 2, 3})
}

func TestONNXOpsStepAllocatesNothing(t *testing.T) {
	rng := tensor.NewRNG(9)
	p := NewPlan(2)
	x := p.NewVar(true, 2, 5, 4, 3)
	fillTest(x.Value, rng, false)
	g := Conv2DGeometry{StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}
	y := p.DepthwiseConv2D(x, weight(rng, "d", 3, 3, 3, 1), nil, g)
	y = p.Conv2DTranspose(y, weight(rng, "t", 2, 2, 2, 3), nil, Conv2DGeometry{StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1})
	y = p.Pad2D(p.Transpose(y, 0, 2, 1, 3), 1, -1, 0, 2)
	c := NewParam("c", false, 2)
	y = p.GlobalMaxPool2D(p.Erf(p.ConstantArithmetic(y, c, ArithmeticMultiply, false)))
	loss := p.probe(y, rng)
	step := func() { p.Forward(true); p.Backward(); _ = loss.Loss() }
	step()
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Errorf("a step allocates %v times", a)
	}
}

func fromSlice(data []float32, shape ...int) *tensor.Tensor {
	t, err := tensor.FromSlice(data, shape...)
	if err != nil {
		panic(err)
	}
	return t
}
