// Command biasrelu generates the amd64 loop of package kernel's biasAct
// (biasrelu_amd64.s) with avo. Run it through go generate in package
// kernel (biasrelu_amd64.go).
//
// A convolution's forward pass adds the bias to each output and applies
// the ReLU. biasAct did it as AddTo calls of the bias repeated (96 values
// for LeNet-5's six filters: 49 calls a sample, each costing more in
// checks and call than its six vector adds), then a ReLU pass. Here one
// loop does both, 16 values per vector: y + bias (y first, as addVec),
// then max with +0 as reluVec takes it (y > 0 ? y : +0, NaN giving +0).
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	biasReLU()
	Generate()
}

func biasReLU() {
	TEXT("biasReLUAVX512", NOSPLIT, "func(y *float32, rep *float32, n int, l int)")
	Pragma("noescape")
	Doc("biasReLUAVX512 sets y[i] = relu(y[i] + rep[i mod l]) for i < n, l ≥ 16 a multiple",
		"of 16: the sum as addVec's (y first), relu as reluVec's (VMAXPS with +0:",
		"y > 0 ? y : +0). Requires AVX-512F and BMI2.")
	y := Load(Param("y"), GP64())
	rep := Load(Param("rep"), GP64())
	n := Load(Param("n"), GP64())
	l := Load(Param("l"), GP64())
	i, j, t, ones, sixteen := GP64(), GP64(), GP64(), GP64(), GP64()
	XORQ(i, i)
	XORQ(j, j)
	MOVQ(U32(16), sixteen)
	MOVQ(U32(0xFFFF), ones)
	z, v := ZMM(), ZMM()
	VPXORD(z, z, z)

	Label("vec")
	MOVQ(n, t)
	SUBQ(i, t)
	JLE(LabelRef("done"))
	CMPQ(t, sixteen)
	CMOVQGT(sixteen, t)
	BZHIQ(t, ones, t)
	KMOVW(t.As32(), K1)
	VMOVUPS_Z(Mem{Base: y, Index: i, Scale: 4}, K1, v)
	VADDPS(Mem{Base: rep, Index: j, Scale: 4}, v, v)
	VMAXPS(z, v, v)
	VMOVUPS(v, K1, Mem{Base: y, Index: i, Scale: 4})
	ADDQ(U8(16), i)
	ADDQ(U8(16), j)
	XORQ(t, t)
	CMPQ(j, l)
	CMOVQEQ(t, j)
	JMP(LabelRef("vec"))

	Label("done")
	VZEROUPPER()
	RET()
}
