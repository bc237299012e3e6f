package autograd

import "github.com/goras-ml/goras/tensor"

// convSetNet: convolutions of the geometries whose kernels set their
// gradients in different ways (kernel/conv_set.go): a first layer on 3
// channels without an input gradient; 3×3 valid (dx by the shifted
// path's convolution of dy); 3×3 same with 2 filters (dx by bandConv);
// 3×3 at stride 2, valid, leaving x's last row and column in no window
// (im2col and Col2im); 1×1 (dx straight from the GEMM); 3×3 same on 8
// channels (the shifted path's GEMM dx). h2 and h3 are each read by two
// convolutions, so the first to write their gradients sets them and the
// second adds.
func convSetNet(p *Plan, ps *owParams) []*Var {
	x, t1, t2, t3 := p.Input(12, 12, 3), p.Input(10), p.Input(4), p.Input(6)
	h1 := p.Conv2DBiasReLU(x, ps.param(3, 3, 3, 16), ps.param(16), true, 1, 1, 1, 1, 1, 1)
	h2 := p.ReLU(p.Conv2D(h1, ps.param(3, 3, 16, 16), 1, 1, 0, 0, 0, 0))                    // 10×10×16
	hb := p.Conv2DBiasReLU(h2, ps.param(3, 3, 16, 2), ps.param(2), false, 1, 1, 1, 1, 1, 1) // 10×10×2
	h3 := p.Conv2DBiasReLU(h2, ps.param(3, 3, 16, 8), ps.param(8), true, 2, 2, 0, 0, 0, 0)  // 4×4×8: row 9 unread
	h4 := p.Conv2D(h3, ps.param(1, 1, 8, 12), 1, 1, 0, 0, 0, 0)                             // 4×4×12
	h5 := p.Conv2DBiasReLU(h3, ps.param(3, 3, 8, 6), ps.param(6), true, 1, 1, 1, 1, 1, 1)   // 4×4×6
	p.MeanSquaredError(dense(p, ps, p.Flatten(h4), 10), t1)
	p.MeanSquaredError(dense(p, ps, p.Flatten(hb), 4), t2)
	y := p.Softmax(dense(p, ps, p.Dropout(p.Flatten(h5), 0.25, tensor.NewRNG(9)), 6))
	p.CategoricalCrossentropy(y, t3, false, 0)
	return []*Var{x, t1, t2, t3}
}

// convWide: the convolutions of the zoo's best network at a smaller size,
// Conv2D → BatchNormalization → ReLU blocks on 14×14 maps of 32 and 64
// channels (the shifted path, and its bfloat16 form), where each
// convolution but the first sets its input's gradient and each
// normalization its own.
func convWide(p *Plan, ps *owParams) []*Var {
	x, t := p.Input(14, 14, 1), p.Input(10)
	h := p.Conv2D(x, ps.param(3, 3, 1, 32), 1, 1, 1, 1, 1, 1)
	h = p.BatchNormReLU(h, ps.param(32), ps.param(32), ps.param(32), ps.param(32), 0.9, 1e-3)
	h = p.Conv2D(h, ps.param(3, 3, 32, 64), 1, 1, 1, 1, 1, 1)
	h = p.BatchNormReLU(h, ps.param(64), ps.param(64), ps.param(64), ps.param(64), 0.9, 1e-3)
	h = p.MaxPool2D(h, 2, 2, 2, 2, 0, 0, 0, 0) // 7×7×64
	h = p.Conv2D(h, ps.param(3, 3, 64, 64), 1, 1, 1, 1, 1, 1)
	h = p.GlobalAvgPool2D(p.ReLU(h))
	p.CategoricalCrossentropy(p.Softmax(dense(p, ps, h, 10)), t, false, 0)
	return []*Var{x, t}
}
