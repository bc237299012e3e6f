package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

// Products whose A operand is mostly zeros: MNIST pixels are about 80 %
// background, so a Dense layer on raw images does a fifth of a dense
// product's work if it skips them. A row of A is scanned 16 values at a time
// with a compare into a mask register; each set bit (a non-zero, or NaN)
// costs one broadcast and one FMA per 16 columns. Columns come in up to four
// vectors (64 columns) of a B that the Go caller has packed in aligned,
// zero-padded rows; the caller loops over wider B and deeper A. AVX-512F
// only: the compare into a mask register and the compress are what make it
// cheap.

// The registers of the products' entries: two sets of accumulators, one
// per parity of the entry (so that two entries' multiply-adds overlap),
// vectors j < 4 of set s in Z(8s+j); entry s's value, broadcast, in
// sparseX[s].
func sparseAcc(set, j int) VecPhysical { return asm.Zmm[8*set+j] }

var sparseX = []VecPhysical{Z4, Z12}

// sparseZeroAcc zeroes both sets of accumulators of v vectors.
func sparseZeroAcc(v int) {
	for set := 0; set < 2; set++ {
		for j := 0; j < v; j++ {
			VXORPS(sparseAcc(set, j), sparseAcc(set, j), sparseAcc(set, j))
		}
	}
}

// sparseRows emits the loop over the rows of A (rows, counted down) around
// body, which moves the row pointers on; labels name_row and name_end.
func sparseRows(name string, rows Register, body func()) {
	Label(name + "_row")
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_end"))
	body()
	DECQ(rows)
	JMP(LabelRef(name + "_row"))
	Label(name + "_end")
	VZEROUPPER()
	RET()
}

// sparseChunks emits the scan of a row of A at a from column p (a register
// it moves on) to column end, 16 columns a chunk loaded into Z6 for
// appendChunk, the last partial chunk under kmask (K3: its lanes past end
// read as 0); Z18 holds the chunk's 16 positions and steps by Z19. next is
// scratch. Labels name_chunk, name_tail and done.
func sparseChunks(name, done string, a, p, next, end Register, appendChunk func()) {
	Label(name + "_chunk")
	LEAQ(Mem{Base: p, Disp: 16}, next)
	CMPQ(next, end)
	JG(LabelRef(name + "_tail"))
	VMOVUPS(Mem{Base: a, Index: p, Scale: 4}, Z6)
	appendChunk()
	VPADDD(Z19, Z18, Z18)
	MOVQ(next, p)
	JMP(LabelRef(name + "_chunk"))
	Label(name + "_tail")
	CMPQ(p, end)
	JGE(LabelRef(done))
	VMOVUPS_Z(Mem{Base: a, Index: p, Scale: 4}, K3, Z6) // lanes past end read as 0
	appendChunk()
	Label(done)
}

var sparseContract = []string{
	"A's zero elements (±0) are skipped; every other element, NaN included, is",
	"used. kmask has one bit set per lane of A's last partial chunk of 16",
	"values (k%16 bits; 0 when 16 divides k). 1 ≤ k ≤ 128, rows ≥ 0, and",
	"k*ldb*4 fits in an int32.",
}

// sparseBlock is the number of values of a row of A compressed at a time
// into the stack buffers (values, then byte offsets), 16 more for the
// full-vector stores of the last chunk.
const sparseBlock = 128

const (
	sparseValsOff = 0
	sparseOffsOff = 4 * (sparseBlock + 16)
	sparseFrame   = 8 * (sparseBlock + 16)
)

// iota16 is 0, 1, ..., 15: the lane numbers, to turn a chunk's start into
// its 16 column indices.
var iota16 Mem

func iotaData() {
	iota16 = GLOBL("sparseIota", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(i))
	}
}

// sparseCompress emits phase one for one block of a row of A: for columns
// p0 ≤ q < min(p0+sparseBlock, k), every non-zero A[q] is appended to the
// buffers at vp as its value and as q·stride (bytes, in Z16's lanes). It
// leaves the count in cnt. The block's whole chunks of 16 run in a tight
// loop that keeps the chunk's 16 byte offsets in Z18, stepped by Z19 (16
// strides); a last partial chunk, at k, is loaded under kmask (K3). Branches
// depend on k only, so they predict.
func sparseCompress(name string, a, k, p0, cnt, vp Register) {
	p, end, next := GP64(), GP64(), GP64()
	XORQ(cnt, cnt)
	MOVQ(p0, p)
	MOVQ(p0, end)
	ADDQ(U32(sparseBlock), end)
	CMPQ(end, k)
	CMOVQGT(k, end) // end = min(p0+sparseBlock, k)
	VPBROADCASTD(p.As32(), Z18)
	VPADDD(iota16, Z18, Z18)
	VPMULLD(Z16, Z18, Z18) // (p + lane)·stride
	sparseChunks(name, name+"_chunked", a, p, next, end, func() { sparseAppend(cnt, vp) })
}

// sparseAppend appends the non-zeros of the chunk in Z6 (lanes compared
// with Z5 = 0; NaN counts) to the buffers at vp from entry cnt: their values
// and their byte offsets from Z18, compressed to the front of full-vector
// stores (the buffers have 16 entries of slack), then advances cnt.
func sparseAppend(cnt, vp Register) {
	sparseAppendTo(cnt, Mem{Base: vp, Index: cnt, Scale: 4, Disp: sparseValsOff},
		Mem{Base: vp, Index: cnt, Scale: 4, Disp: sparseOffsOff})
}

// sparseAppendTo is sparseAppend with the two buffers' entry cnt at vals
// and offs.
func sparseAppendTo(cnt Register, vals, offs Mem) {
	n := GP64()
	VCMPPS(U8(4), Z6, Z5, K2) // NEQ_UQ: A ≠ 0, or NaN
	VCOMPRESSPS_Z(Z6, K2, Z13)
	VMOVUPS(Z13, vals)
	VPCOMPRESSD_Z(Z18, K2, Z15)
	VMOVUPS(Z15, offs)
	KMOVW(K2, n.As32())
	POPCNTL(n.As32(), n.As32())
	ADDQ(n, cnt)
}

// sparseEntries emits phase two: for t < cnt, entry(t, set) with t in a
// register and set alternating 0, 1 so that two entries' work overlaps.
func sparseEntries(name string, cnt Register, entry func(t Register, set int)) {
	t, tmp := GP64(), GP64()
	XORQ(t, t)
	Label(name + "_pair")
	LEAQ(Mem{Base: t, Disp: 2}, tmp)
	CMPQ(tmp, cnt)
	JG(LabelRef(name + "_single"))
	entry(t, 0)
	INCQ(t)
	entry(t, 1)
	INCQ(t)
	JMP(LabelRef(name + "_pair"))
	Label(name + "_single")
	CMPQ(t, cnt)
	JGE(LabelRef(name + "_entried"))
	entry(t, 0)
	Label(name + "_entried")
}

// bRule is the doc lines on how B is read and C written.
func bRule(inPlace bool) []string {
	if inPlace {
		return []string{"B and C are read and written in the columns that mask selects in the last",
			"vector of 16 (bit j: column j), the others whole."}
	}
	return []string{"B is read in whole vectors of 16 columns (pack it with a row stride that is a",
		"multiple of 16, zero-padded, so that every load is aligned); C is written in",
		"the columns that mask selects in the last vector (bit j: column j)."}
}

type sparseRegs struct {
	k, a, b, c, rows, vp Register
}

// sparseProlog loads the operands; stride names the parameter (ldb)
// whose rows A's column indexes, broadcast in bytes into Z16 (and times 16
// into Z19).
func sparseProlog(stride string) sparseRegs {
	var r sparseRegs
	r.k = Load(Param("k"), GP64())
	r.a = Load(Param("a"), GP64())
	r.b = Load(Param("b"), GP64())
	r.c = Load(Param("c"), GP64())
	r.rows = Load(Param("rows"), GP64())
	m := Load(Param("mask"), GP32())
	KMOVW(m, K1)
	km := Load(Param("kmask"), GP32())
	KMOVW(km, K3)
	st := Load(Param(stride), GP64()).(GPVirtual)
	SHLQ(U8(2), st)
	VPBROADCASTD(st.As32(), Z16)
	VPSLLD(U8(4), Z16, Z19) // 16 strides: from one chunk's offsets to the next's
	VXORPS(Z5, Z5, Z5)
	VMOVUPS(iota16, Z14)
	r.vp = GP64()
	LEAQ(AllocLocal(sparseFrame), r.vp)
	return r
}

// advance adds a stride parameter, in elements, to a pointer as bytes.
func advance(ptr Register, param string) {
	t := Load(Param(param), GP64())
	SHLQ(U8(2), t)
	ADDQ(t, ptr)
}

// sparseGemm emits sparseGemmAVX512x{16v}: C = A·B + beta·C, A sparse.
// With inPlace it emits sparseGemmInPlaceAVX512x{16v}, which reads B as it
// is (any row stride), its last vector k-masked: slower per non-zero, since
// most loads straddle cache lines, but it needs no packing, which is what
// costs most when A has a single row (one image at inference).
func sparseGemm(v int, inPlace bool) {
	name := fmt.Sprintf("sparseGemmAVX512x%d", 16*v)
	if inPlace {
		name = fmt.Sprintf("sparseGemmInPlaceAVX512x%d", 16*v)
	}
	TEXT(name, 0, "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, beta float32, rows int, mask uint16, kmask uint16)")
	Pragma("noescape")
	Doc(append([]string{name + " computes, for i < rows and the columns j of " + fmt.Sprint(v) + " vector(s) of 16,",
		"", "\tc[i*ldc+j] = Σ_{p<k, a[i*lda+p] ≠ 0} a[i*lda+p]*b[p*ldb+j] + beta*c[i*ldc+j]", "",
		"The non-zeros of a row, in ascending p, alternate between two float32",
		"accumulators (fused multiply-adds), added together at the end of the row;",
		"then beta*c is added by one more fused multiply-add (beta == 0: C is not read).",
	}, append(bRule(inPlace), sparseContract...)...)...)
	r := sparseProlog("ldb")
	p0, cnt := GP64(), GP64()
	sparseRows(name, r.rows, func() {
		sparseZeroAcc(v)
		XORQ(p0, p0)
		Label(name + "_block")
		CMPQ(p0, r.k)
		JGE(LabelRef(name + "_rowsum"))
		sparseCompress(name, r.a, r.k, p0, cnt, r.vp)
		off := GP64()
		sparseEntries(name, cnt, func(t Register, set int) {
			VBROADCASTSS(Mem{Base: r.vp, Index: t, Scale: 4, Disp: sparseValsOff}, sparseX[set])
			MOVLQZX(Mem{Base: r.vp, Index: t, Scale: 4, Disp: sparseOffsOff}, off)
			for j := 0; j < v; j++ {
				if inPlace && j == v-1 {
					VFMADD231PS(Mem{Base: r.b, Index: off, Scale: 1, Disp: 64 * j}, sparseX[set], K1, sparseAcc(set, j))
				} else {
					VFMADD231PS(Mem{Base: r.b, Index: off, Scale: 1, Disp: 64 * j}, sparseX[set], sparseAcc(set, j))
				}
			}
		})
		ADDQ(U32(sparseBlock), p0)
		JMP(LabelRef(name + "_block"))
		Label(name + "_rowsum")
		sparseRowEnd(name, v, r.c)
		advance(r.a, "lda")
		advance(r.c, "ldc")
	})
}

// sparseRowEnd emits the end of a row of C: the two accumulator sets added,
// beta·C added by a fused multiply-add unless beta is 0, the result stored
// (the last vector under the column mask K1).
func sparseRowEnd(name string, v int, c Register) {
	acc := sparseAcc
	for j := 0; j < v; j++ {
		VADDPS(acc(1, j), acc(0, j), acc(0, j))
	}
	beta := Z17
	VBROADCASTSS(asm.ParamAddr("beta"), beta)
	VUCOMISS(Z5.AsX(), beta.AsX())
	JNE(LabelRef(name + "_beta"))
	JPS(LabelRef(name + "_beta"))
	JMP(LabelRef(name + "_store"))
	Label(name + "_beta")
	for j := 0; j < v; j++ {
		if j == v-1 {
			VFMADD231PS(Mem{Base: c, Disp: 64 * j}, beta, K1, acc(0, j))
		} else {
			VFMADD231PS(Mem{Base: c, Disp: 64 * j}, beta, acc(0, j))
		}
	}
	Label(name + "_store")
	for j := 0; j < v; j++ {
		if j == v-1 {
			VMOVUPS(acc(0, j), K1, Mem{Base: c, Disp: 64 * j})
		} else {
			VMOVUPS(acc(0, j), Mem{Base: c, Disp: 64 * j})
		}
	}
}

// countNonzero emits countNonzeroVec: how many of n values (n a multiple of
// 8) are not ±0, NaN counting as non-zero, to choose between the sparse and
// the dense product.
func countNonzero() {
	TEXT("countNonzeroVec", NOSPLIT, "func(x *float32, n int) int")
	Pragma("noescape")
	Doc("countNonzeroVec returns the number of x[i], i < n (n a multiple of 8), that are",
		"not ±0 (NaN counts as non-zero).")
	x := Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	cnt, bits := GP64(), GP64()
	XORQ(cnt, cnt)
	zero, t := YMM(), YMM()
	VXORPS(zero, zero, zero)
	Label("count_loop")
	CMPQ(n, U8(8))
	JL(LabelRef("count_done"))
	VCMPPS(U8(4), Mem{Base: x}, zero, t)
	VMOVMSKPS(t, bits.As32())
	POPCNTL(bits.As32(), bits.As32())
	ADDQ(bits, cnt)
	ADDQ(U8(32), x)
	SUBQ(U8(8), n)
	JMP(LabelRef("count_loop"))
	Label("count_done")
	Store(cnt, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
