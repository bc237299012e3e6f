package kernel

import "fmt"

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
	win     Window // image H×W, window KH×KW, strides, padding
	n, c, f int    // samples, input channels, filters
	oh, ow  int    // output rows and columns, win.Out()
	k       int    // patch length KH·KW·C

	kern   *microKernel
	direct bool // 1×1 window, stride 1, no padding: the patches are x
	hp, wp int  // rows and columns of x padded

	// The shifted-window path (conv_shifted.go), used instead of im2col
	// when shifted is set: forward units of srb output rows, sblocks per
	// sample; padded says x must be copied with its padding; wFlip is the
	// kernel of dx as a convolution of dy, (KH,KW,F,C).
	shifted      bool
	padded       bool
	srb, sblocks int
	wFlip        []float32
	wBand        []float32 // w as bandConv reads it, when the forward uses it
	wFlipBand    []float32 // wFlip likewise, when dx uses bandConv
	biasRep      []float32 // the bias repeated, for biasAct
	wPanel       []float32 // w in column panels, when the forward reads them
	wFlipPanel   []float32 // wFlip likewise, for dx (set, then used, by Backward)
	wPair        []float32 // w expanded for pixel pairs (pairWeights), when the forward uses them
	wFlipPair    []float32 // wFlip likewise, for dx
	sfwd         shiftedForward
	rb           int // output rows per block
	blocks       int // blocks per sample
	groups       int // batch groups of the backward pass
	partDW       [][]float32
	partDB       [][]float32
	wT           []float32    // w transposed, (F, K), for dpatches = dy·wᵀ (made by Backward)
	kept         []float32    // the last Forward's patches, (N·OH·OW, K), when kept
	keptX        []float32    // on the shifted path, its padded input (N,HP,WP,C), when kept
	scratch      *ConvScratch // per-worker block buffers, maybe shared (conv_scratch.go)
	in           *inputAffine // the map x is read through (SetInputAffine), nil for none
	runs         *BNRuns      // the sums Backward takes from dx (SetGradRuns), nil for none
	stats        *BNStats     // the statistics Forward takes from y (SetOutputStats), nil for none
	set          convSet      // the gradients Backward sets (SetGrads, conv_set.go)

	fwd convForward
	bwd convBackward

	tile *directTile   // ForwardAffine's tile (conv_tile.go), nil for none
	dfwd directForward // its job

	affine bool           // ForwardAffine has run: the scratch holds its buffers (useAffine)
	wino   *winoImpl      // ForwardAffine's Winograd transforms (conv_winograd.go), nil for none
	winoU  []float32      // the transformed kernel, (16, C, F)
	winoW  []float32      // the kernel winoU was made from
	wfwd   winoForwardJob // its job

	// Training's Winograd path (conv_winograd_train.go): w and wFlip
	// transformed, and dx's zero shift.
	winoTU, winoDU, winoZero []float32
	partWM                   [][]float32 // per batch group, dw's sums on the Winograd path, (16, C, F)
}

// Block and parallel sizing. A block's patches take about convBlockFloats
// values (128 KiB), so that they, w and the block of y share the L2; a
// chunk of pool work is at least convMinChunk multiply-adds, below which
// waking a helper costs more than it saves.
const (
	convBlockFloats = 1 << 15
	convMinChunk    = 1 << 18
	convMaxGroups   = 8
	// convKeepFloats bounds the patches KeepPatches holds (16 MiB): enough
	// for both LeNet-5 layers at batch 128, where copying the patches
	// again in Backward would cost as much as the GEMMs.
	convKeepFloats = 1 << 22
	// convKeepXFloats bounds the padded input the shifted path keeps
	// (1 MiB). A larger copy costs more to keep than to make again: it is
	// written out to memory in Forward and read back cold in Backward,
	// where padding x again reads x cold once and writes a copy that
	// stays in cache. On an Intel Xeon, whose two cores share about
	// 15 GB/s of memory bandwidth, the bounty CNN's epoch took a median
	// 41.2 s (40.2–41.7, 7 runs) keeping its 4–15 MiB copies and 39.7 s
	// (39.1–42.0) without, while LeNet-5 (its first layer's copy is
	// 0.5 MiB) ran 3 % slower without its own.
	convKeepXFloats = 1 << 18
)

// NewConv2D prepares the convolution of x (n,H,W,c) by a (KH,KW,c,f)
// kernel moved over x padded with zeros as g says, giving y (n,OH,OW,f)
// with (OH, OW) = g.Out(). It panics on a geometry that makes no sense.
func NewConv2D(n, c, f int, g Window) *Conv2D {
	if n < 1 || c < 1 || f < 1 || !g.Valid() {
		panic(fmt.Sprintf("kernel: NewConv2D: %d samples of %d channels, %d filters, %v", n, c, f, g))
	}
	cv := &Conv2D{win: g, n: n, c: c, f: f, kern: active}
	cv.oh, cv.ow = g.Out()
	cv.k = g.KH * g.KW * c
	cv.hp, cv.wp = g.Padded()
	cv.padded = cv.hp > g.H || cv.wp > g.W
	cv.direct = g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && !cv.padded
	cv.shifted = shiftedOK(g)
	// Whole samples per forward unit when the batch alone gives the pool
	// enough units (each unit copies KH-1 padded rows beyond its own);
	// quarters of a sample otherwise, for the latency of small batches.
	cv.srb = cv.oh
	if n < 4 {
		cv.srb = ceilDiv(cv.oh, 4)
	}
	cv.sblocks = ceilDiv(cv.oh, cv.srb)
	cv.sfwd.cv = cv
	cv.rb = min(cv.oh, max(1, convBlockFloats/(cv.ow*cv.k)))
	cv.blocks = ceilDiv(cv.oh, cv.rb)
	cv.groups = min(n, convMaxGroups)
	if cv.shifted && g.KW*c < shiftMinRow {
		cv.wBand = make([]float32, g.KH*f*cv.k)
	}
	cv.fwd.cv, cv.bwd.cv = cv, cv
	cv.tile = activeTile
	if winogradOK(g, c, f) {
		cv.wino = defaultWino(cv.tile)
	}
	cv.ShareScratch(NewConvScratch())
	return cv
}

// backwardBuffers makes, on the first Backward, what only the backward
// pass uses (the per-group sums, the flipped kernel), so that a
// convolution that only runs forward (inference) never holds them.
func (cv *Conv2D) backwardBuffers() {
	if cv.partDW != nil {
		return
	}
	cv.partDW = make([][]float32, cv.groups)
	cv.partDB = make([][]float32, cv.groups)
	for i := range cv.groups {
		cv.partDW[i] = make([]float32, cv.k*cv.f)
		cv.partDB[i] = make([]float32, cv.f)
	}
	if cv.shifted {
		cv.wFlip = make([]float32, cv.f*cv.k)
		if cv.win.KW*cv.f < shiftMinRow {
			cv.wFlipBand = make([]float32, cv.win.KH*cv.f*cv.k)
		}
	}
}

// KeepPatches makes Forward keep what Backward's weight gradient would
// otherwise rebuild from x, and returns whether it does: on the im2col
// path the patches matrix, when it holds at most 4M values; on the
// shifted path the padded input, when x is padded, the forward units are
// whole samples and it holds at most 256K values. A training plan calls it;
// what is kept stays valid as long as x does not change between the
// passes, which a plan guarantees.
func (cv *Conv2D) KeepPatches() bool {
	if cv.shifted {
		if !cv.padded || cv.srb != cv.oh || cv.n*cv.hp*cv.wp*cv.c > convKeepXFloats {
			return false
		}
		if cv.keptX == nil {
			cv.keptX = make([]float32, cv.n*cv.hp*cv.wp*cv.c)
		}
		return true
	}
	if cv.direct || cv.n*cv.oh*cv.ow*cv.k > convKeepFloats {
		return false
	}
	if cv.kept == nil {
		cv.kept = make([]float32, cv.n*cv.oh*cv.ow*cv.k)
	}
	return true
}

// OutShape is (OH, OW).
func (cv *Conv2D) OutShape() (oh, ow int) { return cv.oh, cv.ow }

func (cv *Conv2D) checkLens(op string, named ...any) {
	for i := 0; i < len(named); i += 3 {
		name, s, want := named[i].(string), named[i+1].([]float32), named[i+2].(int)
		if s != nil && len(s) != want {
			panic(fmt.Sprintf("kernel: Conv2D.%s: %s has %d elements, want %d", op, name, len(s), want))
		}
	}
}

// checkForward panics unless Forward's operands (Conv2D's or
// Conv2DBF16's) fit the convolution.
func (cv *Conv2D) checkForward(y, x, w, bias []float32) {
	cv.checkLens("Forward", "y", y, cv.n*cv.oh*cv.ow*cv.f, "x", x, cv.n*cv.win.H*cv.win.W*cv.c, "w", w, cv.k*cv.f, "bias", bias, cv.f)
}

// Forward computes y = act(conv(x, w) + bias): x (N,H,W,C), w (KH,KW,C,F),
// bias (F) or nil for none, y (N,OH,OW,F) overwritten. With relu, act is
// max(·, 0) as kernel.ReLU computes it (NaN gives 0); otherwise the
// identity.
func (cv *Conv2D) Forward(y, x, w, bias []float32, relu bool) {
	cv.checkForward(y, x, w, bias)
	bias = cv.setBias(bias)
	if cv.shifted {
		j := &cv.sfwd
		if cv.winoForwardOK() {
			cv.winoKernel(&cv.winoTU, w, cv.c, cv.f)
		} else {
			w = cv.shiftedWeights(w)
		}
		j.y, j.x, j.wt, j.bias, j.relu = y, x, w, bias, relu
		if cv.stats != nil {
			cv.stats.start(y)
		}
		perUnit := cv.srb * cv.ow * cv.k * cv.f
		Parallel(cv.n*cv.sblocks, max(1, convMinChunk/perUnit), j)
		j.y, j.x, j.wt, j.bias = nil, nil, nil, nil
		return
	}
	j := &cv.fwd
	j.y, j.x, j.wt, j.bias, j.relu = y, x, w, bias, relu
	units := cv.n * cv.blocks
	perUnit := cv.rb * cv.ow * cv.k * cv.f
	Parallel(units, max(1, convMinChunk/perUnit), j)
	j.y, j.x, j.wt, j.bias = nil, nil, nil, nil
}

// shiftedWeights lays w out as the shifted forward's tiles read it: in
// bands, column panels or pixel pairs, as the geometry takes them.
func (cv *Conv2D) shiftedWeights(w []float32) []float32 {
	if cv.wBand != nil {
		bandWeights(cv.wBand, w, cv.win.KH, cv.win.KW, cv.c, cv.f)
		w = cv.wBand
	}
	if nr := cv.kern.nr; cv.win.KW*cv.c >= shiftMinRow && cv.f > nr {
		cv.wPanel = grow(cv.wPanel, ceilDiv(cv.f, nr)*nr*cv.k)
		panelWeights(cv.wPanel, w, cv.k, cv.f, nr)
		w = cv.wPanel
	}
	if pairOK(cv.kern, cv.f, cv.ow) {
		u := cv.c // rows per window column block: shifted, or band
		if cv.wBand != nil {
			u = cv.win.KH * cv.c
		}
		cv.wPair = grow(cv.wPair, cv.win.KH*(cv.win.KW+1)*u*2*cv.f)
		pairWeights(cv.wPair, w, cv.win.KH, cv.win.KW, u, cv.f)
		w = cv.wPair
	}
	return w
}

// convForward is the im2col path's forward job; its operands are the
// shifted path's too (shiftedForward).
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
		dst := s.cols
		if cv.kept != nil {
			dst = cv.kept[first*cv.k : (first+pix)*cv.k]
		}
		a := cv.patches(dst, j.x, n, i0, i1)
		gemmInline(cv.kern, false, false, pix, cv.f, cv.k, 1, a, cv.k, j.wt, cv.f, 0, yb, cv.f)
		biasAct(yb, j.bias, j.relu)
	}
	cv.putScratch(s)
}

// sample returns sample n of x or dx, (H,W,C).
func (cv *Conv2D) sample(x []float32, n int) []float32 {
	l := cv.win.H * cv.win.W * cv.c
	return x[n*l : (n+1)*l]
}

// patches returns the patch rows of output rows [i0, i1) of sample n:
// x itself when the window is 1×1, else dst filled by im2col.
func (cv *Conv2D) patches(dst, x []float32, n, i0, i1 int) []float32 {
	pix := (i1 - i0) * cv.ow
	if cv.direct {
		first := n*cv.win.H*cv.win.W + i0*cv.win.W
		return x[first*cv.c : (first+pix)*cv.c]
	}
	dst = dst[:pix*cv.k]
	Im2col(dst, cv.sample(x, n), cv.win, cv.c, i0, i1)
	return dst
}

// biasAct adds the bias to every row of y, (rows, F), and applies ReLU
// when relu is set. rep is the bias repeated convBiasReps times (nil: no
// bias), so that the add runs as vector adds of whole repeats rather than
// rows of F values (F = 6 in LeNet's first layer). The ReLU is
// kernel.ReLU's, so the fused op gives the bits of a separate ReLU.
func biasAct(y, rep []float32, relu bool) {
	if relu && biasReLUVec(y, rep) { // one pass, with AVX-512 (biasrelu_amd64.go)
		return
	}
	if l := len(rep); l > 0 {
		i := 0
		for ; i+l <= len(y); i += l {
			AddTo(y[i:i+l], rep)
		}
		AddTo(y[i:], rep[:len(y)-i])
	}
	if relu {
		ReLU(y, y)
	}
}

// grow returns s if it has n elements, else a new slice of n: buffers
// whose size depends on the tile (tests swap implementations) are made on
// first use and then reused.
func grow(s []float32, n int) []float32 {
	if len(s) == n {
		return s
	}
	return make([]float32, n)
}

// convBiasReps is how many copies of the bias biasAct adds per call.
const convBiasReps = 16

// setBias fills biasRep with copies of bias and returns it, or nil when
// there is no bias.
func (cv *Conv2D) setBias(bias []float32) []float32 {
	if bias == nil {
		return nil
	}
	if cv.biasRep == nil {
		cv.biasRep = make([]float32, convBiasReps*cv.f)
	}
	for r := 0; r < convBiasReps; r++ {
		copy(cv.biasRep[r*cv.f:], bias)
	}
	return cv.biasRep
}

// reluMask sets dst = dy where y > 0, else 0 (as 0 + dy, so a -0 in dy
// gives +0), with kernel.ReLUBackward's vector loop.
func reluMask(dst, dy, y []float32) {
	clear(dst)
	ReLUBackward(dst, dy[:len(dst)], y[:len(dst)])
}

// columnSums adds the column sums of src (rows, f) to dst (f), the bias
// gradient. With f as small as 6 (LeNet), row-by-row vector adds would be
// mostly call overhead; instead src is added to acc (reps·f values, zeroed
// here) a block of len(acc) values at a time, and acc's reps rows are then
// folded into dst. The order of the additions is fixed by the shape.
func columnSums(dst, src []float32, rows, f int, acc []float32) {
	clear(acc)
	l, n := len(acc), rows*f
	i := colSumsVec(acc, src[:n]) // the whole blocks, with AVX-512 (colsums_amd64.go)
	for ; i+l <= n; i += l {
		AddTo(acc, src[i:i+l])
	}
	AddTo(acc[:n-i], src[i:n])
	for r := 0; r+f <= l; r += f {
		for c, v := range acc[r : r+f] {
			dst[c] += v
		}
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
