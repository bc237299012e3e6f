package kernel

import (
	"fmt"
	"sync/atomic"
)

// Gemm computes C = alpha*op(A)*op(B) + beta*C, all row-major.
// op(A) is m×k: A is m×k with row stride lda (lda ≥ k) when !transA, k×m with lda ≥ m when transA.
// op(B) is k×n: B is k×n (ldb ≥ n) when !transB, n×k (ldb ≥ k) when transB. C is m×n, ldc ≥ n.
// beta == 0 means C is overwritten (its old contents, even NaN, are ignored).
//
// A dense layer uses all three forms: forward Y = X·W, dX = dY·Wᵀ (transB),
// dW = Xᵀ·dY (transA). Each element of C is computed by the same sequence of
// operations whatever Workers() is, so results are bit-identical on 1 or N
// workers.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmWith(active, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// microKernel is one implementation of Gemm's innermost step, plus the
// blocking that suits it. Everything above the tile (blocking, packing,
// parallel split) is shared, so an implementation is just a tile function.
type microKernel struct {
	name   string
	mr, nr int // largest tile: rows × cols of C
	mc, kc int // rows of A and depth kept per packed block (L2 / L1 sizing)
	nc     int // columns of B per packed block

	// inPlace says the tile reads unpacked operands about as fast as packed
	// ones (true of the SIMD tiles, whose loads are cheap next to their
	// FMAs); otherwise large products always pack.
	inPlace bool

	// tile computes, for i < rows ≤ mr and j < cols ≤ nr,
	//	C[i*ldc+j] = alpha*Σ_{p<k} A[i*rsa+p*csa]*B[p*ldb+j] + beta*C[i*ldc+j]
	// summing p in ascending order into a float32 accumulator, then scaling by
	// alpha, then adding beta*C. beta == 0 means C is not read. The strides
	// let one tile function read packed panels (rsa=1, csa=mr, ldb=nr) as well
	// as A and B in place.
	tile func(k int, a []float32, rsa, csa int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, rows, cols int)

	// packTile, where not nil, is tile for a full mr×nr tile with csa = 1
	// that also copies the k rows of B it reads (nr values each, ldb apart)
	// into the packed panel dst, dst[p*nr+j] = B[p*ldb+j]. region packs B
	// with it in each panel's first tile instead of in a pass of its own.
	packTile func(k int, a []float32, rsa int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32, dst []float32)
}

// active is the implementation Gemm uses; kernels lists every implementation
// usable on this machine, the pure-Go reference first, for the conformance
// tests.
var (
	active  = &genericKernel
	kernels = []*microKernel{&genericKernel}
)

// Products below these sizes run without packing or without the pool: for
// the small matrices of an MNIST MLP, copying operands or waking goroutines
// costs more than it saves.
const (
	packMinWork      = 1 << 18 // m*n*k from which A or B may be packed
	parallelMinWork  = 1 << 21 // m*n*k from which the pool is used
	parallelMinWideB = 1 << 18 // k*n from which it is used whatever m (1 MiB of B)
)

func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernel: Gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k // rows and columns of A as stored
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkStored("A", ar, ac, len(a), lda, "lda")
	checkStored("B", br, bc, len(b), ldb, "ldb")
	checkStored("C", m, n, len(c), ldc, "ldc")
}

func checkStored(name string, rows, cols, l, ld int, ldName string) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernel: Gemm: %s is stored %d×%d but %s = %d < %d", name, rows, cols, ldName, ld, max(1, cols)))
	}
	if rows > 0 && cols > 0 && l < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernel: Gemm: %s is stored %d×%d with %s = %d, needs %d elements, has %d", name, rows, cols, ldName, ld, (rows-1)*ld+cols, l))
	}
}

func gemmWith(kern *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmRun(kern, true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmInline is Gemm with the implementation kern, run wholly on the calling
// goroutine. The convolution kernels call it from inside their own pool
// jobs, where Parallel must not nest; they split work across the pool
// themselves.
func gemmInline(kern *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmRun(kern, false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func gemmRun(kern *microKernel, mayParallel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if gemmTrivial(m, n, k, alpha, beta, c, ldc) {
		return
	}
	j, units, parallel := newGemmJob(kern, mayParallel, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	if parallel {
		Parallel(units, 1, j)
	} else {
		j.Run(0, units)
	}
	jobFree.putZeroed(j)
}

// newGemmJob sets up a checked, non-trivial product: the packing, the
// direction and share of the split, and whether it goes to the pool
// (parallel) as units strips or runs on the caller.
func newGemmJob(kern *microKernel, mayParallel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (j *gemmJob, units int, parallel bool) {
	work := m * n * k
	j = jobFree.get()
	*j = gemmJob{
		kern: kern, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
		packA: packAPolicy(kern, lda, work),
		packB: packBPolicy(kern, transB, ldb, work),
	}
	// Split C into strips along whichever dimension has more tiles. Strip
	// edges fall on the tile grid anchored at row/column 0, so every element
	// lands in the same tile, with the same operands, for any worker count.
	rowTiles, colTiles := ceilDiv(m, kern.mr), ceilDiv(n, kern.nr)
	j.byRows = splitByRows(rowTiles, colTiles, j.packA, j.packB)
	units = colTiles
	if j.byRows {
		units = rowTiles
	}
	// A product with few rows but a large B (a Dense layer at batch 1:
	// 1×3136 by 3136×256) is little work per strip yet reads B from memory
	// once whoever does it; two workers each read half of B.
	wideB := k*n >= parallelMinWideB && units >= 2
	parallel = mayParallel && (work >= parallelMinWork || wideB)
	if parallel {
		j.claim = claimSize(units, j.byRows, j.packA, j.packB)
	}
	return j, units, parallel
}

// claimSize is how many strips a worker takes at a time when they are
// shared out as the workers ask (gemmJob.Run), or 0 for one fixed share per
// worker. A worker whose core another process holds finishes a fixed share
// late, and the whole product waits for it: on this 2-core machine, with a
// PyTorch run on one core, 512³ took twice as long on two workers as on
// one. Blocks of strips handed out on demand let the free core take more
// (same conditions, alternated: 512³ on two workers, median 159 → 200
// GFLOP/s).
// Each block packs the blocks of its own operand only when the other
// operand is read in place (column strips with A in place, row strips with
// B in place); when the other operand is packed too, every block would
// pack it again, so the shares stay fixed.
// Two blocks per worker, not more: each block reads the whole of the
// operand read in place (all of A, 1 MiB, for 512³'s column strips), from
// L3 or memory, so blocks half as wide read it twice as often. On the
// Xeon, 512³ on two workers, alternated over four runs: median of each
// product's share of the FMA peak 65–83 % with four blocks per worker,
// 72–85 % with two (best products 326–334 → 332–340 GFLOP/s); one block
// per worker gave the same best products and lower medians.
func claimSize(units int, byRows, packA, packB bool) int {
	other := packA // packed by every column strip
	if byRows {
		other = packB
	}
	if other {
		return 0
	}
	return max(1, units/(2*Workers()))
}

// splitByRows chooses the direction of the parallel split: each worker
// packs the blocks of the operands its strips read, so when only B is
// packed, column strips divide B's packing among the workers where row
// strips would have each pack all of B (a twentieth of a 512³ product on
// two cores); likewise rows when only A is packed. Otherwise, and when
// there are too few strips that way to balance the workers, the dimension
// with more tiles.
func splitByRows(rowTiles, colTiles int, packA, packB bool) bool {
	enough := 2 * Workers()
	switch {
	case packB && !packA && colTiles >= enough:
		return false
	case packA && !packB && rowTiles >= enough:
		return true
	}
	return rowTiles >= colTiles
}

// gemmTrivial does the products of Gemm and GemmBF16 that multiply
// nothing: none at all when C is empty, C = beta*C when k or alpha is 0.
// It reports whether the product was one of those.
func gemmTrivial(m, n, k int, alpha, beta float32, c []float32, ldc int) bool {
	if m == 0 || n == 0 {
		return true
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return true
	}
	return false
}

// scaleC computes C = beta*C, with beta == 0 clearing C even of NaN.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			Fill(row, 0)
		} else if beta != 1 {
			Scale(row, beta)
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// gemmJob carries one Gemm call to the pool. Jobs are recycled through a free
// list so that handing one to Parallel as a Job allocates nothing.
type gemmJob struct {
	kern           *microKernel
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	packA, packB   bool
	byRows         bool
	claim          int          // strips per block taken on demand, 0: fixed shares
	next           atomic.Int64 // the next block, with claim > 0
}

// Run computes the strips [lo, hi) of C: row strips of kern.mr rows when
// byRows, else column strips of kern.nr columns. With claim > 0 it ignores
// lo and hi and takes blocks of claim strips from next until none are
// left, as does every other Run of the same call: together they still
// compute each strip once, and a strip's elements come out the same
// whoever computes it.
func (g *gemmJob) Run(lo, hi int) {
	ws := getWorkspace(g.kern)
	if g.claim == 0 {
		g.strips(lo, hi, ws)
	} else {
		units := ceilDiv(g.n, g.kern.nr)
		if g.byRows {
			units = ceilDiv(g.m, g.kern.mr)
		}
		for {
			b := int(g.next.Add(1) - 1)
			if b*g.claim >= units {
				break
			}
			g.strips(b*g.claim, min((b+1)*g.claim, units), ws)
		}
	}
	wsFree.put(ws)
}

func (g *gemmJob) strips(lo, hi int, ws *workspace) {
	if g.byRows {
		g.region(lo*g.kern.mr, min(hi*g.kern.mr, g.m), 0, g.n, ws)
	} else {
		g.region(0, g.m, lo*g.kern.nr, min(hi*g.kern.nr, g.n), ws)
	}
}

// region computes rows [i0, i1) × columns [j0, j1) of C with the classic
// five-loop blocking: a kc×nc block of B and an mc×kc block of A are packed
// (or used in place when small) and swept by mr×nr tiles, B's micro-panel
// staying in L1 while A's block streams from L2.
func (g *gemmJob) region(i0, i1, j0, j1 int, ws *workspace) {
	kern := g.kern
	mr, nr, mc, kc, nc := kern.mr, kern.nr, kern.mc, kern.kc, kern.nc
	inPlace := !g.packA && !g.transA // A's rows read where they are, csa = 1
	// B's panels are packed by the first tile that reads each of them
	// (packTile) rather than all at once, where it can.
	packInTile := g.packB && kern.packTile != nil && !fusedPackOff && !g.transB && inPlace
	for jc := j0; jc < j1; jc += nc {
		nb := min(nc, j1-jc)
		for pc := 0; pc < g.k; pc += kc {
			kb := min(kc, g.k-pc)
			beta := g.beta
			if pc > 0 {
				beta = 1 // later depth blocks accumulate onto the first
			}
			if g.packB && !packInTile {
				packB(ws.b, g.b, g.ldb, g.transB, pc, jc, kb, nb, nr)
			}
			for ic := i0; ic < i1; ic += mc {
				mb := min(mc, i1-ic)
				var ablk []float32
				var rsa, csa int
				switch {
				case g.packA:
					packA(ws.a, g.a, g.lda, g.transA, ic, pc, mb, kb, mr)
					ablk, rsa, csa = ws.a, 1, mr
				case g.transA:
					ablk, rsa, csa = g.a[pc*g.lda+ic:], 1, g.lda
				default:
					ablk, rsa, csa = g.a[ic*g.lda+pc:], g.lda, 1
				}
				for jr := 0; jr < nb; jr += nr {
					cols := min(nr, nb-jr)
					var bp []float32
					var ldbp int
					ir := 0
					if g.packB {
						bp, ldbp = ws.b[(jr/nr)*kb*nr:], nr
						if packInTile && ic == i0 {
							src := g.b[pc*g.ldb+jc+jr:]
							if cols == nr && mb >= mr {
								kern.packTile(kb, ablk, rsa, src, g.ldb, g.c[ic*g.ldc+jc+jr:], g.ldc, g.alpha, beta, bp)
								ir = mr
							} else {
								packB(bp, g.b, g.ldb, false, pc, jc+jr, kb, cols, nr)
							}
						}
					} else {
						bp, ldbp = g.b[pc*g.ldb+jc+jr:], g.ldb
					}
					for ; ir < mb; ir += mr {
						rows := min(mr, mb-ir)
						var ap []float32
						if g.packA {
							ap = ablk[(ir/mr)*kb*mr:]
						} else {
							ap = ablk[ir*rsa:]
						}
						ct := g.c[(ic+ir)*g.ldc+jc+jr:]
						kern.tile(kb, ap, rsa, csa, bp, ldbp, ct, g.ldc, g.alpha, beta, rows, cols)
					}
				}
			}
		}
	}
}

// fusedPackOff turns packTile off, for the tests and benchmarks that hold
// it against packB.
var fusedPackOff bool

// packA copies the mb×kb block of op(A) at (i0, p0) into panels of mr rows:
// panel r holds, for each p, the mr values A(i0+r*mr+i, p0+p) contiguously,
// so the tile reads A with rsa = 1, csa = mr. Rows past mb are not written;
// tiles never read them.
func packA(dst, a []float32, lda int, trans bool, i0, p0, mb, kb, mr int) {
	for r := 0; r*mr < mb; r++ {
		rows := min(mr, mb-r*mr)
		panel := dst[r*kb*mr : (r+1)*kb*mr]
		if !trans {
			interleave(panel, mr, a[(i0+r*mr)*lda+p0:], lda, rows, kb)
		} else {
			for p := 0; p < kb; p++ {
				src := a[(p0+p)*lda+i0+r*mr : (p0+p)*lda+i0+r*mr+rows]
				copy(panel[p*mr:p*mr+rows], src)
			}
		}
	}
}

// packB copies the kb×nb block of op(B) at (p0, j0) into panels of nr
// columns: panel q holds, for each p, the values B(p0+p, j0+q*nr+j)
// contiguously, so the tile reads B with ldb = nr. Columns past nb are not
// written; tiles never use them.
func packB(dst, b []float32, ldb int, trans bool, p0, j0, kb, nb, nr int) {
	for q := 0; q*nr < nb; q++ {
		cols := min(nr, nb-q*nr)
		panel := dst[q*kb*nr : (q+1)*kb*nr]
		if !trans && cols == nr && kb > 0 && copyPanel != nil {
			src := b[p0*ldb+j0+q*nr : (p0+kb-1)*ldb+j0+(q+1)*nr] // the bounds the assembly relies on
			if copyPanel(&panel[0], &src[0], ldb, kb, nr) {
				continue
			}
		}
		if !trans {
			for p := 0; p < kb; p++ {
				src := b[(p0+p)*ldb+j0+q*nr : (p0+p)*ldb+j0+q*nr+cols]
				copy(panel[p*nr:p*nr+cols], src)
			}
		} else {
			interleave(panel, nr, b[(j0+q*nr)*ldb+p0:], ldb, cols, kb)
		}
	}
}

// interleave transposes rows×kb values of src (row stride lds) into dst so
// that dst[p*ld+i] = src[i*lds+p]. Packing a transposed operand is this
// transpose; done one value at a time it can cost as much as a small
// product, so whole 8×8 blocks go to transpose8x8 where the CPU has it.
func interleave(dst []float32, ld int, src []float32, lds, rows, kb int) {
	if rows == 0 || kb == 0 {
		return
	}
	_ = src[(rows-1)*lds+kb-1]
	_ = dst[(kb-1)*ld+rows-1]
	r8, p8 := 0, 0
	if transpose8 != nil && rows >= 8 && kb >= 8 {
		r8, p8 = rows&^7, kb&^7
		transpose8(&dst[0], ld, &src[0], lds, r8/8, p8/8)
	}
	// The columns p ≥ p8 of the rows below r8, then every row from r8.
	for i := 0; i < r8; i++ {
		for p := p8; p < kb; p++ {
			dst[p*ld+i] = src[i*lds+p]
		}
	}
	i := r8
	for ; i+4 <= rows; i += 4 {
		r0 := src[i*lds : i*lds+kb]
		r1 := src[(i+1)*lds : (i+1)*lds+kb]
		r2 := src[(i+2)*lds : (i+2)*lds+kb]
		r3 := src[(i+3)*lds : (i+3)*lds+kb]
		d := dst[i : (kb-1)*ld+i+4]
		for p := range r0 {
			o := p * ld
			q := d[o : o+4 : o+4]
			q[0], q[1], q[2], q[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
	for ; i < rows; i++ {
		r := src[i*lds : i*lds+kb]
		for p, v := range r {
			dst[p*ld+i] = v
		}
	}
}

// copyPanel copies rows of nr values (src's rows lds apart) into one
// packed panel, dst[p*nr+j] = src[p*lds+j] for p < rows, and reports
// whether it could (nr must be one its assembly handles); nil where the CPU
// has no such loop.
var copyPanel func(dst, src *float32, lds, rows, nr int) bool

// transpose8 is transpose8x8 where the CPU supports it, else nil.
var transpose8 func(dst *float32, ld int, src *float32, lds int, rowBlocks, pBlocks int)

// workspace holds one worker's packing buffers.
type workspace struct{ a, b []float32 }

// The workers' workspaces and the jobs, kept for reuse.
var (
	wsFree  freeList[workspace]
	jobFree freeList[gemmJob]
)

// getWorkspace returns buffers big enough for kern's blocks.
func getWorkspace(kern *microKernel) *workspace {
	ws := wsFree.get()
	// Round the panel counts up so that a partial last panel fits whole.
	if na := ceilDiv(kern.mc, kern.mr) * kern.mr * kern.kc; len(ws.a) < na {
		ws.a = make([]float32, na)
	}
	if nb := ceilDiv(kern.nc, kern.nr) * kern.nr * kern.kc; len(ws.b) < nb {
		ws.b = make([]float32, nb)
	}
	return ws
}

// packAPolicy decides whether A is packed. The tiles read A in place well:
// each row (or, transposed, each depth step) is a sequential stream, and
// packing costs as much as the product for the small shapes of an MLP. The
// exception is a row stride that is a multiple of 4 KiB: a tile's rows then
// fall into one L1 set and evict each other.
func packAPolicy(kern *microKernel, lda, work int) bool {
	return work >= packMinWork && (!kern.inPlace || (4*lda)%4096 == 0)
}

// packBPolicy decides whether B is packed: always when transposed, since
// tiles read B's rows as vectors; otherwise only when the product is large
// and B's rows are far apart (2 KiB or more), so that a panel of B would
// touch one page per depth step.
func packBPolicy(kern *microKernel, transB bool, ldb, work int) bool {
	return transB || (work >= packMinWork && (!kern.inPlace || ldb >= 512))
}
