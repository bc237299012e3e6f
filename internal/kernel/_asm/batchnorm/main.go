// Command batchnorm generates the amd64 per-channel loops of batch
// normalization in package kernel (batchnorm_amd64.s) with avo. Run it
// through go generate in package kernel.
//
// Each kernel comes in two widths: for AVX, rows of n float32 channels, n
// a multiple of 8, 8 channels to a 256-bit vector; for AVX-512, n a
// multiple of 16 (of 32 for the reductions), 16 channels to a 512-bit
// vector, and the reductions over rows take two vectors of channels at
// once. A reduction's sum over rows is a chain of dependent additions, one
// per row and channel: the AVX loop waits on it (8 channels every 4
// cycles, the addition's latency), where two 16-channel chains side by
// side keep the adder busy. Every lane does the IEEE operations of the
// pure-Go loop in batchnorm.go, in the same order and without fused
// multiply-adds, so the results are bit-identical to it at either width.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	for _, v := range []vec{{lanes: 8, per: 1}, {lanes: 16, per: 2, wide: true}} {
		kernels(v)
	}
	Generate()
}

// vec is a width the kernels are emitted at: lanes float32 a register
// (YMM or, wide, ZMM), per registers of channels a reduction's block.
type vec struct {
	lanes, per int
	wide       bool
}

func (v vec) reg() VecVirtual {
	if v.wide {
		return ZMM()
	}
	return YMM()
}

// row and col name a row kernel and a reduction at this width by the
// channels one step takes: affine8 and affine16, colSums8 and colSums32.
func (v vec) row(name string) string { return fmt.Sprintf("%s%d", name, v.lanes) }
func (v vec) col(name string) string { return fmt.Sprintf("%s%d", name, v.lanes*v.per) }

// kernels emits every kernel at width v.
func kernels(v vec) {
	columnKernel(v, "colSums", "func(dst *float64, x *float32, rows int, n int)",
		[]string{
			"For each column c < n: s := float32(0); for i < rows: s += x[i*n+c]; then",
			"dst[c] += float64(s).",
		}, []string{"x"}, nil, []string{"dst"},
		func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual, d int) {
			VADDPS(Mem{Base: p["x"], Disp: d}, acc[0], acc[0])
		})
	columnKernel(v, "colSquares", "func(dst *float64, x *float32, centre *float32, rows int, n int)",
		[]string{
			"For each column c < n: s := float32(0); for i < rows: d := x[i*n+c] - centre[c];",
			"s += d * d; then dst[c] += float64(s).",
		}, []string{"x"}, []string{"centre"}, []string{"dst"},
		func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual, d int) {
			t := v.reg()
			VMOVUPS(Mem{Base: p["x"], Disp: d}, t)
			VSUBPS(k[0], t, t)
			VMULPS(t, t, t)
			VADDPS(t, acc[0], acc[0])
		})
	columnKernel(v, "colDots", "func(sum *float64, dot *float64, dy *float32, x *float32, mean *float32, rows int, n int)",
		[]string{
			"For each column c < n: s, t := float32(0), float32(0); for i < rows:",
			"s += dy[i*n+c]; t += dy[i*n+c] * (x[i*n+c] - mean[c]); then sum[c] += float64(s),",
			"dot[c] += float64(t).",
		}, []string{"dy", "x"}, []string{"mean"}, []string{"sum", "dot"},
		func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual, d int) {
			g, t := v.reg(), v.reg()
			VMOVUPS(Mem{Base: p["dy"], Disp: d}, g)
			dotStep(g, t, Mem{Base: p["x"], Disp: d}, k[0], acc)
		})
	rowKernel(v, "affine", "func(y *float32, x *float32, scale *float32, shift *float32, rows int, n int)",
		[]string{"y[i*n+c] = x[i*n+c]*scale[c] + shift[c] for i < rows, c < n."},
		[]string{"y", "x"}, []string{"scale", "shift"},
		func(at func(s string) Mem) {
			t := v.reg()
			VMOVUPS(at("x"), t)
			VMULPS(at("scale"), t, t)
			VADDPS(at("shift"), t, t)
			VMOVUPS(t, at("y"))
		})
	for _, set := range []bool{false, true} {
		gradKernel(v, set)
	}
	reluKernels(v)
}

// toDx ends a gradient kernel's body: t is added to dx, or, with set, to
// +0 (as to a zeroed dx: the same bits, -0 becoming +0) without reading
// dx, and stored.
func toDx(v vec, t VecVirtual, dx Mem, set bool) {
	if set {
		z := v.reg()
		VXORPS(z, z, z)
		VADDPS(z, t, t)
	} else {
		VADDPS(dx, t, t)
	}
	VMOVUPS(t, dx)
}

// gradKernel emits bnGrad8, or with set bnGradSet8, which writes dx
// instead of adding to it, for a dx the plan would otherwise zero first
// (bnGrad16 and bnGradSet16 at the wide width).
func gradKernel(v vec, set bool) {
	name, op, doc := "bnGrad", "+=", "summed left to right."
	if set {
		name, op, doc = "bnGradSet", "= 0 +", "summed left to right, the 0 first added last."
	}
	rowKernel(v, name, "func(dx *float32, dy *float32, x *float32, a *float32, b *float32, mean *float32, d *float32, rows int, n int)",
		[]string{"dx[i*n+c] " + op + " a[c]*dy[i*n+c] + b[c]*(x[i*n+c]-mean[c]) + d[c] for i < rows, c < n,", doc},
		[]string{"dx", "dy", "x"}, []string{"a", "b", "mean", "d"},
		func(at func(s string) Mem) {
			t, u := v.reg(), v.reg()
			VMOVUPS(at("dy"), t)
			gradStep(v, t, u, at, set)
		})
}

// dotStep adds one row to ColumnDots64's two sums, of the gradient g and
// of g·(x - mean): acc[0] += g, acc[1] += g·(x - mean), t scratch.
func dotStep(g, t VecVirtual, x Mem, mean VecVirtual, acc []VecVirtual) {
	VADDPS(g, acc[0], acc[0])
	VMOVUPS(x, t)
	VSUBPS(mean, t, t)
	VMULPS(t, g, t)
	VADDPS(t, acc[1], acc[1])
}

// gradStep finishes BatchNormGrad's value from the gradient g in t (dy,
// or dy through the ReLU): t = a·g + b·(x - mean) + d, u scratch, summed
// left to right, then added to dx (toDx).
func gradStep(v vec, t, u VecVirtual, at func(s string) Mem, set bool) {
	VMULPS(at("a"), t, t)
	VMOVUPS(at("x"), u)
	VSUBPS(at("mean"), u, u)
	VMULPS(at("b"), u, u)
	VADDPS(u, t, t)
	VADDPS(at("d"), t, t)
	toDx(v, t, at("dx"), set)
}

// reluKernels emits the loops of a normalization a ReLU reads alone, fused
// with it. The forward clamps the affine map at 0 as the ReLU does (VMAXPS
// with 0 second: z > 0 ? z : +0, NaN and -0 giving +0). The backward
// passes mask dy where the forward's output was positive, which is where
// z = x·scale + shift, recomputed with the same two roundings, is > 0: so
// they read x, which they read anyway, and not the output. The masked
// value is g = 0 + dy there, else +0: what the ReLU's backward leaves in a
// zeroed gradient (a dy of -0 becomes +0 too; at the wide width dy is
// loaded under the comparison's mask, zeros elsewhere). Then they do what
// the unfused passes do with g.
func reluKernels(v vec) {
	masked := func(dy, x, scale, shift Op, g VecVirtual) {
		z, t := v.reg(), v.reg()
		VXORPS(z, z, z)
		VMOVUPS(x, t)
		VMULPS(scale, t, t)
		VADDPS(shift, t, t)
		if v.wide {
			k := K()
			VCMPPS(U8(0x11), t, z, k) // 0 < z, ordered: false for NaN
			VMOVUPS_Z(dy, k, g)
		} else {
			VCMPPS(U8(0x11), t, z, g) // 0 < z, ordered: false for NaN
			VANDPS(dy, g, g)
		}
		VADDPS(z, g, g)
	}
	columnKernel(v, "colDotsReLU", "func(sum *float64, dot *float64, dy *float32, x *float32, mean *float32, scale *float32, shift *float32, rows int, n int)",
		[]string{
			"For each column c < n: s, t := float32(0), float32(0); for i < rows:",
			"g := reluGrad(dy[i*n+c], x[i*n+c]*scale[c] + shift[c]); s += g;",
			"t += g * (x[i*n+c] - mean[c]); then sum[c] += float64(s), dot[c] += float64(t).",
		}, []string{"dy", "x"}, []string{"mean", "scale", "shift"}, []string{"sum", "dot"},
		func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual, d int) {
			g, t := v.reg(), v.reg()
			masked(Mem{Base: p["dy"], Disp: d}, Mem{Base: p["x"], Disp: d}, k[1], k[2], g)
			dotStep(g, t, Mem{Base: p["x"], Disp: d}, k[0], acc)
		})
	rowKernel(v, "affineReLU", "func(y *float32, x *float32, scale *float32, shift *float32, rows int, n int)",
		[]string{"z := x[i*n+c]*scale[c] + shift[c]; y[i*n+c] = z if z > 0, else 0, for i < rows, c < n."},
		[]string{"y", "x"}, []string{"scale", "shift"},
		func(at func(s string) Mem) {
			t, z := v.reg(), v.reg()
			VXORPS(z, z, z)
			VMOVUPS(at("x"), t)
			VMULPS(at("scale"), t, t)
			VADDPS(at("shift"), t, t)
			VMAXPS(z, t, t)
			VMOVUPS(t, at("y"))
		})
	for _, set := range []bool{false, true} {
		name, op, doc := "bnGradReLU", "+=", "summed left to right."
		if set {
			name, op, doc = "bnGradReLUSet", "= 0 +", "summed left to right, the 0 first added last."
		}
		rowKernel(v, name, "func(dx *float32, dy *float32, x *float32, a *float32, b *float32, mean *float32, d *float32, scale *float32, shift *float32, rows int, n int)",
			[]string{"g := reluGrad(dy[i*n+c], x[i*n+c]*scale[c] + shift[c]);",
				"dx[i*n+c] " + op + " a[c]*g + b[c]*(x[i*n+c]-mean[c]) + d[c] for i < rows, c < n,", doc},
			[]string{"dx", "dy", "x"}, []string{"a", "b", "mean", "d", "scale", "shift"},
			func(at func(s string) Mem) {
				t, u := v.reg(), v.reg()
				masked(at("dy"), at("x"), at("scale"), at("shift"), t)
				gradStep(v, t, u, at, set)
			})
	}
}

// columnKernel emits a reduction over rows: for each block of
// v.lanes·v.per columns, accumulators (one per name in outs and register
// of the block) start at zero, body adds one row to the register of
// columns d bytes into the block (row pointers in p advance by the row
// stride, coefficient registers in k hold those columns' values of each
// name in coefs), and each accumulator is then widened to float64 and
// added to its output.
func columnKernel(v vec, base, sig string, doc []string, rowPtrs, coefs, outs []string,
	body func(p map[string]GPVirtual, k []VecVirtual, acc []VecVirtual, d int)) {
	name, cols := v.col(base), v.lanes*v.per
	ptr, rows, n, stride := header(name, sig, fmt.Sprintf("%s is one run of rows of the pure-Go loop; n is a multiple of %d and rows ≥ 1.", name, cols),
		doc, append(append(append([]string{}, rowPtrs...), coefs...), outs...))
	blocks := GP64()
	MOVQ(n, blocks)
	SHRQ(U8(bits(cols)), blocks)
	Label(name + "_block")
	k := make([][]VecVirtual, v.per)   // [register][coef]
	acc := make([][]VecVirtual, v.per) // [register][out]
	for r := range v.per {
		for _, s := range coefs {
			c := v.reg()
			VMOVUPS(Mem{Base: ptr[s], Disp: 4 * v.lanes * r}, c)
			k[r] = append(k[r], c)
		}
		for range outs {
			a := v.reg()
			VXORPS(a, a, a)
			acc[r] = append(acc[r], a)
		}
	}
	p := map[string]GPVirtual{}
	for _, s := range rowPtrs {
		p[s] = GP64()
		MOVQ(ptr[s], p[s])
	}
	i := GP64()
	MOVQ(rows, i)
	Label(name + "_row")
	for r := range v.per {
		body(p, k[r], acc[r], 4*v.lanes*r)
	}
	for _, s := range rowPtrs {
		ADDQ(stride, p[s])
	}
	DECQ(i)
	JNZ(LabelRef(name + "_row"))
	for j, s := range outs {
		for r := range v.per {
			widen(v, acc[r][j], Mem{Base: ptr[s], Disp: 8 * v.lanes * r})
		}
		ADDQ(U32(8*cols), ptr[s])
	}
	for _, s := range append(append([]string{}, rowPtrs...), coefs...) {
		ADDQ(U32(4*cols), ptr[s])
	}
	DECQ(blocks)
	JNZ(LabelRef(name + "_block"))
	VZEROUPPER()
	RET()
}

// header starts kernel name, documented by first and doc, and loads its
// operands: the pointers named in ptrs, rows, n and the row stride in
// bytes, 4n.
func header(name, sig, first string, doc, ptrs []string) (p map[string]GPVirtual, rows, n, stride Register) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(append([]string{first, ""}, doc...)...)
	p = map[string]GPVirtual{}
	for _, s := range ptrs {
		p[s] = Load(Param(s), GP64()).(GPVirtual)
	}
	rows = Load(Param("rows"), GP64())
	n = Load(Param("n"), GP64())
	stride = GP64()
	MOVQ(n, stride)
	SHLQ(U8(2), stride)
	return p, rows, n, stride
}

// widen adds the float32 lanes of acc, widened to float64, to the
// float64s at dst.
func widen(v vec, acc VecVirtual, dst Mem) {
	lo, hi := v.reg(), v.reg()
	if v.wide {
		h := YMM()
		VCVTPS2PD(acc.AsY(), lo)
		VEXTRACTF64X4(U8(1), acc, h)
		VCVTPS2PD(h, hi)
	} else {
		h := XMM()
		VCVTPS2PD(acc.AsX(), lo)
		VEXTRACTF128(U8(1), acc, h)
		VCVTPS2PD(h, hi)
	}
	half := 4 * v.lanes // bytes of lanes/2 float64s
	VADDPD(dst, lo, lo)
	VMOVUPD(lo, dst)
	up := dst
	up.Disp += half
	VADDPD(up, hi, hi)
	VMOVUPD(hi, up)
}

// bits is log2 of a power of two.
func bits(n int) int {
	b := 0
	for ; n > 1; n >>= 1 {
		b++
	}
	return b
}

// rowKernel emits an element-wise pass over rows of n values: body handles
// the v.lanes values at byte offset co of the current row (row pointers)
// and of the per-column coefficients, at(s) addressing those of operand s.
func rowKernel(v vec, base, sig string, doc []string, rowPtrs, coefs []string, body func(at func(s string) Mem)) {
	name := v.row(base)
	p, rows, _, stride := header(name, sig, fmt.Sprintf("%s is the pure-Go loop; n is a multiple of %d and rows ≥ 1.", name, v.lanes),
		doc, append(append([]string{}, rowPtrs...), coefs...))
	Label(name + "_row")
	co := GP64()
	XORQ(co, co)
	Label(name + "_col")
	body(func(s string) Mem { return Mem{Base: p[s], Index: co, Scale: 1} })
	ADDQ(U32(4*v.lanes), co)
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
