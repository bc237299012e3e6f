package kernel

import (
	"fmt"
	"math"
	"sync"
)

// Conv2D is a 2-D convolution (a cross-correlation, as Keras's) of one fixed
// geometry, channels last:
//
//	x (N,H,W,C), w (KH,KW,C,F), bias (F) → y (N,OH,OW,F)
//	y[n,i,j,f] = act(bias[f] + Σ_{ky,kx,c} x[n, i·SH+ky-PT, j·SW+kx-PL, c] · w[ky,kx,c,f])
//
// with cells outside x (the padding) counting as zero and act the identity
// or ReLU. It is built once per geometry (a training plan builds it with the
// layer) and holds every buffer its passes need, so Forward and Backward
// never allocate in steady state.
//
// Both passes are GEMMs on the patches ("im2col") matrix, whose row for
// output pixel (n,i,j) holds that pixel's window laid out (ky,kx,c), like a
// row of w seen as a (K = KH·KW·C) × F matrix: y = patches·w, dw = patchesᵀ·dy,
// dpatches = dy·wᵀ. The patches are never materialized for the whole batch:
// each block of output rows of one sample is copied into a per-worker buffer
// sized to stay in L2, multiplied while hot, and reused; a 1×1 window at
// stride 1 without padding reads x itself. Bias and ReLU are applied to each
// block of y as soon as the GEMM has written it.
//
// Work is split across the pool by blocks of output rows (forward) and by a
// fixed number of batch groups (backward). Weight and bias gradients are
// summed per group into separate buffers, then the groups are added in
// order, so results are bit-identical for any number of workers.
type Conv2D struct {
	n, h, w, c     int
	kh, kw, f      int
	sh, sw, pt, pl int
	oh, ow, k      int

	kern    *microKernel
	direct  bool // 1×1 window, stride 1, no padding: the patches are x
	rb      int  // output rows per block
	blocks  int  // blocks per sample
	groups  int  // batch groups of the backward pass
	partDW  [][]float32
	partDB  [][]float32
	wT      []float32 // w transposed, (F, K), for dpatches = dy·wᵀ
	scratch struct {
		sync.Mutex
		free []*convScratch
	}

	fwd convForward
	bwd convBackward
}

// convScratch is one worker's block buffers.
type convScratch struct {
	cols, dcols, dy []float32
}

// Block and parallel sizing. A block's patches take about convBlockFloats
// values (128 KiB), so that they, w and the block of y share the L2; a
// chunk of pool work is at least convMinChunk multiply-adds, below which
// waking a helper costs more than it saves.
const (
	convBlockFloats = 1 << 15
	convMinChunk    = 1 << 18
	convMaxGroups   = 8
)

// NewConv2D prepares the convolution of x (n,h,w,c) by a (kh,kw,c,f) kernel
// moved by (sh,sw) over x padded with pt rows above, pb below, pl columns to
// the left and pr to the right; OH = (h+pt+pb-kh)/sh + 1, likewise OW. It
// panics on a geometry that makes no sense.
func NewConv2D(n, h, w, c, kh, kw, f, sh, sw, pt, pb, pl, pr int) *Conv2D {
	if n < 1 || h < 1 || w < 1 || c < 1 || kh < 1 || kw < 1 || f < 1 || sh < 1 || sw < 1 ||
		pt < 0 || pb < 0 || pl < 0 || pr < 0 || h+pt+pb < kh || w+pl+pr < kw {
		panic(fmt.Sprintf("kernel: NewConv2D: input (%d,%d,%d,%d), kernel (%d,%d,%d,%d), strides %dx%d, padding (%d,%d,%d,%d)",
			n, h, w, c, kh, kw, c, f, sh, sw, pt, pb, pl, pr))
	}
	cv := &Conv2D{n: n, h: h, w: w, c: c, kh: kh, kw: kw, f: f, sh: sh, sw: sw, pt: pt, pl: pl, kern: active}
	cv.oh = (h+pt+pb-kh)/sh + 1
	cv.ow = (w+pl+pr-kw)/sw + 1
	cv.k = kh * kw * c
	cv.direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pb == 0 && pl == 0 && pr == 0
	cv.rb = min(cv.oh, max(1, convBlockFloats/(cv.ow*cv.k)))
	cv.blocks = ceilDiv(cv.oh, cv.rb)
	cv.groups = min(n, convMaxGroups)
	cv.partDW = make([][]float32, cv.groups)
	cv.partDB = make([][]float32, cv.groups)
	for g := range cv.groups {
		cv.partDW[g] = make([]float32, cv.k*f)
		cv.partDB[g] = make([]float32, f)
	}
	cv.wT = make([]float32, f*cv.k)
	cv.fwd.cv, cv.bwd.cv = cv, cv
	return cv
}

// OutShape is (OH, OW).
func (cv *Conv2D) OutShape() (oh, ow int) { return cv.oh, cv.ow }

func (cv *Conv2D) getScratch() *convScratch {
	cv.scratch.Lock()
	defer cv.scratch.Unlock()
	if n := len(cv.scratch.free); n > 0 {
		s := cv.scratch.free[n-1]
		cv.scratch.free = cv.scratch.free[:n-1]
		return s
	}
	pix := cv.rb * cv.ow
	return &convScratch{cols: make([]float32, pix*cv.k), dcols: make([]float32, pix*cv.k), dy: make([]float32, pix*cv.f)}
}

func (cv *Conv2D) putScratch(s *convScratch) {
	cv.scratch.Lock()
	cv.scratch.free = append(cv.scratch.free, s)
	cv.scratch.Unlock()
}

func (cv *Conv2D) checkLens(op string, named ...any) {
	for i := 0; i < len(named); i += 3 {
		name, s, want := named[i].(string), named[i+1].([]float32), named[i+2].(int)
		if s != nil && len(s) != want {
			panic(fmt.Sprintf("kernel: Conv2D.%s: %s has %d elements, want %d", op, name, len(s), want))
		}
	}
}

// Forward computes y = act(conv(x, w) + bias): x (N,H,W,C), w (KH,KW,C,F),
// bias (F) or nil for none, y (N,OH,OW,F) overwritten. With relu, act is
// max(·, 0) (a NaN stays NaN); otherwise the identity.
func (cv *Conv2D) Forward(y, x, w, bias []float32, relu bool) {
	cv.checkLens("Forward", "y", y, cv.n*cv.oh*cv.ow*cv.f, "x", x, cv.n*cv.h*cv.w*cv.c, "w", w, cv.k*cv.f, "bias", bias, cv.f)
	j := &cv.fwd
	j.y, j.x, j.wt, j.bias, j.relu = y, x, w, bias, relu
	units := cv.n * cv.blocks
	perUnit := cv.rb * cv.ow * cv.k * cv.f
	Parallel(units, max(1, convMinChunk/perUnit), j)
	j.y, j.x, j.wt, j.bias = nil, nil, nil, nil
}

type convForward struct {
	cv             *Conv2D
	y, x, wt, bias []float32
	relu           bool
}

// Run computes the blocks [lo, hi); block u is output rows
// [b·rb, (b+1)·rb) of sample u/blocks, b = u%blocks.
func (j *convForward) Run(lo, hi int) {
	cv := j.cv
	s := cv.getScratch()
	for u := lo; u < hi; u++ {
		n, i0 := u/cv.blocks, (u%cv.blocks)*cv.rb
		i1 := min(cv.oh, i0+cv.rb)
		pix := (i1 - i0) * cv.ow
		first := n*cv.oh*cv.ow + i0*cv.ow // first output pixel of the block
		yb := j.y[first*cv.f : (first+pix)*cv.f]
		a := cv.patches(s.cols, j.x, n, i0, i1)
		gemmInline(cv.kern, false, false, pix, cv.f, cv.k, 1, a, cv.k, j.wt, cv.f, 0, yb, cv.f)
		biasAct(yb, j.bias, j.relu)
	}
	cv.putScratch(s)
}

// patches returns the patch rows of output rows [i0, i1) of sample n:
// x itself when the window is 1×1, else dst filled by im2col.
func (cv *Conv2D) patches(dst, x []float32, n, i0, i1 int) []float32 {
	pix := (i1 - i0) * cv.ow
	if cv.direct {
		first := n*cv.h*cv.w + i0*cv.w
		return x[first*cv.c : (first+pix)*cv.c]
	}
	dst = dst[:pix*cv.k]
	Im2col(dst, x[n*cv.h*cv.w*cv.c:(n+1)*cv.h*cv.w*cv.c], cv.h, cv.w, cv.c, cv.kh, cv.kw, cv.sh, cv.sw, cv.pt, cv.pl, i0, i1, cv.ow)
	return dst
}

// biasAct adds bias (nil: none) to every row of y, (rows, F), and applies
// ReLU when relu is set. The ReLU clears the sign bit's value through a
// mask rather than branching, which random signs would mispredict.
func biasAct(y, bias []float32, relu bool) {
	if bias == nil && !relu {
		return
	}
	f := len(bias)
	if bias == nil {
		for i, v := range y {
			b := math.Float32bits(v)
			y[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
		return
	}
	for r := 0; r+f <= len(y); r += f {
		row := y[r : r+f : r+f]
		if !relu {
			for i, bv := range bias {
				row[i] += bv
			}
			continue
		}
		for i, bv := range bias {
			b := math.Float32bits(row[i] + bv)
			row[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
	}
}

// Backward adds the gradients of Forward's loss: given dy (N,OH,OW,F), the
// gradient of y, it computes dx += ∂/∂x (N,H,W,C), dw += ∂/∂w (KH,KW,C,F)
// and db += ∂/∂bias (F); any of the three may be nil to skip it. x and w
// are the inputs of the last Forward. With relu, y must be that Forward's
// output: the gradient flows only where y > 0.
func (cv *Conv2D) Backward(dx, dw, db, dy, x, w, y []float32, relu bool) {
	cv.checkLens("Backward", "dx", dx, cv.n*cv.h*cv.w*cv.c, "dw", dw, cv.k*cv.f, "db", db, cv.f,
		"dy", dy, cv.n*cv.oh*cv.ow*cv.f, "x", x, cv.n*cv.h*cv.w*cv.c, "w", w, cv.k*cv.f)
	if relu && len(y) != len(dy) {
		panic(fmt.Sprintf("kernel: Conv2D.Backward: y has %d elements, want %d", len(y), len(dy)))
	}
	if dx == nil && dw == nil && db == nil {
		return
	}
	if dx != nil { // wT (F, K) = wᵀ, so that dpatches = dy·wT reads B row-major
		transpose(cv.wT, w, cv.k, cv.f)
	}
	j := &cv.bwd
	j.dx, j.dw, j.db, j.dy, j.x, j.y, j.relu = dx, dw, db, dy, x, y, relu
	perGroup := ceilDiv(cv.n, cv.groups) * cv.oh * cv.ow * cv.k * cv.f
	Parallel(cv.groups, max(1, convMinChunk/perGroup), j)
	// The groups' sums are added in group order, whoever computed them.
	for g := range cv.groups {
		if dw != nil {
			AddTo(dw, cv.partDW[g])
		}
		if db != nil {
			AddTo(db, cv.partDB[g])
		}
	}
	*j = convBackward{cv: cv}
}

type convBackward struct {
	cv             *Conv2D
	dx, dw, db, dy []float32
	x, y           []float32
	relu           bool
}

// Run handles groups [lo, hi): group g is samples [g·N/G, (g+1)·N/G).
func (j *convBackward) Run(lo, hi int) {
	cv := j.cv
	s := cv.getScratch()
	for g := lo; g < hi; g++ {
		pdw, pdb := cv.partDW[g], cv.partDB[g]
		clear(pdw)
		clear(pdb)
		for n := g * cv.n / cv.groups; n < (g+1)*cv.n/cv.groups; n++ {
			for b := 0; b < cv.blocks; b++ {
				i0 := b * cv.rb
				i1 := min(cv.oh, i0+cv.rb)
				j.block(s, pdw, pdb, n, i0, i1)
			}
		}
	}
	cv.putScratch(s)
}

// block does the backward pass of output rows [i0, i1) of sample n.
func (j *convBackward) block(s *convScratch, pdw, pdb []float32, n, i0, i1 int) {
	cv := j.cv
	pix := (i1 - i0) * cv.ow
	first := n*cv.oh*cv.ow + i0*cv.ow
	dyb := j.dy[first*cv.f : (first+pix)*cv.f]
	if j.relu {
		reluMask(s.dy[:len(dyb)], dyb, j.y[first*cv.f:(first+pix)*cv.f])
		dyb = s.dy[:len(dyb)]
	}
	if j.db != nil {
		AddColumnSums(pdb, dyb, pix, cv.f)
	}
	if j.dw != nil { // pdw (K, F) += patchesᵀ·dy
		a := cv.patches(s.cols, j.x, n, i0, i1)
		gemmInline(cv.kern, true, false, cv.k, cv.f, pix, 1, a, cv.k, dyb, cv.f, 1, pdw, cv.f)
	}
	if j.dx == nil {
		return
	}
	if cv.direct { // the patches are dx's own rows: accumulate straight into them
		fx := n*cv.h*cv.w + i0*cv.w
		gemmInline(cv.kern, false, false, pix, cv.k, cv.f, 1, dyb, cv.f, cv.wT, cv.k, 1, j.dx[fx*cv.c:(fx+pix)*cv.c], cv.k)
		return
	}
	dc := s.dcols[:pix*cv.k]
	gemmInline(cv.kern, false, false, pix, cv.k, cv.f, 1, dyb, cv.f, cv.wT, cv.k, 0, dc, cv.k)
	Col2im(j.dx[n*cv.h*cv.w*cv.c:(n+1)*cv.h*cv.w*cv.c], dc, cv.h, cv.w, cv.c, cv.kh, cv.kw, cv.sh, cv.sw, cv.pt, cv.pl, i0, i1, cv.ow)
}

// reluMask sets dst = dy where y > 0, else 0. y is a ReLU output, so it is
// +0 or positive (or NaN): its bits are non-zero exactly where it is.
func reluMask(dst, dy, y []float32) {
	dy, y = dy[:len(dst)], y[:len(dst)]
	for i, v := range y {
		b := int32(math.Float32bits(v))
		m := uint32((-b) >> 31) // all ones when b > 0
		dst[i] = math.Float32frombits(math.Float32bits(dy[i]) & m)
	}
}

// transpose sets dst (cols, rows) to the transpose of src (rows, cols).
func transpose(dst, src []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		r := src[i*cols : (i+1)*cols]
		for j, v := range r {
			dst[j*rows+i] = v
		}
	}
}

// Im2col fills the patch rows of output rows [i0, i1) of one sample:
// x (H,W,C) → dst ((i1-i0)·OW, KH·KW·C), row (i,j) holding
// x[i·SH-PT+ky, j·SW-PL+kx, c] at column (ky·KW + kx)·C + c, zero where that
// cell is padding. In NHWC the kx-range of one window row is contiguous in
// x, so each window row is a single copy.
func Im2col(dst, x []float32, h, w, c, kh, kw, sh, sw, pt, pl, i0, i1, ow int) {
	rowLen := kw * c
	k := kh * rowLen
	if len(dst) < (i1-i0)*ow*k || len(x) < h*w*c {
		panic(fmt.Sprintf("kernel: Im2col: dst has %d elements, x %d; want %d and %d", len(dst), len(x), (i1-i0)*ow*k, h*w*c))
	}
	for i := i0; i < i1; i++ {
		top := i*sh - pt
		ky0, ky1 := max(0, -top), min(kh, h-top)
		for jj := 0; jj < ow; jj++ {
			left := jj*sw - pl
			kx0, kx1 := max(0, -left), min(kw, w-left)
			d := dst[((i-i0)*ow+jj)*k:][:k]
			if ky0 > 0 || ky1 < kh || kx0 > 0 || kx1 < kw {
				clear(d) // the window overlaps the padding
			}
			if kx1 <= kx0 {
				continue
			}
			span := (kx1 - kx0) * c
			for ky := ky0; ky < ky1; ky++ {
				src := x[((top+ky)*w+left+kx0)*c:][:span]
				dd := d[ky*rowLen+kx0*c:][:span]
				if span < 16 { // a loop beats a memmove call for a few values
					for t, v := range src {
						dd[t] = v
					}
				} else {
					copy(dd, src)
				}
			}
		}
	}
}

// Col2im is Im2col's adjoint: it adds every patch value of output rows
// [i0, i1) back into the cell of dx (H,W,C) it was copied from, in the
// order Im2col visits them.
func Col2im(dx, cols []float32, h, w, c, kh, kw, sh, sw, pt, pl, i0, i1, ow int) {
	rowLen := kw * c
	k := kh * rowLen
	if len(cols) < (i1-i0)*ow*k || len(dx) < h*w*c {
		panic(fmt.Sprintf("kernel: Col2im: cols has %d elements, dx %d; want %d and %d", len(cols), len(dx), (i1-i0)*ow*k, h*w*c))
	}
	for i := i0; i < i1; i++ {
		top := i*sh - pt
		ky0, ky1 := max(0, -top), min(kh, h-top)
		for jj := 0; jj < ow; jj++ {
			left := jj*sw - pl
			kx0, kx1 := max(0, -left), min(kw, w-left)
			if kx1 <= kx0 {
				continue
			}
			src := cols[((i-i0)*ow+jj)*k:][:k]
			span := (kx1 - kx0) * c
			for ky := ky0; ky < ky1; ky++ {
				d := dx[((top+ky)*w+left+kx0)*c:][:span]
				s := src[ky*rowLen+kx0*c:][:span]
				for t, v := range s {
					d[t] += v
				}
			}
		}
	}
}
