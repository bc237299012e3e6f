package kernel

import (
	"fmt"
	"math"
	"sync/atomic"
)

// bfloat16 products: Keras's mixed_bfloat16 policy. A bfloat16 is the top
// half of a float32 (sign, 8-bit exponent, 7-bit mantissa), so widening
// one is a 16-bit shift and the product of two is exact in float32. The
// products here round both operands to bfloat16 (nearest, ties to even)
// and accumulate in float32; weights, gradients and outputs stay float32.
//
// Operands are packed as pairs along the depth: one uint32 holds elements
// p (low half) and p+1 (high half), the layout VDPBF16PS consumes, and a
// step of a tile multiplies a pair of A by a pair of B per lane. The
// packing routines are where float32 becomes bfloat16.

// bf16Bits rounds f to bfloat16 as VCVTNEPS2BF16 does: to nearest, ties to
// even; a NaN stays a (quiet) NaN; zero and denormals become a zero of f's
// sign (the instruction treats denormals as zero).
func bf16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	switch {
	case b&0x7f800000 == 0:
		return uint16(b>>16) & 0x8000
	case b&0x7fffffff > 0x7f800000:
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// RoundBF16 returns f rounded to bfloat16 and widened back to float32: the
// value a bfloat16 product uses for f (see GemmBF16).
func RoundBF16(f float32) float32 { return math.Float32frombits(uint32(bf16Bits(f)) << 16) }

// lo and hi widen the two bfloat16 of a pair.
func bf16Lo(x uint32) float32 { return math.Float32frombits(x << 16) }
func bf16Hi(x uint32) float32 { return math.Float32frombits(x & 0xffff0000) }

// bf16Kernel is one implementation of the bfloat16 tile and of the packing
// routines that feed it, with the blocking that suits it. kc counts
// float32 values of depth (pairs: kc/2).
type bf16Kernel struct {
	name       string
	mr, nr     int
	mc, kc, nc int

	// tile computes, for i < rows ≤ mr and j < cols ≤ nr, over k pairs,
	//	acc = Σ_q hi(A[i*rsa+q*csa])·hi(B[q*ldb+j]) + lo(…)·lo(…)
	//	C[i*ldc+j] = alpha*acc + beta*C[i*ldc+j]
	// beta == 0 meaning C is not read. The pure-Go and AVX512_BF16 tiles
	// add in that order (q ascending, the high half first, each product
	// with one rounding); the AMX tile in TDPBF16PS's own. A tile may read
	// all nr columns of B whatever cols is (only cols are stored), so B
	// must hold nr columns from j = 0: the packed panels do.
	tile func(k int, a []uint32, rsa, csa int, b []uint32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int)
	// segTile, where the tile can do it faster than a call per segment,
	// is tileSegs for this kernel; nil runs tileSegsEach.
	segTile func(segs, segA, segB, k int, a []uint32, rsa int, b []uint32, ldb int, c []float32, ldc int, beta float32, rows, cols int)
	// cvt sets dst[q] = bf16(src[2q]) | bf16(src[2q+1])<<16 for
	// q < (len(src)+1)/2, a missing last value counting as zero.
	cvt func(dst []uint32, src []float32)
	// pair sets dst[i] = bf16(lo[i]) | bf16(hi[i])<<16 for i < len(lo).
	pair func(dst []uint32, lo, hi []float32)
	// transpose sets dst[p*ld+i] = src[i*lds+p] for i < rows, p < cols.
	transpose func(dst []uint32, ld int, src []uint32, lds, rows, cols int)
	// rowsA says the tile is fastest when each row of A holds its pairs
	// contiguously (csa = 1): GemmBF16 then packs a transposed A that way
	// too, at the cost of a transpose.
	rowsA bool
}

// genericBF16 is the pure-Go reference: the tile of every build without
// the assembly, and what the assembly is tested against.
var genericBF16 = bf16Kernel{
	name: "purego",
	mr:   4, nr: 4,
	mc: 64, kc: 512, nc: 1024,
	tile: tileBF16Generic, cvt: cvtBF16Generic, pair: pairBF16Generic, transpose: transpose32,
}

// activeBF16 is the implementation GemmBF16 and Conv2DBF16 use;
// bf16Kernels lists every one usable here, the reference first.
var (
	activeBF16  = &genericBF16
	bf16Kernels = []*bf16Kernel{&genericBF16}
)

// tileSegs is the tile over a depth made of segs segments of k pairs:
// segment s reads A at a[s·segA:] (rows rsa apart, pairs contiguous) and
// B at b[s·segB:], so
//
//	C[i*ldc+j] = Σ_s acc_s + beta·C[i*ldc+j]
//
// each acc_s being the tile's sum over segment s. A convolution's kernel
// rows are such segments (the same pixels' windows a padded image row
// further, B's packed rows going on: segB = k·ldb), and so are the samples
// of a weight gradient.
func (kern *bf16Kernel) tileSegs(segs, segA, segB, k int, a []uint32, rsa int, b []uint32, ldb int, c []float32, ldc int, beta float32, rows, cols int) {
	if kern.segTile != nil {
		kern.segTile(segs, segA, segB, k, a, rsa, b, ldb, c, ldc, beta, rows, cols)
		return
	}
	tileSegsEach(kern.tile, segs, segA, segB, k, a, rsa, b, ldb, c, ldc, beta, rows, cols)
}

// tileSegsEach runs tileSegs a tile call per segment, each after the
// first adding to C.
func tileSegsEach(tile func(int, []uint32, int, int, []uint32, int, []float32, int, float32, float32, int, int), segs, segA, segB, k int, a []uint32, rsa int, b []uint32, ldb int, c []float32, ldc int, beta float32, rows, cols int) {
	for s := range segs {
		tile(k, a[s*segA:], rsa, 1, b[s*segB:], ldb, c, ldc, 1, beta, rows, cols)
		beta = 1
	}
}

func tileBF16Generic(k int, a []uint32, rsa, csa int, b []uint32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			var acc float32
			ai, bi := i*rsa, j
			for q := 0; q < k; q++ {
				x, y := a[ai], b[bi]
				acc += bf16Hi(x) * bf16Hi(y)
				acc += bf16Lo(x) * bf16Lo(y)
				ai += csa
				bi += ldb
			}
			storeC(&c[i*ldc+j], alpha, beta, acc)
		}
	}
}

func cvtBF16Generic(dst []uint32, src []float32) {
	n := len(src)
	dst = dst[:(n+1)/2]
	for q := range n / 2 {
		dst[q] = uint32(bf16Bits(src[2*q])) | uint32(bf16Bits(src[2*q+1]))<<16
	}
	if n%2 == 1 {
		dst[n/2] = uint32(bf16Bits(src[n-1]))
	}
}

func pairBF16Generic(dst []uint32, lo, hi []float32) {
	hi, dst = hi[:len(lo)], dst[:len(lo)]
	for i, v := range lo {
		dst[i] = uint32(bf16Bits(v)) | uint32(bf16Bits(hi[i]))<<16
	}
}

// transpose32 sets dst[p*ld+i] = src[i*lds+p] for i < rows, p < cols.
func transpose32(dst []uint32, ld int, src []uint32, lds, rows, cols int) {
	for i := 0; i < rows; i++ {
		for p, v := range src[i*lds : i*lds+cols] {
			dst[p*ld+i] = v
		}
	}
}

// BF16Available reports whether bfloat16 products run here at least as
// fast as float32 ones: on CPUs with AVX512_BF16 (VDPBF16PS) or AMX, and
// in builds where float32 products are pure Go too (other architectures,
// the purego tag), which then compute the same bfloat16 products in Go.
// Not on other amd64 CPUs, where GemmBF16 still works, in pure Go, far
// slower than Gemm, nor on a CPU whose AMX the OS refused (bf16Slow).
// BF16Unavailable says why not.
func BF16Available() bool { return BF16Unavailable() == "" }

// NoBF16 is BF16Unavailable's reason on a CPU without the instructions.
const NoBF16 = "this CPU has no AVX512_BF16 (VDPBF16PS) or AMX"

// BF16Unavailable says, in a clause that can follow "mixed_bfloat16: ",
// why BF16Available is false, or returns "" when it is true. Where the
// CPU has AMX it asks the OS for it first (amxAsk).
func BF16Unavailable() string {
	if amxAsk != nil {
		amxAsk()
	}
	switch {
	case bf16Slow != "":
		return bf16Slow
	case activeBF16 == &genericBF16 && active != &genericKernel:
		return NoBF16
	}
	return ""
}

// bf16Slow, when set (by amxAsk, bf16_amx_amd64.go), says why this CPU's
// bfloat16 products, though it has the instructions, would run slower
// than its float32 ones; amxAsk, where set, asks for AMX once.
var (
	bf16Slow string
	amxAsk   func()
)

// BF16Name names the implementation of the bfloat16 products: "amx"
// (Intel's tiles), "avx512bf16" (VDPBF16PS) or "purego", followed by
// " (not used: slower than float32 here)" where BF16Available says no.
func BF16Name() string {
	if !BF16Available() {
		return activeBF16.name + " (not used: slower than float32 here)"
	}
	return activeBF16.name
}

// bf16On is SetBF16Products' switch.
var bf16On atomic.Bool

// SetBF16Products asks the ops built from now on (matrix products and
// convolutions) to multiply bfloat16-rounded operands, accumulating in
// float32, and reports whether they will: not when on is false, nor where
// BF16Available says no. Ops already built keep their precision.
func SetBF16Products(on bool) bool {
	on = on && BF16Available()
	bf16On.Store(on)
	return on
}

// BF16Products reports whether ops built now use bfloat16 products (see
// SetBF16Products). Default false.
func BF16Products() bool { return bf16On.Load() }

// GemmBF16 is Gemm with bfloat16 products: C = alpha*op(A)*op(B) + beta*C
// with the same shapes, strides and beta == 0 rule, where every element of
// A and B is first rounded to bfloat16 (RoundBF16) and the products, exact
// in float32, are summed in float32 along the depth, in an order that
// depends on the implementation (BF16Name): p+1 before p and the pairs in
// ascending order on VDPBF16PS and in pure Go, TDPBF16PS's order on AMX.
// The result differs from Gemm's by the rounding of the operands, a
// relative 2^-8 per product at most. As Gemm, it is bit-identical on any
// number of workers.
func GemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmBF16Run(activeBF16, true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func gemmBF16Run(kern *bf16Kernel, mayParallel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if gemmTrivial(m, n, k, alpha, beta, c, ldc) {
		return
	}
	j := bf16JobFree.get()
	*j = bf16Job{kern: kern, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	// Strips on the tile grid anchored at 0, as Gemm's: the same tiles
	// with the same operands whatever the number of workers and however
	// C is cut. Each worker packs all of the operand its strips share
	// (op(B) for strips of rows) and its part of the other, so C is cut
	// along its longer side, unless too few strips of columns would leave
	// a worker idle: best's Dense 3136→256 at batch 128 (C 128×256) had
	// each worker pack all its 3136×256 weights in strips of rows.
	rowTiles, colTiles := ceilDiv(m, kern.mr), ceilDiv(n, kern.nr)
	j.byRows = m >= n || colTiles < min(Workers(), rowTiles)
	units := colTiles
	if j.byRows {
		units = rowTiles
	}
	if m*n*k < parallelMinWork || !mayParallel {
		j.Run(0, units)
	} else {
		Parallel(units, 1, j)
	}
	bf16JobFree.putZeroed(j)
}

// bf16Job carries one GemmBF16 call to the pool.
type bf16Job struct {
	kern           *bf16Kernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	byRows         bool
}

// Run computes strips [lo, hi) of C: of mr rows when byRows, else of nr
// columns.
func (g *bf16Job) Run(lo, hi int) {
	ws := getBF16Workspace(g.kern)
	if g.byRows {
		g.region(lo*g.kern.mr, min(hi*g.kern.mr, g.m), 0, g.n, ws)
	} else {
		g.region(0, g.m, lo*g.kern.nr, min(hi*g.kern.nr, g.n), ws)
	}
	bf16WSFree.put(ws)
}

// region computes rows [i0, i1) × columns [j0, j1) of C with Gemm's
// blocking; both operands are always packed, since packing is where they
// become bfloat16 pairs.
func (g *bf16Job) region(i0, i1, j0, j1 int, ws *bf16Workspace) {
	kern := g.kern
	mr, nr, mc, kc, nc := kern.mr, kern.nr, kern.mc, kern.kc, kern.nc
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			kp := (kb + 1) / 2
			beta := g.beta
			if pc > 0 {
				beta = 1 // later depth blocks accumulate onto the first
			}
			g.packB(ws, pc, jc, kb, nb)
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				rsa, csa, pstep := g.packA(ws, ic, pc, mb, kb)
				for jr := 0; jr < nb; jr += nr {
					bp := ws.b[(jr/nr)*kp*nr:]
					for ir := 0; ir < mb; ir += mr {
						ct := g.c[(ic+ir)*g.ldc+jc+jr:]
						kern.tile(kp, ws.a[(ir/mr)*pstep:], rsa, csa, bp, nr, ct, g.ldc, g.alpha, beta, min(mr, mb-ir), min(nr, nb-jr))
					}
				}
			}
		}
	}
}

// packA packs the mb×kb block of op(A) at (i0, p0) as kp = ⌈kb/2⌉ pairs
// per row and returns the strides the tile reads it with. When A's rows
// are its depth, each row becomes kp pairs in a panel of mr rows
// (rsa = kp, csa = 1); when A is transposed, two stored rows make one
// step of mb pairs for the whole block (rsa = 1, csa = mb), so that each
// packing call is long, and a tile's rows start mr pairs apart; for a
// kernel with rowsA that block is then turned into the first layout.
func (g *bf16Job) packA(ws *bf16Workspace, i0, p0, mb, kb int) (rsa, csa, panel int) {
	kern, mr, kp := g.kern, g.kern.mr, (kb+1)/2
	if g.transA && kern.rowsA {
		pairRows(kern, ws.t, mb, g.a[p0*g.lda+i0:], g.lda, mb, kb, ws.zero)
		kern.transpose(ws.a, kp, ws.t, mb, kp, mb)
		return kp, 1, mr * kp
	}
	if g.transA {
		pairRows(kern, ws.a, mb, g.a[p0*g.lda+i0:], g.lda, mb, kb, ws.zero)
		return 1, mb, mr
	}
	for i := 0; i < mb; i++ {
		kern.cvt(ws.a[i*kp:(i+1)*kp], g.a[(i0+i)*g.lda+p0:][:kb])
	}
	return kp, 1, mr * kp
}

// packB packs the kb×nb block of op(B) at (p0, j0) into panels of nr
// columns: panel q holds, for each pair step, nr pairs contiguously, so
// the tile reads B with ldb = nr. Columns past nb are not written.
func (g *bf16Job) packB(ws *bf16Workspace, p0, j0, kb, nb int) {
	kern, nr, kp := g.kern, g.kern.nr, (kb+1)/2
	for q := 0; q*nr < nb; q++ {
		cols := min(nr, nb-q*nr)
		panel := ws.b[q*kp*nr : (q+1)*kp*nr]
		if !g.transB {
			pairRows(kern, panel, nr, g.b[p0*g.ldb+j0+q*nr:], g.ldb, cols, kb, ws.zero)
			continue
		}
		// Rows of the stored B are the depth: pairs in place, then turned.
		for j := 0; j < cols; j++ {
			kern.cvt(ws.t[j*kp:(j+1)*kp], g.b[(j0+q*nr+j)*g.ldb+p0:][:kb])
		}
		kern.transpose(panel, nr, ws.t, kp, cols, kp)
	}
}

// pairRows sets dst[s*ld+i] = pair(src[2s*lds+i], src[(2s+1)*lds+i]) for
// i < n, s < ⌈kb/2⌉: the depth runs down src's rows, two rows to a pair;
// an odd last row is paired with zeros.
func pairRows(kern *bf16Kernel, dst []uint32, ld int, src []float32, lds, n, kb int, zero []float32) {
	for s := 0; 2*s < kb; s++ {
		lo := src[2*s*lds:][:n]
		var hi []float32
		if 2*s+1 < kb {
			hi = src[(2*s+1)*lds:][:n]
		} else {
			hi = zero[:n]
		}
		kern.pair(dst[s*ld:][:n], lo, hi)
	}
}

// bf16Workspace holds one worker's packed panels, the rows a transpose
// reads and a row of zeros.
type bf16Workspace struct {
	a, b, t []uint32
	zero    []float32
}

// The workers' workspaces and the jobs, kept for reuse.
var (
	bf16WSFree  freeList[bf16Workspace]
	bf16JobFree freeList[bf16Job]
)

// getBF16Workspace returns buffers big enough for kern's blocks.
func getBF16Workspace(kern *bf16Kernel) *bf16Workspace {
	ws := bf16WSFree.get()
	kp := kern.kc / 2
	if n := ceilDiv(kern.mc, kern.mr) * kern.mr * kp; len(ws.a) < n {
		ws.a = make([]uint32, n)
	}
	if n := ceilDiv(kern.nc, kern.nr) * kern.nr * kp; len(ws.b) < n {
		ws.b = make([]uint32, n)
	}
	n := kern.nr * kp // B's panel before it is turned
	if kern.rowsA {
		n = max(n, kern.mc*kp) // or A's block (packA)
	}
	if len(ws.t) < n {
		ws.t = make([]uint32, n)
	}
	if n := max(kern.mc, kern.nr); len(ws.zero) < n {
		ws.zero = make([]float32, n)
	}
	return ws
}

// checkPack panics unless the destination of a packing routine has room.
func checkPack(op string, dst, need int) {
	if dst < need {
		panic(fmt.Sprintf("kernel: %s: destination has %d pairs, needs %d", op, dst, need))
	}
}
