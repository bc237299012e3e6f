package kernel

import (
	"fmt"
	"math"
	"sync"
)

// MaxPool2x2 is max pooling of one sample over 2×2 windows at stride 2
// without padding, the pooling of every course network:
// x (H,W,C) → y (H/2, W/2, C), rounding down as "valid" padding does.
// arg[t] is set to the index in x of the cell y[t] came from. The cells
// are scanned in row-major order and a cell replaces the best so far when
// it is greater, or when it is NaN and the best is not: of equal maxima the
// first wins, and a NaN anywhere in the window gives NaN (the first one)
// and takes the gradient.
//
// Each window row is a run of 2·C contiguous values; an assembly loop
// (pooling_amd64.s) compares 8 channels per instruction under the same
// rule, bit for bit, for every window of a row (all but the last when C is
// not a multiple of 8; see maxPoolRow).
func MaxPool2x2(y []float32, arg []int32, x []float32, h, w, c int) {
	oh, ow := h/2, w/2
	if len(y) != oh*ow*c || len(arg) != len(y) || len(x) != h*w*c {
		panic(fmt.Sprintf("kernel: MaxPool2x2: x (%d,%d,%d) has %d elements, y %d, arg %d; want %d, %d, %d",
			h, w, c, len(x), len(y), len(arg), h*w*c, oh*ow*c, oh*ow*c))
	}
	rs := w * c
	for i := 0; i < oh; i++ {
		top := 2 * i * rs
		r0 := x[top : top+2*ow*c]
		r1 := x[top+rs : top+rs+2*ow*c]
		yo := y[i*ow*c : (i+1)*ow*c]
		ao := arg[i*ow*c : (i+1)*ow*c]
		for j := maxPoolRow(yo, ao, x[top:top+rs+2*ow*c], ow, c, rs, top); j < ow; j++ {
			p := 2 * j * c
			a0, a1 := r0[p:p+2*c], r1[p:p+2*c]
			yy, aa := yo[j*c:(j+1)*c], ao[j*c:(j+1)*c]
			at0 := int32(top + p)
			for ch := range yy {
				best, at := a0[ch], at0+int32(ch)
				best, at = poolCell(best, at, a0[c+ch], at0+int32(c+ch))
				best, at = poolCell(best, at, a1[ch], at0+int32(rs+ch))
				best, at = poolCell(best, at, a1[c+ch], at0+int32(rs+c+ch))
				yy[ch], aa[ch] = best, at
			}
		}
	}
}

// poolCell is one step of a max pooling scan: cell v (index q) replaces
// the best so far when it is greater, or when it is NaN and best is not.
func poolCell(best float32, at int32, v float32, q int32) (float32, int32) {
	if v > best || (v != v && best == best) {
		return v, q
	}
	return best, at
}

// poolVecOff makes MaxPool2x2 skip the assembly loop, so that tests can
// hold the two against each other.
var poolVecOff bool

// ScatterAdd adds dy[t] to dx[arg[t]] for every t: the backward pass of a
// max pooling whose winners are arg. dy and arg have the same length.
func ScatterAdd(dx, dy []float32, arg []int32) {
	if len(dy) != len(arg) {
		panic(fmt.Sprintf("kernel: ScatterAdd: dy has %d elements, arg %d", len(dy), len(arg)))
	}
	for t, a := range arg {
		dx[a] += dy[t]
	}
}

// Pooling of a batch, channels last: x (N,H,W,C) → y (N,OH,OW,C) with
// (OH, OW) = g.Out(), each output the max or the mean of its window's real
// cells. Padding follows Keras (XLA/TF "SAME"): a padded cell never wins a
// max, and a mean divides by the number of real cells in its window, not
// by the window's area. Every padding must be smaller than the window, so
// that each window holds a real cell. Samples are split across the
// workers; each sample's outputs are computed by one goroutine in a fixed
// order, so the results do not depend on the number of workers. These
// functions use the workers and so must not be called from inside a Job.

// MaxPool2D sets y (N,OH,OW,C) to the largest real cell of each window of
// x (N,H,W,C), and arg (N,OH,OW,C) to that cell's index within its sample
// of x. Cells are scanned in row-major order, under MaxPool2x2's rule: the
// first of equal maxima wins, and a NaN wins its window. The 2×2, stride
// 2, unpadded pooling of the course's networks runs MaxPool2x2. arg may be
// nil when no backward pass will read it (inference): the winners then go
// to one sample's worth of scratch per worker instead (positions, as
// MaxPool2DWins keeps them, where it applies).
func MaxPool2D(y []float32, arg []int32, x []float32, n, c int, g Window) {
	na := len(arg)
	if arg == nil {
		na = len(y)
	}
	checkPool("MaxPool2D", n, c, g, len(x), len(y), na)
	if g.H*g.W*c > math.MaxInt32 {
		panic(fmt.Sprintf("kernel: MaxPool2D: samples of %dx%dx%d values are too many for int32 indices", g.H, g.W, c))
	}
	runPooling(poolingJob{kind: poolMax, g: g, c: c, dst: y, src: x, arg: arg}, n)
}

// MaxPool2DBackward adds each output gradient to the cell its window took
// its value from: dx (N,H,W,C) += dy (N,OH,OW,C) scattered by arg
// (N,OH,OW,C), as MaxPool2D set it.
func MaxPool2DBackward(dx, dy []float32, arg []int32, n, c int, g Window) {
	checkPool("MaxPool2DBackward", n, c, g, len(dx), len(dy), len(arg))
	runPooling(poolingJob{kind: poolMaxBack, g: g, c: c, dst: dx, src: dy, arg: arg}, n)
}

// AvgPool2D sets y (N,OH,OW,C) to the mean of each window's real cells of
// x (N,H,W,C): their float32 sum in row-major order times the float32
// reciprocal of their number.
func AvgPool2D(y, x []float32, n, c int, g Window) {
	checkPool("AvgPool2D", n, c, g, len(x), len(y), len(y))
	runPooling(poolingJob{kind: poolAvg, g: g, c: c, dst: y, src: x}, n)
}

// AvgPool2DBackward spreads each output gradient evenly over its window's
// real cells: dx (N,H,W,C) += dy (N,OH,OW,C) · 1/(real cells), output
// cells in row-major order.
func AvgPool2DBackward(dx, dy []float32, n, c int, g Window) {
	checkPool("AvgPool2DBackward", n, c, g, len(dx), len(dy), len(dy))
	runPooling(poolingJob{kind: poolAvgBack, g: g, c: c, dst: dx, src: dy}, n)
}

// checkPool panics on a geometry that leaves a window without a real cell
// or on slices of the wrong length: image (N,H,W,C) holds in values,
// output and arg (N,OH,OW,C) out and arg values.
func checkPool(op string, n, c int, g Window, in, out, arg int) {
	if n < 0 || c < 1 || !g.Valid() || g.PT >= g.KH || g.PB >= g.KH || g.PL >= g.KW || g.PR >= g.KW {
		panic(fmt.Sprintf("kernel: %s: %d samples of %d channels, %v (each padding must be smaller than the window)", op, n, c, g))
	}
	oh, ow := g.Out()
	if in != n*g.H*g.W*c || out != n*oh*ow*c || arg != out {
		panic(fmt.Sprintf("kernel: %s: image has %d elements, output %d, indices %d; want %d, %d, %d",
			op, in, out, arg, n*g.H*g.W*c, n*oh*ow*c, n*oh*ow*c))
	}
}

type poolingKind int

const (
	poolMax poolingKind = iota
	poolMaxBack
	poolAvg
	poolAvgBack
	poolMaxWins
	poolMaxWinsBack
	poolMaxWinsSet
	poolMaxWinsAffine // poolMaxWins of x mapped per channel (pooling_norm.go)
	poolMaxWinsRuns   // poolMaxWinsSet writing only the rows a normalization's pass reads (pooling_norm.go)
)

// poolingJob is one pooling call, run on the workers by samples. dst and src
// are the image and the output, either way round; arg or win holds the
// winners of a max pooling.
type poolingJob struct {
	kind     poolingKind
	g        Window
	c        int
	dst, src []float32
	arg      []int32
	win      []uint8
	// The per-channel map of poolMaxWinsAffine.
	scale, shift []float32
	relu         bool
	runs         *BNRuns // poolMaxWinsSet's sums to take from dx (pooling_norm.go)
}

// poolingJobs recycles the jobs handed to Parallel, so that a call allocates
// nothing.
var poolingJobs freeList[poolingJob]

// runPooling runs j over n samples, in chunks of about 64k values of work.
func runPooling(j poolingJob, n int) {
	p := poolingJobs.get()
	*p = j
	oh, ow := j.g.Out()
	Parallel(n, max(1, (1<<16)/max(1, oh*ow*j.g.KH*j.g.KW*j.c)), p)
	poolingJobs.putZeroed(p)
}

// Run pools samples [lo, hi).
func (j *poolingJob) Run(lo, hi int) {
	g, c := j.g, j.c
	oh, ow := g.Out()
	in, out := g.H*g.W*c, oh*ow*c
	// The winners of one sample, when the caller keeps none: positions
	// (a byte each) where MaxPool2DWins can take the pooling, else indices.
	var scratch []int32
	var wins []uint8
	if j.kind == poolMax && j.arg == nil {
		if MaxPool2x2Wins(g) {
			wins = winScratch.get(out)
			defer winScratch.put(wins)
		} else {
			scratch = argScratch.get(out)
			defer argScratch.put(scratch)
		}
	}
	for s := lo; s < hi; s++ {
		img, res := s*in, s*out
		switch j.kind {
		case poolMax:
			if wins != nil {
				maxPoolWinsSample(j.dst[res:res+out], wins, j.src[img:img+in], g.H, g.W, c)
				continue
			}
			arg := scratch
			if arg == nil {
				arg = j.arg[res : res+out]
			}
			maxPoolSample(j.dst[res:res+out], arg, j.src[img:img+in], c, g)
		case poolMaxBack:
			ScatterAdd(j.dst[img:img+in], j.src[res:res+out], j.arg[res:res+out])
		case poolAvg:
			avgPoolSample(j.dst[res:res+out], j.src[img:img+in], c, g)
		case poolAvgBack:
			avgPoolBackSample(j.dst[img:img+in], j.src[res:res+out], c, g)
		case poolMaxWins:
			maxPoolWinsSample(j.dst[res:res+out], j.win[res:res+out], j.src[img:img+in], g.H, g.W, c)
		case poolMaxWinsRuns:
			j.maxPoolWinsRunsSample(j.dst[img:img+in], j.src[res:res+out], j.win[res:res+out], s)
		case poolMaxWinsAffine:
			j.maxPoolWinsAffineSample(j.dst[res:res+out], j.win[res:res+out], j.src[img:img+in])
		case poolMaxWinsBack, poolMaxWinsSet:
			maxPoolWinsBackSample(j.dst[img:img+in], j.src[res:res+out], j.win[res:res+out], g.H, g.W, c, j.kind == poolMaxWinsSet)
			if j.runs != nil {
				j.runs.Sample(s, j.dst[img:img+in])
			}
		}
	}
}

// argScratch and winScratch recycle the winners of MaxPool2D calls
// without arg, one sample's worth per running worker, and floatScratch the
// mapped row pairs and made samples of pooling_norm.go, so that they
// allocate nothing once warm.
var (
	argScratch   scratchPool[int32]
	winScratch   scratchPool[uint8]
	floatScratch scratchPool[float32]
)

type scratchPool[T any] struct {
	sync.Mutex
	free [][]T
}

// get returns a buffer of n values, contents undefined.
func (s *scratchPool[T]) get(n int) []T {
	s.Lock()
	defer s.Unlock()
	for i, b := range s.free {
		if cap(b) >= n {
			s.free = append(s.free[:i], s.free[i+1:]...)
			return b[:n]
		}
	}
	if k := len(s.free); k > 0 {
		s.free = s.free[:k-1] // too small: let a larger one take its place
	}
	return make([]T, n)
}

func (s *scratchPool[T]) put(b []T) {
	s.Lock()
	s.free = append(s.free, b)
	s.Unlock()
}

// maxPoolSample is MaxPool2D of one sample: x (H,W,C) → y, arg (OH,OW,C).
func maxPoolSample(y []float32, arg []int32, x []float32, c int, g Window) {
	oh, ow := g.Out()
	if g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PT == 0 && g.PL == 0 && oh == g.H/2 && ow == g.W/2 {
		MaxPool2x2(y, arg, x, g.H, g.W, c)
		return
	}
	for i := range oh {
		ky0, ky1, iy0 := g.rows(i)
		for j := range ow {
			kx0, kx1, ix0 := g.cols(j)
			at := (i*ow + j) * c
			maxWindow(y[at:at+c], arg[at:at+c], x, (iy0*g.W+ix0)*c, g.W*c, ky1-ky0, kx1-kx0)
		}
	}
}

// maxWindow sets yo[ch] to the largest x[first + r·rowStride + k·C + ch]
// over the window's nky×nkx real cells (C = len(yo)), and am[ch] to its
// index, scanning in row-major order under MaxPool2x2's rule.
func maxWindow(yo []float32, am []int32, x []float32, first, rowStride, nky, nkx int) {
	c := len(yo)
	am = am[:c]
	for ch := range yo {
		at := first + ch
		best := x[at]
		for r := 0; r < nky; r++ {
			p := first + r*rowStride + ch
			for k := 0; k < nkx; k++ {
				if v := x[p]; v > best || (v != v && best == best) {
					at, best = p, v
				}
				p += c
			}
		}
		yo[ch], am[ch] = best, int32(at)
	}
}

// avgPoolSample is AvgPool2D of one sample: x (H,W,C) → y (OH,OW,C).
func avgPoolSample(y, x []float32, c int, g Window) {
	oh, ow := g.Out()
	for i := range oh {
		ky0, ky1, iy0 := g.rows(i)
		for j := range ow {
			kx0, kx1, ix0 := g.cols(j)
			nky, nkx := ky1-ky0, kx1-kx0
			first, rowStride := (iy0*g.W+ix0)*c, g.W*c
			inv := 1 / float32(nky*nkx)
			for ch, yo := 0, y[(i*ow+j)*c:][:c]; ch < c; ch++ {
				var s float32
				for r := 0; r < nky; r++ {
					p := first + r*rowStride + ch
					for k := 0; k < nkx; k++ {
						s += x[p]
						p += c
					}
				}
				yo[ch] = s * inv
			}
		}
	}
}

// avgPoolBackSample is AvgPool2DBackward of one sample: dy (OH,OW,C) →
// dx (H,W,C).
func avgPoolBackSample(dx, dy []float32, c int, g Window) {
	oh, ow := g.Out()
	for i := range oh {
		ky0, ky1, iy0 := g.rows(i)
		for j := range ow {
			kx0, kx1, ix0 := g.cols(j)
			d := dy[(i*ow+j)*c:][:c]
			inv := 1 / float32((ky1-ky0)*(kx1-kx0))
			for iy := iy0; iy < iy0+ky1-ky0; iy++ {
				for ix := ix0; ix < ix0+kx1-kx0; ix++ {
					row := dx[(iy*g.W+ix)*c:][:c]
					for ch, v := range d {
						row[ch] += v * inv
					}
				}
			}
		}
	}
}

// GlobalAvgPool sets y (N,C) to the mean of x (N,P,C) over its P rows
// (the pixels of an NHWC image, P = H·W): each sample's column sums
// (AddColumnSums), then all of y scaled by the float32 1/P.
func GlobalAvgPool(y, x []float32, n, p, c int) {
	checkMatrix("GlobalAvgPool", n*p, c, len(x))
	checkMatrix("GlobalAvgPool", n, c, len(y))
	clear(y)
	for s := 0; s < n; s++ {
		AddColumnSums(y[s*c:(s+1)*c], x[s*p*c:(s+1)*p*c], p, c)
	}
	Scale(y, 1/float32(p))
}

// GlobalAvgPoolBackward adds dy (N,C) / P to every row of dx (N,P,C).
func GlobalAvgPoolBackward(dx, dy []float32, n, p, c int) {
	checkMatrix("GlobalAvgPoolBackward", n*p, c, len(dx))
	checkMatrix("GlobalAvgPoolBackward", n, c, len(dy))
	inv := 1 / float32(p)
	for s := 0; s < n; s++ {
		d := dy[s*c : (s+1)*c]
		for t := 0; t < p; t++ {
			row := dx[(s*p+t)*c:][:c]
			for ch, v := range d {
				row[ch] += v * inv
			}
		}
	}
}
