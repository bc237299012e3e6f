// Command batchnorm generates the amd64 per-channel loops of batch
// normalization in package kernel (batchnorm_amd64.s) with avo. Run it
// through go generate in package kernel.
//
// Each kernel takes rows of n float32 channels, n a multiple of 8, and
// holds 8 channels in one 256-bit vector (the loops are bound by loads, so
// wider vectors gain nothing). Every lane does the IEEE operations of the
// pure-Go loop in batchnorm.go, in the same order and without fused
// multiply-adds, so the results are bit-identical to it.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	columnKernel("colSums8", "func(dst *float64, x *float32, rows int, n int)",
		[]string{
			"For each column c < n: s := float32(0); for i < rows: s += x[i*n+c]; then",
			"dst[c] += float64(s).",
		}, []string{"x"}, nil, []string{"dst"},
		func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual) {
			VADDPS(Mem{Base: p["x"]}, acc[0], acc[0])
		})
	columnKernel("colSquares8", "func(dst *float64, x *float32, centre *float32, rows int, n int)",
		[]string{
			"For each column c < n: s := float32(0); for i < rows: d := x[i*n+c] - centre[c];",
			"s += d * d; then dst[c] += float64(s).",
		}, []string{"x"}, []string{"centre"}, []string{"dst"},
		func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual) {
			t := YMM()
			VMOVUPS(Mem{Base: p["x"]}, t)
			VSUBPS(k[0], t, t)
			VMULPS(t, t, t)
			VADDPS(t, acc[0], acc[0])
		})
	columnKernel("colDots8", "func(sum *float64, dot *float64, dy *float32, x *float32, mean *float32, rows int, n int)",
		[]string{
			"For each column c < n: s, t := float32(0), float32(0); for i < rows:",
			"s += dy[i*n+c]; t += dy[i*n+c] * (x[i*n+c] - mean[c]); then sum[c] += float64(s),",
			"dot[c] += float64(t).",
		}, []string{"dy", "x"}, []string{"mean"}, []string{"sum", "dot"},
		func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual) {
			g, t := YMM(), YMM()
			VMOVUPS(Mem{Base: p["dy"]}, g)
			VADDPS(g, acc[0], acc[0])
			VMOVUPS(Mem{Base: p["x"]}, t)
			VSUBPS(k[0], t, t)
			VMULPS(t, g, t)
			VADDPS(t, acc[1], acc[1])
		})
	rowKernel("affine8", "func(y *float32, x *float32, scale *float32, shift *float32, rows int, n int)",
		[]string{"y[i*n+c] = x[i*n+c]*scale[c] + shift[c] for i < rows, c < n."},
		[]string{"y", "x"}, []string{"scale", "shift"},
		func(p map[string]GPVirtual, co GPVirtual) {
			t := YMM()
			VMOVUPS(Mem{Base: p["x"], Index: co, Scale: 1}, t)
			VMULPS(Mem{Base: p["scale"], Index: co, Scale: 1}, t, t)
			VADDPS(Mem{Base: p["shift"], Index: co, Scale: 1}, t, t)
			VMOVUPS(t, Mem{Base: p["y"], Index: co, Scale: 1})
		})
	for _, set := range []bool{false, true} {
		gradKernel(set)
	}
	reluKernels()
	Generate()
}

// toDx ends a gradient kernel's body: t is added to dx, or, with set, to
// +0 (as to a zeroed dx: the same bits, -0 becoming +0) without reading
// dx, and stored.
func toDx(t VecVirtual, dx Mem, set bool) {
	if set {
		z := YMM()
		VXORPS(z, z, z)
		VADDPS(z, t, t)
	} else {
		VADDPS(dx, t, t)
	}
	VMOVUPS(t, dx)
}

// gradKernel emits bnGrad8, or with set bnGradSet8, which writes dx
// instead of adding to it, for a dx the plan would otherwise zero first.
func gradKernel(set bool) {
	name, op, doc := "bnGrad8", "+=", "summed left to right."
	if set {
		name, op, doc = "bnGradSet8", "= 0 +", "summed left to right, the 0 first added last."
	}
	rowKernel(name, "func(dx *float32, dy *float32, x *float32, a *float32, b *float32, mean *float32, d *float32, rows int, n int)",
		[]string{"dx[i*n+c] " + op + " a[c]*dy[i*n+c] + b[c]*(x[i*n+c]-mean[c]) + d[c] for i < rows, c < n,", doc},
		[]string{"dx", "dy", "x"}, []string{"a", "b", "mean", "d"},
		func(p map[string]GPVirtual, co GPVirtual) {
			t, u := YMM(), YMM()
			VMOVUPS(Mem{Base: p["dy"], Index: co, Scale: 1}, t)
			VMULPS(Mem{Base: p["a"], Index: co, Scale: 1}, t, t)
			VMOVUPS(Mem{Base: p["x"], Index: co, Scale: 1}, u)
			VSUBPS(Mem{Base: p["mean"], Index: co, Scale: 1}, u, u)
			VMULPS(Mem{Base: p["b"], Index: co, Scale: 1}, u, u)
			VADDPS(u, t, t)
			VADDPS(Mem{Base: p["d"], Index: co, Scale: 1}, t, t)
			toDx(t, Mem{Base: p["dx"], Index: co, Scale: 1}, set)
		})
}

// reluKernels emits the loops of a normalization a ReLU reads alone, fused
// with it. The forward clamps the affine map at 0 as the ReLU does (VMAXPS
// with 0 second: z > 0 ? z : +0, NaN and -0 giving +0). The backward
// passes mask dy where the forward's output was positive, which is where
// z = x·scale + shift, recomputed with the same two roundings, is > 0: so
// they read x, which they read anyway, and not the output. The masked
// value is g = 0 + dy there, else +0: what the ReLU's backward leaves in a
// zeroed gradient (a dy of -0 becomes +0 too). Then they do what the
// unfused passes do with g.
func reluKernels() {
	masked := func(dy, x, scale, shift Op, g VecVirtual) {
		z, t := YMM(), YMM()
		VXORPS(z, z, z)
		VMOVUPS(x, t)
		VMULPS(scale, t, t)
		VADDPS(shift, t, t)
		VCMPPS(U8(0x11), t, z, g) // 0 < z, ordered: false for NaN
		VANDPS(dy, g, g)
		VADDPS(z, g, g)
	}
	columnKernel("colDotsReLU8", "func(sum *float64, dot *float64, dy *float32, x *float32, mean *float32, scale *float32, shift *float32, rows int, n int)",
		[]string{
			"For each column c < n: s, t := float32(0), float32(0); for i < rows:",
			"g := reluGrad(dy[i*n+c], x[i*n+c]*scale[c] + shift[c]); s += g;",
			"t += g * (x[i*n+c] - mean[c]); then sum[c] += float64(s), dot[c] += float64(t).",
		}, []string{"dy", "x"}, []string{"mean", "scale", "shift"}, []string{"sum", "dot"},
		func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual) {
			g, t := YMM(), YMM()
			masked(Mem{Base: p["dy"]}, Mem{Base: p["x"]}, k[1], k[2], g)
			VADDPS(g, acc[0], acc[0])
			VMOVUPS(Mem{Base: p["x"]}, t)
			VSUBPS(k[0], t, t)
			VMULPS(t, g, t)
			VADDPS(t, acc[1], acc[1])
		})
	rowKernel("affineReLU8", "func(y *float32, x *float32, scale *float32, shift *float32, rows int, n int)",
		[]string{"z := x[i*n+c]*scale[c] + shift[c]; y[i*n+c] = z if z > 0, else 0, for i < rows, c < n."},
		[]string{"y", "x"}, []string{"scale", "shift"},
		func(p map[string]GPVirtual, co GPVirtual) {
			t, z := YMM(), YMM()
			VXORPS(z, z, z)
			VMOVUPS(Mem{Base: p["x"], Index: co, Scale: 1}, t)
			VMULPS(Mem{Base: p["scale"], Index: co, Scale: 1}, t, t)
			VADDPS(Mem{Base: p["shift"], Index: co, Scale: 1}, t, t)
			VMAXPS(z, t, t)
			VMOVUPS(t, Mem{Base: p["y"], Index: co, Scale: 1})
		})
	for _, set := range []bool{false, true} {
		name, op, doc := "bnGradReLU8", "+=", "summed left to right."
		if set {
			name, op, doc = "bnGradReLUSet8", "= 0 +", "summed left to right, the 0 first added last."
		}
		rowKernel(name, "func(dx *float32, dy *float32, x *float32, a *float32, b *float32, mean *float32, d *float32, scale *float32, shift *float32, rows int, n int)",
			[]string{"g := reluGrad(dy[i*n+c], x[i*n+c]*scale[c] + shift[c]);",
				"dx[i*n+c] " + op + " a[c]*g + b[c]*(x[i*n+c]-mean[c]) + d[c] for i < rows, c < n,", doc},
			[]string{"dx", "dy", "x"}, []string{"a", "b", "mean", "d", "scale", "shift"},
			func(p map[string]GPVirtual, co GPVirtual) {
				at := func(s string) Mem { return Mem{Base: p[s], Index: co, Scale: 1} }
				t, u := YMM(), YMM()
				masked(at("dy"), at("x"), at("scale"), at("shift"), t)
				VMULPS(at("a"), t, t)
				VMOVUPS(at("x"), u)
				VSUBPS(at("mean"), u, u)
				VMULPS(at("b"), u, u)
				VADDPS(u, t, t)
				VADDPS(at("d"), t, t)
				toDx(t, at("dx"), set)
			})
	}
}

// columnKernel emits a reduction over rows: for each block of 8 columns,
// accumulators (one per name in outs) start at zero, body adds one row
// (row pointers in p advance by the row stride, coefficient vectors in k
// hold the block's values of each name in coefs), and each accumulator is
// then widened to float64 and added to its output.
func columnKernel(name, sig string, doc []string, rowPtrs, coefs, outs []string,
	body func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual)) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(append([]string{name + " is one run of rows of the pure-Go loop; n is a multiple of 8 and rows ≥ 1.", ""}, doc...)...)
	base := map[string]GPVirtual{}
	for _, s := range append(append(append([]string{}, rowPtrs...), coefs...), outs...) {
		base[s] = Load(Param(s), GP64()).(GPVirtual)
	}
	rows := Load(Param("rows"), GP64())
	n := Load(Param("n"), GP64())
	stride := GP64()
	MOVQ(n, stride)
	SHLQ(U8(2), stride)
	blocks := GP64()
	MOVQ(n, blocks)
	SHRQ(U8(3), blocks)
	Label(name + "_block")
	k := make([]VecVirtual, len(coefs))
	for i, s := range coefs {
		k[i] = YMM()
		VMOVUPS(Mem{Base: base[s]}, k[i])
	}
	acc := make([]VecVirtual, len(outs))
	for i := range acc {
		acc[i] = YMM()
		VXORPS(acc[i], acc[i], acc[i])
	}
	p := map[string]GPVirtual{}
	for _, s := range rowPtrs {
		p[s] = GP64()
		MOVQ(base[s], p[s])
	}
	i := GP64()
	MOVQ(rows, i)
	Label(name + "_row")
	body(p, k, acc)
	for _, s := range rowPtrs {
		ADDQ(stride, p[s])
	}
	DECQ(i)
	JNZ(LabelRef(name + "_row"))
	for j, s := range outs {
		lo, hi, h := YMM(), YMM(), XMM()
		VCVTPS2PD(acc[j].AsX(), lo)
		VEXTRACTF128(U8(1), acc[j], h)
		VCVTPS2PD(h, hi)
		VADDPD(Mem{Base: base[s]}, lo, lo)
		VMOVUPD(lo, Mem{Base: base[s]})
		VADDPD(Mem{Base: base[s], Disp: 32}, hi, hi)
		VMOVUPD(hi, Mem{Base: base[s], Disp: 32})
		ADDQ(U32(64), base[s])
	}
	for _, s := range append(append([]string{}, rowPtrs...), coefs...) {
		ADDQ(U32(32), base[s])
	}
	DECQ(blocks)
	JNZ(LabelRef(name + "_block"))
	VZEROUPPER()
	RET()
}

// rowKernel emits an element-wise pass over rows of n values: body handles
// the 8 values at byte offset co of the current row (row pointers) and of
// the per-column coefficients.
func rowKernel(name, sig string, doc []string, rowPtrs, coefs []string, body func(p map[string]GPVirtual, co GPVirtual)) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(append([]string{name + " is the pure-Go loop; n is a multiple of 8 and rows ≥ 1.", ""}, doc...)...)
	p := map[string]GPVirtual{}
	for _, s := range append(append([]string{}, rowPtrs...), coefs...) {
		p[s] = Load(Param(s), GP64()).(GPVirtual)
	}
	rows := Load(Param("rows"), GP64())
	n := Load(Param("n"), GP64())
	stride := GP64()
	MOVQ(n, stride)
	SHLQ(U8(2), stride)
	Label(name + "_row")
	co := GP64()
	XORQ(co, co)
	Label(name + "_col")
	body(p, co)
	ADDQ(U32(32), co)
	CMPQ(co, stride)
	JL(LabelRef(name + "_col"))
	for _, s := range rowPtrs {
		ADDQ(stride, p[s])
	}
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	VZEROUPPER()
	RET()
}
