package kernel

import (
	"fmt"
	"math"
	"unsafe"
)

// Int8 inference: a GEMM of uint8 activations by int8 weights accumulated
// in int32 (AVX512_VNNI's VPDPBUSD where the CPU has it), its requantizing
// epilogue, the float32 → uint8 quantizer and 2×2 max pooling on uint8.
// Integer products and sums are exact (int32 arithmetic wraps the same way
// in Go and in VPDPBUSD), and the epilogue's float32 steps are rounded one
// by one in the same order in both, so the assembly and the pure-Go loops
// give the same bits.

// QMatrix is the weight operand of QGemmU8 and QGemmI32: a K×N int8 matrix
// W, K = taps·run, read by the GEMM as taps segments of run rows each, every
// segment padded with zero rows to a multiple of 4 (VPDPBUSD's group of four
// bytes). One segment per tap lets a convolution read its input in place:
// with the image in NHWC, a kernel row's KW·C inputs are contiguous, so a
// tap is a kernel row and run = KW·C.
//
// The packed layout: blocks of up to 64 columns (4 vectors of 16), the
// last block narrower; within a block, for each group of four rows (all
// groups of tap 0, then tap 1, ...), for each vector, 16 columns × 4 rows,
// a column's four bytes adjacent. A QMatrix is read-only once made, so
// many goroutines may multiply by it at once.
type QMatrix struct {
	taps, run, groups, n int
	data                 []int8
	narrow               []int8 // for n ≤ 8: [tap][group][column][4]
}

// NewQMatrix packs w, the (taps·run)×n row-major int8 matrix W (a Dense
// kernel (in, units) is taps = 1, run = in; a Conv2D kernel
// (KH, KW, C, F) is taps = KH, run = KW·C, n = F).
func NewQMatrix(w []int8, taps, run, n int) *QMatrix {
	if taps < 1 || run < 1 || n < 1 || len(w) != taps*run*n {
		panic(fmt.Sprintf("kernel: NewQMatrix: %d weights for taps=%d run=%d n=%d; want taps·run·n ≥ 1", len(w), taps, run, n))
	}
	q := &QMatrix{taps: taps, run: run, groups: (run + 3) / 4, n: n}
	vecs := (n + 15) / 16
	q.data = make([]int8, taps*q.groups*4*vecs*16)
	off := 0
	for v0 := 0; v0 < vecs; v0 += 4 {
		nv := min(4, vecs-v0)
		for tg := 0; tg < taps*q.groups; tg++ {
			t, g := tg/q.groups, tg%q.groups
			for v := 0; v < nv; v++ {
				for l := 0; l < 16; l++ {
					j := (v0+v)*16 + l
					for e := 0; e < 4; e++ {
						if p := 4*g + e; p < run && j < n {
							q.data[off] = w[(t*run+p)*n+j]
						}
						off++
					}
				}
			}
		}
	}
	if n <= 8 {
		q.narrow = make([]int8, taps*q.groups*n*4)
		for i := range q.narrow {
			tg, j, e := i/(4*n), i/4%n, i%4
			if p := 4*(tg%q.groups) + e; p < run {
				q.narrow[i] = w[(tg/q.groups*run+p)*n+j]
			}
		}
	}
	return q
}

// Taps is the number of segments of rows given to NewQMatrix.
func (q *QMatrix) Taps() int { return q.taps }

// Run is the number of rows per segment given to NewQMatrix.
func (q *QMatrix) Run() int { return q.run }

// N is the number of columns.
func (q *QMatrix) N() int { return q.n }

// Span is how many bytes of A the GEMM reads per tap and row: run rounded
// up to a multiple of 4. The bytes past run meet zero weights, so their
// values do not matter, but they must exist.
func (q *QMatrix) Span() int { return 4 * q.groups }

// QGemmI32 sets, for r < m and j < b.N():
//
//	dst[r*ldd+j] = Σ_{t<taps} Σ_{p<run} int32(a[r*lda+offs[t]+p]) · int32(W[t*run+p][j])
//
// in int32 arithmetic (exact while run·taps·255·128 < 2³¹, i.e. K < 65,793;
// beyond that both implementations wrap alike). offs has one entry per tap,
// each ≥ 0; a must hold Span() bytes from r*lda+offs[t] for every row and
// tap. It runs on the calling goroutine: callers split independent work
// (images, row blocks) across the worker pool themselves.
func QGemmI32(dst []int32, ldd int, a []uint8, lda int, offs []int, b *QMatrix, m int) {
	checkQGemm("QGemmI32", len(dst), ldd, a, lda, offs, b, m)
	qgemm(unsafe.Pointer(unsafe.SliceData(dst)), dst, nil, 4*ldd, a, lda, offs, b, m, nil, nil, 0)
}

// QGemmU8 computes QGemmI32's sums acc and writes them requantized:
//
//	v := float32(float32(acc)*scale[j]) + offset[j]
//	dst[r*ldd+j] = uint8(math.RoundToEven(float64(min(max(v, lo), 255))))
//
// (the product rounded to float32 before the sum, no fused multiply-add).
// scale and offset hold at least b.N() rounded up to a multiple of 16
// values; lo is in [0, 255] (a ReLU's zero point, or 0).
func QGemmU8(dst []uint8, ldd int, a []uint8, lda int, offs []int, b *QMatrix, m int, scale, offset []float32, lo float32) {
	checkQGemm("QGemmU8", len(dst), ldd, a, lda, offs, b, m)
	if w := (b.n + 15) / 16 * 16; len(scale) < w || len(offset) < w {
		panic(fmt.Sprintf("kernel: QGemmU8: %d scales and %d offsets for %d columns; want at least %d each", len(scale), len(offset), b.n, w))
	}
	if !(lo >= 0 && lo <= 255) {
		panic(fmt.Sprintf("kernel: QGemmU8: lo = %v outside [0, 255]", lo))
	}
	qgemm(unsafe.Pointer(unsafe.SliceData(dst)), nil, dst, ldd, a, lda, offs, b, m, scale, offset, lo)
}

// checkQGemm is the one block of checks of both GEMMs.
func checkQGemm(op string, lenDst, ldd int, a []uint8, lda int, offs []int, b *QMatrix, m int) {
	if b == nil || m < 1 || lda < 0 || ldd < b.n || len(offs) != b.taps {
		panic(fmt.Sprintf("kernel: %s: m=%d lda=%d ldd=%d, %d offsets for %d taps; want m ≥ 1, lda ≥ 0, ldd ≥ n", op, m, lda, ldd, len(offs), tapsOf(b)))
	}
	hi := 0
	for _, o := range offs {
		if o < 0 {
			panic(fmt.Sprintf("kernel: %s: negative tap offset %d", op, o))
		}
		hi = max(hi, o)
	}
	if need := (m-1)*lda + hi + b.Span(); len(a) < need {
		panic(fmt.Sprintf("kernel: %s: a has %d bytes; %d rows of stride %d with tap offsets up to %d and span %d need %d", op, len(a), m, lda, hi, b.Span(), need))
	}
	if need := (m-1)*ldd + b.n; lenDst < need {
		panic(fmt.Sprintf("kernel: %s: dst has %d elements; %d rows of stride %d and %d columns need %d", op, lenDst, m, ldd, b.n, need))
	}
}

func tapsOf(b *QMatrix) int {
	if b == nil {
		return 0
	}
	return b.taps
}

// QAccelerated reports whether the int8 kernels run on AVX512_VNNI on this
// CPU. Without it (or under the purego tag) they run their pure-Go loops:
// the same results, several times slower than float32 inference.
func QAccelerated() bool { return qVec && !qVecOff }

// qTileRows is the largest tile height for nv vectors of columns, as the
// assembly's (_asm/int8).
var qTileRows = [5]int{0, 16, 12, 8, 6}

// qgemm sweeps the blocks of columns and, in each, tiles of rows. dst is
// the first output element (d32 or d8 says which kind, for the pure-Go
// tile) and lddBytes the output row stride in bytes.
func qgemm(dst unsafe.Pointer, d32 []int32, d8 []uint8, lddBytes int, a []uint8, lda int, offs []int, b *QMatrix, m int, scale, offset []float32, lo float32) {
	mode := 1
	if d32 != nil {
		mode = 0
	} else if r := qNarrow(d8, lddBytes, a, lda, offs, b, m, scale, offset, lo); r > 0 {
		if r == m {
			return
		}
		dst, d8, a, m = unsafe.Add(dst, r*lddBytes), d8[r*lddBytes:], a[r*lda:], m-r
	}
	vecs := (b.n + 15) / 16
	off := 0
	for v0 := 0; v0 < vecs; v0 += 4 {
		nv := min(4, vecs-v0)
		col := 16 * v0
		lanes := min(16, b.n-16*(v0+nv-1))
		mask := uint16(1<<lanes - 1)
		size := b.taps * b.groups * 64 * nv
		blk := b.data[off : off+size]
		off += size
		var sc, of []float32
		if mode == 1 {
			sc, of = scale[col:], offset[col:]
		}
		esz := 4
		if mode == 1 {
			esz = 1
		}
		if qAMXFor(b, nv) {
			qTilesAMX(nv, a, lda, offs, b.taps, b.groups, blk, unsafe.Add(dst, col*esz), lddBytes, m, mode, sc, of, lo, lanes)
			continue
		}
		mr := qTileRows[nv]
		for r0 := 0; r0 < m; r0 += mr {
			rows := min(mr, m-r0)
			at := r0*lddBytes + col*esz
			if qVec && !qVecOff {
				qTileAsm(nv, &a[r0*lda], lda, &offs[0], b.taps, b.groups, &blk[0], (*byte)(unsafe.Add(dst, at)), lddBytes, rows, mode, sc, of, lo, mask)
				continue
			}
			var o32 []int32
			var o8 []uint8
			if mode == 0 {
				o32 = d32[at/4:]
			} else {
				o8 = d8[at:]
			}
			qTileGo(nv, a[r0*lda:], lda, offs, b.groups, blk, o32, o8, lddBytes, rows, sc, of, lo, int(lanes))
		}
	}
}

// qTileGo is the tile the assembly equals: rows ≤ qTileRows[nv] rows and
// the 16·nv columns of one packed block (the last vector's first lanes
// only), accumulated over every tap and group, then stored as int32 (o32)
// or requantized to uint8 (o8). ldd is the output row stride in bytes.
func qTileGo(nv int, a []uint8, lda int, offs []int, groups int, blk []int8, o32 []int32, o8 []uint8, ldd, rows int, scale, offset []float32, lo float32, lanes int) {
	var acc [16][64]int32
	for t, o := range offs {
		for g := 0; g < groups; g++ {
			bg := blk[(t*groups+g)*64*nv:][:64*nv]
			for i := 0; i < rows; i++ {
				av := a[i*lda+o+4*g:][:4]
				a0, a1, a2, a3 := int32(av[0]), int32(av[1]), int32(av[2]), int32(av[3])
				row := &acc[i]
				for j := 0; j < 16*nv; j++ {
					w := bg[4*j : 4*j+4]
					row[j] += a0*int32(w[0]) + a1*int32(w[1]) + a2*int32(w[2]) + a3*int32(w[3])
				}
			}
		}
	}
	cols := 16*(nv-1) + lanes
	for i := 0; i < rows; i++ {
		if o32 != nil {
			copy(o32[i*ldd/4:i*ldd/4+cols], acc[i][:cols])
			continue
		}
		out := o8[i*ldd : i*ldd+cols]
		for j := range out {
			out[j] = Requantize(acc[i][j], scale[j], offset[j], lo)
		}
	}
}

// Requantize is QGemmU8's epilogue for one sum: acc·scale + offset, the
// product rounded to float32 first, clamped to [lo, 255] and rounded half
// to even.
func Requantize(acc int32, scale, offset, lo float32) uint8 {
	v := float32(float32(acc)*scale) + offset
	return uint8(math.RoundToEven(float64(min(max(v, lo), 255))))
}

// QuantizeU8 sets dst[i] = roundEven(min(max(float32(src[i]·inv) + zp, 0),
// 255)) for every i: float32 values to uint8 with scale 1/inv and zero point
// zp. src must hold no NaN (the result for one is unspecified). dst and src
// have one length.
func QuantizeU8(dst []uint8, src []float32, inv, zp float32) {
	checkLen("QuantizeU8", len(dst), len(src))
	if len(dst) == 0 {
		return
	}
	if qVec && !qVecOff {
		quantizeU8Asm(dst, src, inv, zp)
		return
	}
	quantizeGo(dst, src, inv, zp)
}

func quantizeGo(dst []uint8, src []float32, inv, zp float32) {
	src = src[:len(dst)]
	for i, x := range src {
		v := float32(x*inv) + zp
		dst[i] = uint8(math.RoundToEven(float64(min(max(v, 0), 255))))
	}
}

// MaxPool2x2U8 is 2×2 max pooling at stride 2 of one uint8 image: x holds
// h rows of w pixels of c channels, rows xs bytes apart (xs ≥ w·c), and y
// gets the (h/2, w/2, c) maxima, rows ys bytes apart (ys ≥ (w/2)·c), so
// that either may sit inside a larger (padded) image. Quantization to uint8
// keeps order, so this is the pooling of the values they stand for.
func MaxPool2x2U8(y []uint8, ys int, x []uint8, xs int, h, w, c int) {
	oh, ow := h/2, w/2
	n := ow * c
	if h < 2 || w < 2 || c < 1 || xs < w*c || ys < n || len(y) < (oh-1)*ys+n || len(x) < (h-1)*xs+w*c {
		panic(fmt.Sprintf("kernel: MaxPool2x2U8: x (%d,%d,%d) with row stride %d has %d bytes, y with row stride %d %d; want h, w ≥ 2, strides ≥ the rows and %d, %d bytes",
			h, w, c, xs, len(x), ys, len(y), (h-1)*xs+w*c, (oh-1)*ys+n))
	}
	if qPool && !qVecOff && c <= 64 {
		for i := 0; i < oh; i++ {
			maxPool2x2U8RowAsm(y[i*ys:i*ys+n], x[2*i*xs:], xs, 64/c*c, &poolIdx[c])
		}
		return
	}
	for i := 0; i < oh; i++ {
		maxPool2x2U8RowGo(y[i*ys:i*ys+n], x[2*i*xs:], xs, c)
	}
}

// poolIdx[c] are the VPERMI2B indices of the left (first 64) and right
// pixels of the 2×2 windows whose L = ⌊64/c⌋·c output bytes one step of
// maxPool2x2U8Row writes, for c channels.
var poolIdx = func() (t [65][128]uint8) {
	for c := 1; c <= 64; c++ {
		for o := 0; o < 64/c*c; o++ {
			j, ch := o/c, o%c
			t[c][o] = uint8(2*j*c + ch)
			t[c][64+o] = uint8((2*j+1)*c + ch)
		}
	}
	return t
}()

// maxPool2x2U8RowGo is one output row: y[j·c+ch] is the largest of
// x[p], x[p+c], x[rs+p], x[rs+p+c] with p = 2·j·c + ch.
func maxPool2x2U8RowGo(y, x []uint8, rs, c int) {
	r0, r1 := x[:2*len(y)], x[rs:rs+2*len(y)]
	for o := range y {
		p := o/c*c + o // 2·(o/c)·c + o%c
		y[o] = max(r0[p], r0[p+c], r1[p], r1[p+c])
	}
}

// qVecOff makes the int8 kernels take their pure-Go loops, so that tests
// can hold the two against each other on one machine.
var qVecOff bool
