package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/goras-ml/goras/internal/kernel/_asm/internal/asm"
)

// fastTile is what fastLoops needs of a tile body being emitted.
type fastTile struct {
	asm.Operands
	name  string
	rows  int
	step  func(aAt func(i int) Mem, bAt func(j int) Mem, whole bool)
	bRow  func(j int) Mem
	store string // where the sums are stored
}

// fastLoops emits the depth loops of a full tile (all 32 columns) whose A
// is contiguous one way, which jump to store when done; other tiles fall
// through to the general loop that follows. Two things the general loop
// cannot do make them faster, measured on an Intel Xeon (AMX generation):
//   - B's rows load whole: a masked load costs the FMA ports a cycle
//     there;
//   - two depth steps a pass, A's second value at a constant offset,
//     halve the pointer updates and the loop's branches.
//
// The first takes A's rows contiguous (csa = 1: A in place and not
// transposed, as in X·W or a shifted convolution's windows); with it 512³
// went from 150 to 167 GFLOP/s on one core there (BENCH.md, round 6).
// The second takes A's columns contiguous (rsa = 1: A transposed or packed
// in columns, as in the shifted convolution's weight gradient, xᵀ·dy):
// one base reaches all the tile's rows, and A's next columns, read from memory when
// the gradient starts on a sample, are prefetched prefetchSteps ahead.
//
// Both add the sums in the general loop's order, so a tile gives the same
// bits on any of the three.
func fastLoops(t fastTile) {
	general := fmt.Sprintf("%s_rows%d_general", t.name, t.rows)
	KANDW(K1, K2, K3)
	KORTESTW(K3, K3) // CF: every column
	JCC(LabelRef(general))
	contiguousLoops(t, general)
	Label(general)
}

// contiguousLoops emits the rows loop where csa = 1, else the columns loop
// where rsa = 1, else a jump to general.
func contiguousLoops(t fastTile, general string) {
	cols := fmt.Sprintf("%s_rows%d_cols", t.name, t.rows)
	CMPQ(t.CS, U8(4))
	JNE(LabelRef(cols))
	rowsLoop(t)
	Label(cols)
	CMPQ(t.RS, U8(4))
	JNE(LabelRef(general))
	a, cs := t.Bases[0], t.CS
	var prefetch func(s int)
	if prefetchSteps > 0 {
		// A(0, p+d) and A(rows-1, p+d): a column may straddle two lines.
		pf, pf1 := GP64(), GP64()
		IMUL3Q(U32(prefetchSteps), cs, pf)
		LEAQ(Mem{Base: pf, Index: cs, Scale: 1}, pf1)
		prefetch = func(s int) {
			at := []Register{pf, pf1}[s]
			PREFETCHT0(Mem{Base: a, Index: at, Scale: 1})
			PREFETCHT0(Mem{Base: a, Index: at, Scale: 1, Disp: 4 * (t.rows - 1)})
		}
	}
	pairLoop(t, "cols", func(i, s int) Mem {
		m := Mem{Base: a, Disp: 4 * i}
		if s == 1 {
			m.Index, m.Scale = cs, 1
		}
		return m
	}, func() { LEAQ(Mem{Base: a, Index: cs, Scale: 2}, a) }, prefetch)
}

// rowsLoop emits the loop for A's rows contiguous: A(i, p+1) 4 bytes past
// A(i, p), every base moved on 8 bytes a pass.
func rowsLoop(t fastTile) {
	pairLoop(t, "rows", func(i, s int) Mem { m := t.ARow(i); m.Disp = 4 * s; return m }, func() {
		for _, base := range t.Bases {
			ADDQ(U8(8), base)
		}
	}, nil)
}

// prefetchSteps is how many depth steps ahead the columns loop asks for A
// (0: not at all). On the Xeon the bounty CNN's weight gradients ran 1–8 %
// faster with it than without, at 8, 16 or 32 alike.
const prefetchSteps = 16

// pairLoop emits one fast loop: pairs of depth steps, A(i, p+s) at
// aAt(i, s), advance moving A on by two steps, prefetch (if not nil)
// called before step s; then the odd last step, and a jump to store.
func pairLoop(t fastTile, kind string, aAt func(i, s int) Mem, advance func(), prefetch func(s int)) {
	pair := fmt.Sprintf("%s_rows%d_%s_pair", t.name, t.rows, kind)
	last := fmt.Sprintf("%s_rows%d_%s_last", t.name, t.rows, kind)
	n := GP64()
	MOVQ(t.K, n)
	SHRQ(U8(1), n)
	JZ(LabelRef(last))
	Label(pair)
	for s := 0; s < 2; s++ {
		if prefetch != nil {
			prefetch(s)
		}
		t.step(func(i int) Mem { return aAt(i, s) }, func(j int) Mem {
			m := t.bRow(j)
			if s == 1 {
				m.Index, m.Scale = t.LB, 1
			}
			return m
		}, true)
	}
	LEAQ(Mem{Base: t.B, Index: t.LB, Scale: 2}, t.B)
	advance()
	DECQ(n)
	JNZ(LabelRef(pair))
	Label(last)
	TESTQ(U32(1), t.K)
	JZ(LabelRef(t.store))
	t.step(func(i int) Mem { return aAt(i, 0) }, t.bRow, true)
	JMP(LabelRef(t.store))
}

// avx2Fast is fastLoops for the AVX2 tile: where every column of the
// last vector is wanted (the mask's eight sign bits set) and A is
// contiguous one way, B's last vector loads whole (VMASKMOVPS costs an ALU
// slot besides its load on Intel cores) and each pass does two depth
// steps. Same sums in the same order as the general loop after it.
func avx2Fast(vmask VecPhysical, t fastTile) {
	general := fmt.Sprintf("%s_rows%d_general", t.name, t.rows)
	bits := GP32()
	VMOVMSKPS(vmask, bits)
	CMPL(bits, U32(0xff))
	JNE(LabelRef(general))
	contiguousLoops(t, general)
	Label(general)
}
