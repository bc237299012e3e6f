// Command gradrows generates the amd64 loop of package kernel's padGrad
// (gradrows_amd64.s) with avo. Run it through go generate in package kernel
// (gradrows_amd64.go).
//
// The shifted convolution's backward pass lays each sample's output
// gradient, masked by the ReLU, out on the padded input's grid: rows of
// OW·F values followed by zeros up to the grid's width. Done row by row
// with a clear, kernel.ReLUBackward and another clear, the calls cost
// more than the work (LeNet-5's first layer: 28 rows of 168 values a
// sample). Here one call walks every row, 16 values per vector: y > 0
// (ordered: NaN is not) selects +0 + dy, anything else +0, exactly as
// ReLUBackward adding into a cleared row; lanes past OW·F are zero.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	maskRows()
	Generate()
}

// clamp16 sets t to min(max(t, 0), 16), using zero (a register holding 0)
// and sixteen (one holding 16).
func clamp16(t, zero, sixteen GPVirtual) {
	CMPQ(t, zero)
	CMOVQLT(zero, t)
	CMPQ(t, sixteen)
	CMOVQGT(sixteen, t)
}

func maskRows() {
	TEXT("maskRowsAVX512", NOSPLIT, "func(dst *float32, dy *float32, y *float32, n int, rows int, drs int, srs int)")
	Pragma("noescape")
	Doc("maskRowsAVX512 sets, for rows ≥ 1 rows r and n ≤ drs, drs ≥ 1,",
		"dst[r·drs + j] = +0 + dy[r·srs + j] where y[r·srs + j] > 0, else +0, for j < n,",
		"and dst[r·drs + j] = +0 for n ≤ j < drs: reluMask (conv.go) on each row, then",
		"zeros to the row's end. Requires AVX-512F and BMI2.")
	dst := Load(Param("dst"), GP64())
	dy := Load(Param("dy"), GP64())
	y := Load(Param("y"), GP64())
	n := Load(Param("n"), GP64())
	rows := Load(Param("rows"), GP64())
	drs := Load(Param("drs"), GP64())
	srs := Load(Param("srs"), GP64())
	p, t, m, ones, zero, sixteen := GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
	XORQ(zero, zero)
	MOVQ(U32(16), sixteen)
	MOVQ(U32(0xFFFF), ones)
	z, vd, vy, vs, vo := ZMM(), ZMM(), ZMM(), ZMM(), ZMM()
	VPXORD(z, z, z)

	Label("row")
	XORQ(p, p)
	Label("vec")
	// K1: the lanes below n; K3: those below drs.
	MOVQ(n, t)
	SUBQ(p, t)
	clamp16(t, zero, sixteen)
	BZHIQ(t, ones, m)
	KMOVW(m.As32(), K1)
	MOVQ(drs, t)
	SUBQ(p, t)
	clamp16(t, zero, sixteen)
	BZHIQ(t, ones, m)
	KMOVW(m.As32(), K3)
	VMOVUPS_Z(Mem{Base: dy, Index: p, Scale: 4}, K1, vd)
	VMOVUPS_Z(Mem{Base: y, Index: p, Scale: 4}, K1, vy)
	VCMPPS(U8(0x11), vy, z, K1, K2) // 0 < y, ordered
	VADDPS(vd, z, vs)               // +0 + dy, the cleared value first
	VMOVUPS_Z(vs, K2, vo)
	VMOVUPS(vo, K3, Mem{Base: dst, Index: p, Scale: 4})
	ADDQ(U8(16), p)
	CMPQ(p, drs)
	JL(LabelRef("vec"))

	LEAQ(Mem{Base: dst, Index: drs, Scale: 4}, dst)
	LEAQ(Mem{Base: dy, Index: srs, Scale: 4}, dy)
	LEAQ(Mem{Base: y, Index: srs, Scale: 4}, y)
	DECQ(rows)
	JNZ(LabelRef("row"))
	VZEROUPPER()
	RET()
}
