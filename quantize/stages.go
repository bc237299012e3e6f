package quantize

import (
	"math"
	"unsafe"

	"github.com/goras-ml/goras/internal/kernel"
)

// params is a per-tensor asymmetric uint8 quantization: real = Scale·(q −
// Zero).
type params struct {
	Scale float32
	Zero  uint8
}

// act is one image's uint8 activations: h rows of w pixels of c channels,
// rows rs bytes apart.
type act struct {
	data    []uint8
	h, w, c int
	rs      int
}

// copyRows copies src's pixels into dst, of the same h, w and c.
func copyRows(dst, src act) {
	n := src.w * src.c
	for r := 0; r < src.h; r++ {
		copy(dst.data[r*dst.rs:r*dst.rs+n], src.data[r*src.rs:r*src.rs+n])
	}
}

// same reports whether two views start at the same byte with the same row
// stride.
func same(a, b act) bool {
	return len(a.data) > 0 && len(b.data) > 0 && unsafe.SliceData(a.data) == unsafe.SliceData(b.data) && a.rs == b.rs
}

// matmul is what a Conv2D or a Dense (with the BatchNormalization and ReLU
// after it folded in) becomes: int8 weights with a float32 scale per output
// channel and a float32 bias, computed as an int8 GEMM on the uint8 input
// and requantized to the output's uint8 (or, for the last layer,
// dequantized to float32).
type matmul struct {
	W      []int8    // Conv2D (KH, KW, C, F), Dense (in, units)
	WScale []float32 // per output channel: real weight = WScale·W
	Bias   []float32 // per output channel, BatchNormalization folded in
	ReLU   bool
	In     params
	Out    params // unused by the last layer, which outputs float32

	q   *kernel.QMatrix
	mul []float32 // requantization: acc·mul + add, padded to 16 lanes
	add []float32
	lo  float32
}

// prepare packs the weights and derives the requantization from the
// stored fields alone, so that a loaded model computes what the quantized
// one did, bit for bit. taps and run lay out W's rows for the GEMM; float
// says the output stays float32 (then mul and add give real values).
func (mm *matmul) prepare(taps, run, n int, float bool) {
	mm.q = kernel.NewQMatrix(mm.W, taps, run, n)
	k := taps * run
	cols := (n + 15) / 16 * 16
	mm.mul, mm.add = make([]float32, cols), make([]float32, cols)
	sa, za := float64(mm.In.Scale), float64(mm.In.Zero)
	for j := 0; j < n; j++ {
		var colSum int64
		for p := 0; p < k; p++ {
			colSum += int64(mm.W[p*n+j])
		}
		s := sa * float64(mm.WScale[j])
		// real = s·(acc − za·Σw) + bias
		mul, add := s, float64(mm.Bias[j])-s*za*float64(colSum)
		if !float {
			so := float64(mm.Out.Scale)
			mul, add = mul/so, add/so+float64(mm.Out.Zero)
		}
		mm.mul[j], mm.add[j] = float32(mul), float32(add)
	}
	mm.lo = 0
	if mm.ReLU && !float {
		mm.lo = float32(mm.Out.Zero)
	}
}

// real is the value an int32 sum stands for before the output's
// quantization: acc·mul + add with mul and add of the float layout
// (prepare(..., true)); calibration reads it.
func (mm *matmul) real(acc int32, j int, mul, add []float32) float32 {
	v := float32(float32(acc)*mul[j]) + add[j]
	if mm.ReLU {
		v = max(v, 0)
	}
	return v
}

// conv is a quantized Conv2D on NHWC images. Its input is copied into a
// padded image P (borders at the input's zero point, which stands for 0);
// each kernel row is a tap of KW·C contiguous bytes of P, so the GEMM reads
// P in place. At stride 1, output (i, j) is GEMM row i·wp + j: the rows run
// straight through P, and those with j ≥ ow (windows that wrap to the next
// row) are computed and left unused in O.
type conv struct {
	Name           string   // the Conv2D's, which names its tensors
	From           []string // the float layers folded into it
	KH, KW, C, F   int
	SH, SW         int
	PT, PB, PL, PR int
	InH, InW       int // input rows and columns
	matmul

	oh, ow, hp, wp int
	offs           []int
}

func (c *conv) setup(float bool) {
	c.hp, c.wp = c.InH+c.PT+c.PB, c.InW+c.PL+c.PR
	c.oh, c.ow = (c.hp-c.KH)/c.SH+1, (c.wp-c.KW)/c.SW+1
	c.offs = make([]int, c.KH)
	for t := range c.offs {
		c.offs[t] = t * c.wp * c.C
	}
	c.prepare(c.KH, c.KW*c.C, c.F, float)
}

// pads are the padding before and after an axis of n cells for a window of
// k at stride s: none for "valid"; for "same", Keras's (TensorFlow's)
// ceil(n/s) outputs with the odd cell of padding after.
func pads(n, k, s int, padding string) (before, after int) {
	if padding != "same" {
		return 0, 0
	}
	out := (n + s - 1) / s
	total := max((out-1)*s+k-n, 0)
	return total / 2, total - total/2
}

// linear says the GEMM rows run straight through P (stride 1).
func (c *conv) linear() bool { return c.SH == 1 && c.SW == 1 }

// sizes are the bytes of P (with the GEMM's over-read of up to 3 bytes)
// and of O.
func (c *conv) sizes() (p, o int) {
	if c.linear() {
		return c.hp*c.wp*c.C + 4, c.oh * c.wp * c.F
	}
	return c.hp*c.wp*c.C + 4, c.oh * c.ow * c.F
}

// pView is P's interior, where the input goes; oView is O's result.
func (c *conv) pView(p []uint8) act {
	return act{data: p[(c.PT*c.wp+c.PL)*c.C:], h: c.InH, w: c.InW, c: c.C, rs: c.wp * c.C}
}

func (c *conv) oView(o []uint8) act {
	rs := c.ow * c.F
	if c.linear() {
		rs = c.wp * c.F
	}
	return act{data: o, h: c.oh, w: c.ow, c: c.F, rs: rs}
}

// fillBorders sets P's padding to the input's zero point; it is never
// written again.
func (c *conv) fillBorders(p []uint8) {
	for i := range p {
		p[i] = c.In.Zero
	}
}

// run computes the layer on one image: in is copied into P unless it is
// there already, the result goes to O and, if out is given, is copied
// there (the next layer's input).
func (c *conv) run(p, o []uint8, in act, out *act) act {
	if pv := c.pView(p); !same(in, pv) {
		copyRows(pv, in)
	}
	if c.linear() {
		m := (c.oh-1)*c.wp + c.ow
		kernel.QGemmU8(o, c.F, p, c.C, c.offs, c.q, m, c.mul, c.add, c.lo)
	} else {
		for i := 0; i < c.oh; i++ {
			kernel.QGemmU8(o[i*c.ow*c.F:], c.F, p[i*c.SH*c.wp*c.C:], c.SW*c.C, c.offs, c.q, c.ow, c.mul, c.add, c.lo)
		}
	}
	ov := c.oView(o)
	if out == nil {
		return ov
	}
	copyRows(*out, ov)
	return *out
}

// sums are the int32 sums of one image (in already in P), laid out as O,
// for calibration.
func (c *conv) sums(acc []int32, p []uint8) {
	if c.linear() {
		kernel.QGemmI32(acc, c.F, p, c.C, c.offs, c.q, (c.oh-1)*c.wp+c.ow)
		return
	}
	for i := 0; i < c.oh; i++ {
		kernel.QGemmI32(acc[i*c.ow*c.F:], c.F, p[i*c.SH*c.wp*c.C:], c.SW*c.C, c.offs, c.q, c.ow)
	}
}

// pool is MaxPooling2D with 2×2 windows at stride 2, on uint8 directly:
// quantization keeps order, so input and output share one quantization.
type pool struct {
	Name    string
	H, W, C int // input rows, columns, channels
}

func (p *pool) size() int { return p.H / 2 * p.W / 2 * p.C }

// run pools in into out, or into y when out is nil.
func (p *pool) run(y []uint8, in act, out *act) act {
	o := act{data: y, h: p.H / 2, w: p.W / 2, c: p.C, rs: p.W / 2 * p.C}
	if out != nil {
		o = *out
	}
	kernel.MaxPool2x2U8(o.data, o.rs, in.data, in.rs, in.h, in.w, in.c)
	return o
}

// offs0 is the one tap of a dense layer.
var offs0 = []int{0}

// dense is a quantized Dense on a block of rows.
type dense struct {
	Name          string   // the Dense's, which names its tensors
	From          []string // the float layers folded into it
	Inputs, Units int
	Softmax       bool
	matmul
}

// sums are the int32 sums of rows rows of x.
func (d *dense) sums(acc []int32, x []uint8, rows int) {
	kernel.QGemmI32(acc, d.Units, x, d.Inputs, offs0, d.q, rows)
}

// run requantizes rows rows of x into y.
func (d *dense) run(y, x []uint8, rows int) {
	kernel.QGemmU8(y, d.Units, x, d.Inputs, offs0, d.q, rows, d.mul, d.add, d.lo)
}

// chooseParams is the quantization of values seen in [lo, hi]: the range
// widened to hold 0, which must be exact (it pads convolutions), mapped
// onto 0…255.
func chooseParams(lo, hi float64) params {
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if hi-lo < 1e-30 {
		return params{Scale: 1}
	}
	s := float32((hi - lo) / 255)
	z := math.Round(-lo / float64(s))
	return params{Scale: s, Zero: uint8(math.Min(math.Max(z, 0), 255))}
}
