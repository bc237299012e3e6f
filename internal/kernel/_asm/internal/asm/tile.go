package asm

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The parts of a GEMM tile (C = alpha·A·B + beta·C on up to 14 rows, the
// float32 tiles of _asm and the bfloat16 ones of _asm/bf16) that do not
// depend on the element type: the operands, the general depth loop and
// the epilogue that writes C.

// TileDoc documents the tile name of at most maxRows rows and cols
// columns: how mask selects the columns, then the contract, the loop the
// tile must equal, stated once per command for the stubs.
func TileDoc(name string, maxRows, cols int, contract string, maskRule ...string) {
	lines := []string{fmt.Sprintf("%s computes a tile of at most %d rows and %d columns of C;", name, maxRows, cols)}
	lines = append(append(lines, maskRule...), "")
	Doc(append(lines, strings.Split(strings.TrimPrefix(contract, "\n"), "\n")...)...)
}

// Operands are a tile's operand registers, strides in bytes: the depth k,
// A's row bases (RowBases) and its row and column strides, B and its row
// stride.
type Operands struct {
	K           Register
	Bases       []Register
	RS, RS3, CS Register
	B, LB       Register
}

// LoadOperands loads the operands of a tile of rows rows.
func LoadOperands(rows int) Operands {
	var o Operands
	o.K = Load(Param("k"), GP64())
	o.Bases, o.RS, o.RS3, o.CS = LoadA(rows)
	o.B = Load(Param("b"), GP64())
	o.LB = Load(Param("ldb"), GP64())
	SHLQ(U8(2), o.LB)
	return o
}

// LoadA loads A's pointer and strides (in bytes) and one base register per
// five rows; the bases advance by csa each step.
func LoadA(rows int) (bases []Register, rs, rs3, cs Register) {
	a := Load(Param("a"), GP64())
	rs = Load(Param("rsa"), GP64())
	SHLQ(U8(2), rs)
	cs = Load(Param("csa"), GP64())
	SHLQ(U8(2), cs)
	rs3 = Times3(rs)
	return RowBases(a, rs, rows), rs, rs3, cs
}

// ARow is the address of A(i, p) for the current depth step p.
func (o Operands) ARow(i int) Mem { return Row(o.Bases, o.RS, o.RS3, i) }

// Loop emits the general depth loop at label: step, then B one row on and
// A one column on, k times.
func (o Operands) Loop(label string, step func()) {
	Label(label)
	step()
	ADDQ(o.LB, o.B)
	for _, base := range o.Bases {
		ADDQ(o.CS, base)
	}
	DECQ(o.K)
	JNZ(LabelRef(label))
}

// ColumnMasks loads the parameter mask, a bit per column, into K1 (columns
// 0–15) and, for w = 2 vectors, K2 (columns 16–31); it returns them in
// that order.
func ColumnMasks(w int) []Register {
	m := Load(Param("mask"), GP32())
	KMOVW(m, K1)
	if w == 2 {
		SHRL(U8(16), m)
		KMOVW(m, K2)
	}
	return []Register{K1, K2}
}

// ZeroAcc zeroes the accumulators of rows rows of w vectors.
func ZeroAcc(rows, w int, acc func(i, j int) VecPhysical) {
	for i := 0; i < rows; i++ {
		for j := 0; j < w; j++ {
			VXORPS(acc(i, j), acc(i, j), acc(i, j))
		}
	}
}

// StoreTile scales the accumulators by alpha and writes them to C, adding
// beta·C unless beta is zero (then C is not read, so NaN there is ignored).
//
// reg(r, j) names register r in the class of the tile's j-th vector; alpha,
// beta and the C temporary use registers 30, 31 and 28 (12, 13 and 14 for
// AVX2, passed as 30-18 etc. by the caller's reg).
func StoreTile(name string, rows, w, vecBytes int, acc func(i, j int) VecPhysical,
	load func(Mem, int, VecPhysical), store func(VecPhysical, int, Mem),
	reg func(r, j int) VecPhysical) {
	valpha, vbeta, tmp := reg(30, 0), reg(31, 0), reg(28, 0)
	VBROADCASTSS(ParamAddr("alpha"), valpha)
	for i := 0; i < rows; i++ {
		for j := 0; j < w; j++ {
			VMULPS(reg(30, j), acc(i, j), acc(i, j))
		}
	}
	c := Load(Param("c"), GP64())
	lc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), lc)
	// VEX/EVEX forms only: legacy SSE cannot name X16–X31.
	VBROADCASTSS(ParamAddr("beta"), vbeta)
	VXORPS(tmp.AsX(), tmp.AsX(), tmp.AsX())
	VUCOMISS(tmp.AsX(), vbeta.AsX())
	withBeta := fmt.Sprintf("%s_rows%d_beta", name, rows)
	JNE(LabelRef(withBeta))
	JPS(LabelRef(withBeta)) // NaN beta: unordered, take the general path
	for i := 0; i < rows; i++ {
		for j := 0; j < w; j++ {
			store(acc(i, j), j, Mem{Base: c, Disp: vecBytes * j})
		}
		if i < rows-1 {
			ADDQ(lc, c)
		}
	}
	VZEROUPPER()
	RET()
	Label(withBeta)
	for i := 0; i < rows; i++ {
		for j := 0; j < w; j++ {
			load(Mem{Base: c, Disp: vecBytes * j}, j, reg(28, j))
			VFMADD231PS(reg(31, j), reg(28, j), acc(i, j))
			store(acc(i, j), j, Mem{Base: c, Disp: vecBytes * j})
		}
		if i < rows-1 {
			ADDQ(lc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// StoreMasked is StoreTile for the AVX-512 tiles: vectors 64 bytes apart,
// vector j's columns selected by masks[j] (ColumnMasks), which every load
// and store of C takes.
func StoreMasked(name string, rows, w int, masks []Register, acc func(i, j int) VecPhysical, reg func(r, j int) VecPhysical) {
	StoreTile(name, rows, w, 64, acc, func(mem Mem, j int, dst VecPhysical) {
		VMOVUPS_Z(mem, masks[j], dst)
	}, func(src VecPhysical, j int, mem Mem) {
		VMOVUPS(src, masks[j], mem)
	}, reg)
}
