package kernel

import "fmt"

// BNGrad is the output gradient of a convolution whose output y nothing
// but a batch normalization reads (fused with a ReLU or not), given as
// that normalization's input-gradient pass would write it: for each pixel
// i and channel c,
//
//	dy[i, c] = a[c]·g[i, c] + b[c]·(y[i, c] - mean[c]) + d[c]   (set, as BatchNorm.GradSet)
//
// with g = reluGrad(dz, y·scale + shift) when ReLU (BatchNorm.GradReLUSet),
// else dz; dz is the gradient of the normalization's output (of its ReLU's,
// when fused). BackwardBN computes it one sample at a time, where the
// convolution's passes read it, into a buffer that stays in the cache:
// the normalization would otherwise write it out for the whole batch and
// the convolution read it back, two passes over memory (for the bounty
// CNN's second layer, 12 MiB each way a step). Every value is the same
// function of the same operands, so the bits are the normalization's.
type BNGrad struct {
	DZ, Y        []float32 // (N·OH·OW, F)
	A, B, Mean   []float32 // F each
	D            []float32
	Scale, Shift []float32 // F each; read when ReLU
	ReLU         bool
	// Pool, when not nil, gives dz as the 2×2 max pooling reading the
	// normalization's output sets it in its backward pass, which then
	// need not have written DZ (see PooledGrad).
	Pool *PooledGrad
}

// PooledGrad is dz given by the 2×2 max pooling that reads the
// normalization's output, by its output gradient and winners, as
// MaxPool2DWinsBackwardSet would set it from them (3 cells in 4 are zero).
// The convolution makes each sample of dz from them in its cache, where
// the pooling would write dz for the whole batch and the convolution read
// it back: for the bounty CNN's first block, 12 MiB each way a step, from
// 4 MiB of gradient and winners.
type PooledGrad struct {
	DY   []float32 // the pooling's output gradient, (N, OH/2, OW/2, F)
	Wins []uint8   // its winners, as MaxPool2DWins set them
}

// sample sets dst to sample n of dz, (h, w, c).
func (p *PooledGrad) sample(dst []float32, n, h, w, c int) []float32 {
	per := (h / 2) * (w / 2) * c
	maxPoolWinsBackSample(dst, p.DY[n*per:(n+1)*per], p.Wins[n*per:(n+1)*per], h, w, c, true)
	return dst
}

// rows sets dst (rows·n values) to dy's rows [base+i0, base+i0+rows),
// reading dz from dzs's rows [i0, i0+rows) when dzs is not nil (the
// sample starting at row base, made from Pool), else from DZ.
func (g *BNGrad) rows(dst, dzs []float32, base, i0, rows, n int) {
	lo, hi := (base+i0)*n, (base+i0+rows)*n
	dz := g.DZ[lo:hi]
	if dzs != nil {
		dz = dzs[i0*n : (i0+rows)*n]
	}
	if g.ReLU {
		batchNormGradReLUSet(dst, dz, g.Y[lo:hi], g.A, g.B, g.Mean, g.D, g.Scale, g.Shift, rows, n)
		return
	}
	batchNormGradSet(dst, dz, g.Y[lo:hi], g.A, g.B, g.Mean, g.D, rows, n)
}

// BackwardBN is Backward with the output gradient bn's instead of dy (and
// no ReLU of the convolution's own): the same gradients, bit for bit, as
// running the normalization's GradSet or GradReLUSet into a buffer and
// Backward on it.
func (cv *Conv2D) BackwardBN(dx, dw, db []float32, bn *BNGrad, x, w []float32) {
	cv.checkBN("Conv2D.BackwardBN", dx, dw, db, bn, x, w)
	cv.backward(dx, dw, db, nil, x, w, nil, false, bn)
}

// checkBN panics unless BackwardBN's operands fit the convolution; op
// names the caller.
func (cv *Conv2D) checkBN(op string, dx, dw, db []float32, bn *BNGrad, x, w []float32) {
	out := cv.n * cv.oh * cv.ow * cv.f
	cv.checkLens("BackwardBN", "dx", dx, cv.n*cv.win.H*cv.win.W*cv.c, "dw", dw, cv.k*cv.f, "db", db, cv.f,
		"x", x, cv.n*cv.win.H*cv.win.W*cv.c, "w", w, cv.k*cv.f)
	if bn == nil || len(bn.DZ) != out || len(bn.Y) != out {
		panic(fmt.Sprintf("kernel: %s: the normalization's gradient and input must hold %d values each", op, out))
	}
	perChannel := [...]struct {
		name string
		v    []float32
	}{{"a", bn.A}, {"b", bn.B}, {"mean", bn.Mean}, {"d", bn.D}, {"scale", bn.Scale}, {"shift", bn.Shift}}
	for i, p := range perChannel {
		if len(p.v) != cv.f && (i < 4 || bn.ReLU) { // scale and shift only with the ReLU
			panic(fmt.Sprintf("kernel: %s: %s has %d values, want %d (the channels)", op, p.name, len(p.v), cv.f))
		}
	}
	if p := bn.Pool; p != nil {
		pooled := cv.n * (cv.oh / 2) * (cv.ow / 2) * cv.f
		switch {
		case !cv.TakesPooledGrad():
			panic(fmt.Sprintf("kernel: %s: a pooled gradient needs the shifted path (TakesPooledGrad)", op))
		case len(p.DY) != pooled || len(p.Wins) != pooled:
			panic(fmt.Sprintf("kernel: %s: the pooled gradient and winners have %d and %d values, want %d", op, len(p.DY), len(p.Wins), pooled))
		}
	}
}

// padGrad is Conv2D.padGrad for sample n's output gradient: dyn and yn's,
// or, with bn, made row by row in its place in dst.
func (j *convBackward) padGrad(s *convScratch, dst []float32, n int, dyn, yn []float32, rows, cols, top, left int) []float32 {
	cv := j.cv
	if j.bn == nil {
		return cv.padGrad(dst, dyn, yn, j.relu, rows, cols, top, left)
	}
	first := n * cv.oh * cv.ow
	return cv.padLayout(dst[:rows*cols*cv.f], cols, top, left, func(d []float32, i int) {
		j.bn.rows(d, s.dzn, first, i*cv.ow, cv.ow, cv.f)
	})
}

// wholeGrad returns sample n's output gradient (OH, OW, F): dyn when the
// sample has it already (dy's, or made by an earlier call), else bn's,
// made in the scratch. Callers keep the result as dyn, so that a sample
// makes it once.
func (j *convBackward) wholeGrad(s *convScratch, n int, dyn []float32) []float32 {
	if dyn != nil {
		return dyn
	}
	cv := j.cv
	d := s.dbn[:cv.oh*cv.ow*cv.f]
	j.bn.rows(d, s.dzn, n*cv.oh*cv.ow, 0, cv.oh*cv.ow, cv.f)
	return d
}

// TakesPooledGrad says whether BackwardBN takes a BNGrad with Pool: on the
// shifted path, whose backward pass goes sample by sample.
func (cv *Conv2D) TakesPooledGrad() bool { return cv.shifted }
