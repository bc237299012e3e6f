package kernel

// Winograd's F(2×2, 3×3) in training. The shifted path's Forward and
// Backward's dx are both a valid 3×3 convolution of a padded grid: x padded
// as the window says by the kernel, dy padded by two less the padding by
// the kernel rotated (wFlip). Where the geometry takes Winograd
// (winogradOK: 16·k channels both sides) and the output's sides are even,
// both run through the transforms ForwardAffine uses (conv_winograd.go):
// 16 multiply-adds per 2×2 outputs and channel pair where the direct
// convolution does 36.
//
// The kernel is transformed on every call, as training changes it every
// step: 16·C·F values, a few microseconds, against milliseconds for the
// batch's convolution. The sums are the direct path's within a few
// roundings (the transforms' constants are 0, ±1 and ½), not the same
// bits; TestConv2DWinogradTraining holds both passes, and the weight
// gradient (conv_winograd_dw.go), to the float64 reference at the direct
// path's tolerance.
//
// On the Intel Xeon (AMX generation), one core, the bounty CNN's layers at
// batch 128 (BenchmarkConv2DWinogradTraining): forward and dx 1.4× the
// direct path's speed with 32 channels in and out, 1.5–1.7× with 64
// (internal/kernel/BENCH.md, round 9).

// winoTrainOff turns the training Winograd path off, for the tests and
// benchmarks that hold the direct path.
var winoTrainOff bool

// winoChunkTiles is about how many output tiles winoRows transforms at a
// time: with 64 channels a chunk's transformed input and products are
// 2·16·64·64 values (512 KiB), in L2 beside the padded sample.
const winoChunkTiles = 64

// winoForwardOK says whether the shifted Forward takes Winograd: the
// output's sides even and each forward unit's rows too.
func (cv *Conv2D) winoForwardOK() bool {
	return !winoTrainOff && cv.wino != nil && cv.shifted && cv.oh%2 == 0 && cv.ow%2 == 0 && cv.srb%2 == 0
}

// winoDXOK says whether Backward's dx takes Winograd: the input's sides
// even (dx is the output of the convolution of dy). The shifted path's
// GEMM dx (gemmDX) is for at most 8 channels, so never here.
func (cv *Conv2D) winoDXOK() bool {
	return !winoTrainOff && cv.wino != nil && cv.shifted && cv.win.H%2 == 0 && cv.win.W%2 == 0
}

// winoChunk is how many tile rows of tw tiles winoRows takes at a time.
func winoChunk(th, tw int) int { return min(th, max(1, winoChunkTiles/tw)) }

// winoChunkOf is how many tiles a chunk of an output of rows × cols
// pixels holds at most.
func winoChunkOf(rows, cols int) int { return winoChunk(rows/2, cols/2) * (cols / 2) }

// winoNeed adds to n the transformed input and products of winoRows's
// chunks: for Forward's units, and with backward for dw's and dx's
// samples.
func (cv *Conv2D) winoNeed(n *convNeed, backward bool) {
	need := func(tiles, in, out int) {
		n.wv, n.wm = max(n.wv, 16*tiles*in), max(n.wm, 16*tiles*out)
	}
	if cv.winoForwardOK() {
		need(winoChunkOf(cv.srb, cv.ow), cv.c, cv.f)
	}
	if backward && cv.winoDWOK() { // V of x, D of dy
		need(winoChunkOf(cv.oh, cv.ow), cv.c, cv.f)
	}
	if backward && cv.winoDXOK() {
		need(winoChunkOf(cv.win.H, cv.win.W), cv.f, cv.c)
		n.dym = max(n.dym, cv.win.H*cv.win.W*cv.c) // winoDX's sample, when it adds
	}
}

// winoKernel sets *u to w (3,3,ci,co) transformed, (16, ci, co).
func (cv *Conv2D) winoKernel(u *[]float32, w []float32, ci, co int) {
	*u = grow(*u, 16*ci*co)
	cv.wino.kernel(*u, ci*co, w, ci, co)
}

// winoRows sets out, rows × cols pixels of co channels with rows ldo
// values apart, to the valid 3×3 convolution of src, rows+2 rows of at
// least cols+2 pixels of ci channels with rows rs values apart, by the
// transformed kernel u (16, ci, co), through the epilogue of flags and
// shift (convShift, convReLU). rows and cols are even. A chunk of tile
// rows at a time: its tiles transformed into s.wv, their products in s.wm,
// then transformed back into out.
func (cv *Conv2D) winoRows(s *convScratch, out []float32, ldo int, src []float32, rs, rows, cols, ci, co int, u, shift []float32, flags int) {
	th, tw := rows/2, cols/2
	chunk := winoChunk(th, tw)
	for t0 := 0; t0 < th; t0 += chunk {
		t1 := min(th, t0+chunk)
		tiles := (t1 - t0) * tw
		v, m := s.wv[:16*tiles*ci], s.wm[:16*tiles*co]
		for tr := t0; tr < t1; tr++ {
			cv.wino.input(v[(tr-t0)*tw*ci:], tiles*ci, src[2*tr*rs:], rs, ci, tw)
		}
		winoProducts(cv.kern, m, v, u, tiles, ci, co)
		for tr := t0; tr < t1; tr++ {
			cv.wino.output(out[2*tr*ldo:], ldo, m[(tr-t0)*tw*co:], tiles*co, co, tw, nil, shift, flags)
		}
	}
}

// winoProducts sets M[ξ] = V[ξ]·U[ξ] for the 16 cells ξ: m (16, tiles, co),
// v (16, tiles, ci), u (16, ci, co). Straight through the GEMM tile: the
// operands of one ξ stay in L1 while its tiles run, and each tile's depth
// is ci whole.
func winoProducts(kern *microKernel, m, v, u []float32, tiles, ci, co int) {
	mr, nr := kern.mr, kern.nr
	for xi := 0; xi < 16; xi++ {
		a, b, out := v[xi*tiles*ci:], u[xi*ci*co:], m[xi*tiles*co:]
		for r0 := 0; r0 < tiles; r0 += mr {
			rows := min(mr, tiles-r0)
			for f0 := 0; f0 < co; f0 += nr {
				kern.tile(ci, a[r0*ci:], ci, 1, b[f0:], co, out[r0*co+f0:], co, 1, 0, rows, min(nr, co-f0))
			}
		}
	}
}

// winoForwardRows is the forward unit's convolution on the Winograd path:
// y's rows from src's padded rows, with the bias (repeated, as biasAct
// takes it; nil for none) and the ReLU in the output transform.
func (j *shiftedForward) winoForwardRows(s *convScratch, yb, src []float32, rows int) {
	cv := j.cv
	flags := 0
	if j.bias != nil {
		flags |= convShift
	}
	if j.relu {
		flags |= convReLU
	}
	cv.winoRows(s, yb, cv.ow*cv.f, src, cv.wp*cv.c, rows, cv.ow, cv.c, cv.f, cv.winoTU, j.bias, flags)
}

// winoDX writes sample n's dx (its H×W×C values at dx) from dyp, dy padded
// for dx ((H+2)×(W+2)×F). Set: the output transform adds +0 (a zero
// shift), so that a -0 comes out +0 as rowsFresh's sums do; add: the
// sample goes through s.dym first, then into dx.
func (j *convBackward) winoDX(s *convScratch, dx, dyp []float32, mode rowsWrite) {
	cv := j.cv
	h, w, c, f := cv.win.H, cv.win.W, cv.c, cv.f
	out := dx
	if mode == rowsAdd {
		out = s.dym[:len(dx)]
	}
	cv.winoRows(s, out, w*c, dyp, (w+2)*f, h, w, f, c, cv.winoDU, cv.winoZero, convShift)
	if mode == rowsAdd {
		AddTo(dx, out)
	}
}

// winoBackward prepares Backward's Winograd dx: wFlip transformed, and
// the zero shift.
func (cv *Conv2D) winoBackward() {
	cv.winoKernel(&cv.winoDU, cv.wFlip, cv.f, cv.c)
	if cv.winoZero == nil {
		cv.winoZero = make([]float32, cv.c)
	}
}
