// Command convtile generates the amd64 direct-convolution tile of package
// kernel (conv_tile_amd64.s) with avo. Run it through go generate in
// package kernel.
//
// The tile is the GEMM tile of _asm/main.go (up to 14 output pixels × 32
// output channels in 28 zmm accumulators, B's row in two more, each A
// value broadcast into one of the last two) with what a convolution needs
// around it: the depth is KH window rows of k1 contiguous values each, A
// jumping to the next input row between them, so one call covers a whole
// window and C is written once; and the epilogue (per-channel scale and
// shift, ReLU) is applied to the accumulators before that one store.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

// unroll is how many depth steps one pass of the inner loop does, with
// constant displacements for A and index forms for B.
const unroll = 4

const maxRows = 14

func main() {
	ConstraintExpr("amd64,!purego")
	tile()
	Generate()
}

func tile() {
	const name = "convTileAVX512x32"
	TEXT(name, NOSPLIT, "func(k1 int, kh int, a *float32, rsa int, ars int, b *float32, ldb int, c *float32, ldc int, scale *float32, shift *float32, flags int, rows int, mask uint32)")
	Pragma("noescape")
	Doc(name+" computes up to 14 output pixels × 32 output channels of a",
		"convolution whose window is kh rows of k1 contiguous input values:",
		"",
		"\tfor i < rows, j < cols (bit j of mask), with a float32 accumulator",
		"\tfused-multiply-added in this order:",
		"\t\tacc := float32(0)",
		"\t\tfor ky := 0; ky < kh; ky++ {",
		"\t\t\tfor q := 0; q < k1; q++ {",
		"\t\t\t\tacc = fma(a[i*rsa+ky*ars+q], b[(ky*k1+q)*ldb+j], acc)",
		"\t\t\t}",
		"\t\t}",
		"\t\tv := acc",
		"\t\tif flags&convScale != 0 { v = fma(v, scale[j], shift[j]) }",
		"\t\telse if flags&convShift != 0 { v = v + shift[j] }",
		"\t\tif flags&convReLU != 0 { v = v > 0 ? v : 0 }  (NaN gives 0)",
		"\t\tc[i*ldc+j] = v",
		"",
		"k1, kh, rows ≥ 1, rows ≤ 14. Only the elements named are read or written.")
	asm.Dispatch("rows", maxRows, "rows%d")
	for r := maxRows; r >= 1; r-- {
		body(r)
	}
}

// body emits the tile for a static number of rows, so that the
// accumulators are registers.
func body(rows int) {
	Label(fmt.Sprintf("rows%d", rows))
	acc := func(i, j int) VecPhysical { return asm.Zmm[2*i+j] }
	bz := func(j int) VecPhysical { return asm.Zmm[28+j] }
	masks := asm.ColumnMasks(2)

	a := Load(Param("a"), GP64())
	rs := Load(Param("rsa"), GP64())
	SHLQ(U8(2), rs)
	rs3 := asm.Times3(rs)
	bases := asm.RowBases(a, rs, rows)
	aAt := func(i, s int) Mem {
		mem := asm.Row(bases, rs, rs3, i)
		mem.Disp = 4 * s
		return mem
	}
	b := Load(Param("b"), GP64())
	lb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), lb)
	lb3 := asm.Times3(lb)
	bAt := func(s, j int) Mem {
		mem := asm.Step(b, lb, lb3, s)
		mem.Disp = 64 * j
		return mem
	}
	asm.ZeroAcc(rows, 2, acc)
	// step emits one depth step, B's row masked unless whole.
	step := func(s int, whole bool) {
		for j := 0; j < 2; j++ {
			if whole {
				VMOVUPS(bAt(s, j), bz(j))
			} else {
				VMOVUPS_Z(bAt(s, j), masks[j], bz(j))
			}
		}
		// A(i, p) is broadcast once into a register for both vectors:
		// an FMA with a broadcast operand loads it again for each, 30
		// loads a step where the core does 2 a cycle.
		for i := 0; i < rows; i++ {
			av := asm.Zmm[30+i%2]
			VBROADCASTSS(aAt(i, s), av)
			for j := 0; j < 2; j++ {
				VFMADD231PS(av, bz(j), acc(i, j))
			}
		}
	}
	// adj is what takes the bases from the end of one window row to the
	// start of the next: (ars - k1)·4 bytes.
	adj := Load(Param("ars"), GP64())
	k1 := Load(Param("k1"), GP64())
	SUBQ(k1, adj)
	SHLQ(U8(2), adj)
	kh := Load(Param("kh"), GP64())
	k := GP64()
	p := func(s string) string { return fmt.Sprintf("rows%d_%s", rows, s) }

	// A tile of all 32 channels takes a copy of the loops that loads B's
	// rows whole: a masked load costs the FMA ports a cycle on an Intel
	// Xeon (internal/kernel/BENCH.md, round 6). The sums are the same.
	KANDW(K1, K2, K3)
	KORTESTW(K3, K3) // CF: every column
	JCC(LabelRef(p("masked")))
	windowLoops(true, step, bases, b, lb, adj, k1, kh, k, func(s string) string { return p("whole_" + s) })
	JMP(LabelRef(p("done")))
	Label(p("masked"))
	windowLoops(false, step, bases, b, lb, adj, k1, kh, k, p)
	Label(p("done"))

	epilogue(rows, acc, masks, p)
}

// windowLoops emits the depth loops over a window: KH rows of k1 steps
// each, unroll steps a pass and the rest one by one, B's rows masked
// unless whole.
func windowLoops(whole bool, step func(s int, whole bool), bases []Register,
	b, lb, adj, k1, kh, k Register, p func(string) string) {
	Label(p("row"))
	MOVQ(k1, k)
	SUBQ(U8(unroll), k)
	JL(LabelRef(p("tail")))
	Label(p("main"))
	for s := 0; s < unroll; s++ {
		step(s, whole)
	}
	LEAQ(Mem{Base: b, Index: lb, Scale: 4}, b)
	for _, base := range bases {
		ADDQ(U8(4*unroll), base)
	}
	SUBQ(U8(unroll), k)
	JGE(LabelRef(p("main")))
	Label(p("tail"))
	ADDQ(U8(unroll), k)
	JZ(LabelRef(p("rowdone")))
	Label(p("tailloop"))
	step(0, whole)
	ADDQ(lb, b)
	for _, base := range bases {
		ADDQ(U8(4), base)
	}
	DECQ(k)
	JNZ(LabelRef(p("tailloop")))
	Label(p("rowdone"))
	for _, base := range bases {
		ADDQ(adj, base)
	}
	DECQ(kh)
	JNZ(LabelRef(p("row")))
}

// epilogue applies the scale and shift, or the shift, then the ReLU, and
// stores the accumulators, masked.
func epilogue(rows int, acc func(i, j int) VecPhysical, masks []Register, p func(string) string) {
	flags := Load(Param("flags"), GP64())
	sc, sh := asm.Zmm[28:30], asm.Zmm[30:32]
	TESTQ(U32(asm.ConvShift|asm.ConvScale), flags)
	JZ(LabelRef(p("relu")))
	shp := Load(Param("shift"), GP64())
	for j := 0; j < 2; j++ {
		VMOVUPS_Z(Mem{Base: shp, Disp: 64 * j}, masks[j], sh[j])
	}
	TESTQ(U32(asm.ConvScale), flags)
	JZ(LabelRef(p("shift")))
	scp := Load(Param("scale"), GP64())
	for j := 0; j < 2; j++ {
		VMOVUPS_Z(Mem{Base: scp, Disp: 64 * j}, masks[j], sc[j])
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < 2; j++ {
			VFMADD213PS(sh[j], sc[j], acc(i, j))
		}
	}
	JMP(LabelRef(p("relu")))
	Label(p("shift"))
	for i := 0; i < rows; i++ {
		for j := 0; j < 2; j++ {
			VADDPS(sh[j], acc(i, j), acc(i, j))
		}
	}
	Label(p("relu"))
	TESTQ(U32(asm.ConvReLU), flags)
	JZ(LabelRef(p("store")))
	zero := asm.Zmm[28]
	VXORPS(zero, zero, zero)
	for i := 0; i < rows; i++ {
		for j := 0; j < 2; j++ {
			VMAXPS(zero, acc(i, j), acc(i, j)) // acc > 0 ? acc : 0
		}
	}
	Label(p("store"))
	c := Load(Param("c"), GP64())
	lc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), lc)
	for i := 0; i < rows; i++ {
		for j := 0; j < 2; j++ {
			VMOVUPS(acc(i, j), masks[j], Mem{Base: c, Disp: 64 * j})
		}
		if i < rows-1 {
			ADDQ(lc, c)
		}
	}
	VZEROUPPER()
	RET()
}
