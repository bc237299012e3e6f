package quantize

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Model is a quantized network, for inference only: made by Quantize from
// a trained goras.Model, or read by Load. Its convolutions and dense layers
// are int8 GEMMs on uint8 activations (AMX's int8 tiles or AVX512_VNNI
// where the CPU has them, the same integers in pure Go elsewhere); the last layer's outputs are
// float32, through softmax when the float model had it.
//
// A Model is never changed after it is made: Predict may be called from
// many goroutines at once, each call taking its own buffers from a pool.
type Model struct {
	name       string
	input      []int  // per-sample input shape
	in         params // the input's quantization
	image      []imageStage
	dense      []*dense // the last one is the output layer
	classNames []string

	inv   float32 // 1/in.Scale, what QuantizeU8 multiplies by
	flat  int     // values per sample entering dense[0]
	pools sync.Pool
}

// imageStage is one step on images, a convolution or a pooling.
type imageStage struct {
	conv *conv
	pool *pool
}

// chunkRows is how many samples one worker takes at a time: the dense
// layers' GEMMs then read each weight once per 32 samples, and the
// activations of a chunk stay in the core's cache.
const chunkRows = 32

// Accelerated reports whether Predict runs on AVX512_VNNI integer dot
// products on this CPU. Without them it computes the same outputs in pure
// Go, more slowly than the float32 model.
func Accelerated() bool { return kernel.QAccelerated() }

// Name is the name of the model it was made from.
func (m *Model) Name() string { return m.name }

// InputShape is the per-sample shape Predict takes, e.g. (28, 28, 1).
func (m *Model) InputShape() []int { return slices.Clone(m.input) }

// Classes is the number of outputs per sample.
func (m *Model) Classes() int { return m.dense[len(m.dense)-1].Units }

// ClassNames are the float model's class names, if it had any.
func (m *Model) ClassNames() []string { return slices.Clone(m.classNames) }

// workspace is one worker's buffers: each convolution's padded input (p)
// and output (o), each pooling's output (o), the input image when a pooling
// comes first, the rows of a chunk before each dense layer, and the last
// layer's sums.
type workspace struct {
	p, o [][]uint8
	x0   []uint8
	rows [][]uint8
	acc  []int32
}

// finish derives everything Predict needs from the stored fields.
func (m *Model) finish() {
	m.inv = float32(1 / float64(m.in.Scale))
	for _, st := range m.image {
		if st.conv != nil {
			st.conv.setup(false)
		}
	}
	for i, d := range m.dense {
		d.prepare(1, d.Inputs, d.Units, i == len(m.dense)-1)
	}
	m.flat = m.dense[0].Inputs
	m.pools.New = func() any { return m.newWorkspace() }
}

func (m *Model) newWorkspace() *workspace {
	l := m.layout()
	ws := &workspace{p: make([][]uint8, len(m.image)), o: make([][]uint8, len(m.image))}
	for i, st := range m.image {
		ws.o[i] = make([]uint8, l.o[i])
		if c := st.conv; c != nil {
			ws.p[i] = make([]uint8, l.p[i])
			c.fillBorders(ws.p[i])
		}
	}
	if l.x0 > 0 {
		ws.x0 = make([]uint8, l.x0)
	}
	for _, n := range l.rows {
		ws.rows = append(ws.rows, make([]uint8, n))
	}
	ws.acc = make([]int32, l.acc)
	return ws
}

// inputView is where one image's quantized input goes: the first
// convolution's padded image, else a buffer of its own.
func (m *Model) inputView(ws *workspace) act {
	if c := m.image[0].conv; c != nil {
		return c.pView(ws.p[0])
	}
	p := m.image[0].pool
	return act{data: ws.x0, h: p.H, w: p.W, c: p.C, rs: p.W * p.C}
}

// imageForward runs one image x through the image stages; its flattened
// result goes to dst, the image's row of the chunk.
func (m *Model) imageForward(ws *workspace, x []float32, dst []uint8) {
	if len(m.image) == 0 {
		kernel.QuantizeU8(dst, x, m.inv, float32(m.in.Zero))
		return
	}
	in := m.inputView(ws)
	n := in.w * in.c
	for r := 0; r < in.h; r++ {
		kernel.QuantizeU8(in.data[r*in.rs:r*in.rs+n], x[r*n:(r+1)*n], m.inv, float32(m.in.Zero))
	}
	for i, st := range m.image {
		// Each stage writes straight into the next one's input when it
		// can: a convolution's padded image, or the chunk's row.
		var out *act
		if i+1 < len(m.image) {
			if c := m.image[i+1].conv; c != nil {
				v := c.pView(ws.p[i+1])
				out = &v
			}
		} else {
			v := act{data: dst, h: in.h, w: in.w, c: in.c}
			out = &v
		}
		if c := st.conv; c != nil {
			if i+1 == len(m.image) {
				out.h, out.w, out.c, out.rs = c.oh, c.ow, c.F, c.ow*c.F
			}
			in = c.run(ws.p[i], ws.o[i], in, out)
		} else {
			p := st.pool
			if i+1 == len(m.image) {
				out.h, out.w, out.c, out.rs = p.H/2, p.W/2, p.C, p.W/2*p.C
			}
			in = p.run(ws.o[i], in, out)
		}
	}
}

// chunk runs rows samples: x holds their inputs, y gets their outputs.
func (m *Model) chunk(ws *workspace, x, y []float32, rows int) {
	per := len(x) / rows
	for i := 0; i < rows; i++ {
		m.imageForward(ws, x[i*per:(i+1)*per], ws.rows[0][i*m.flat:(i+1)*m.flat])
	}
	last := len(m.dense) - 1
	for i, d := range m.dense[:last] {
		d.run(ws.rows[i+1], ws.rows[i], rows)
	}
	d := m.dense[last]
	d.sums(ws.acc, ws.rows[last], rows)
	n := d.Units
	for i := 0; i < rows; i++ {
		for j := 0; j < n; j++ {
			y[i*n+j] = d.real(ws.acc[i*n+j], j, d.mul, d.add)
		}
	}
	if d.Softmax {
		kernel.SoftmaxRows(y[:rows*n], y[:rows*n], rows, n)
	}
}

// predictJob is one Predict call split across the worker pool by chunks.
// Each chunk checks its own inputs for NaN and infinity first (in
// parallel, while they come into the cache anyway); bad is the index of
// the first such value, or len(x).
type predictJob struct {
	m      *Model
	x, y   []float32
	n, per int
	bad    atomic.Int64
}

func (j *predictJob) Run(lo, hi int) {
	ws := j.m.pools.Get().(*workspace)
	defer j.m.pools.Put(ws)
	k := j.m.Classes()
	for c := lo; c < hi; c++ {
		r0, r1 := c*chunkRows, min(j.n, (c+1)*chunkRows)
		x := j.x[r0*j.per : r1*j.per]
		if i := kernel.FirstNonFinite(x); i >= 0 {
			for at := int64(r0*j.per + i); ; {
				if b := j.bad.Load(); at >= b || j.bad.CompareAndSwap(b, at) {
					break
				}
			}
			continue
		}
		j.m.chunk(ws, x, j.y[r0*k:r1*k], r1-r0)
	}
}

// Predict returns the model's outputs for x, (N, Classes()) — class
// probabilities when the float model ended in softmax. x is (N, ...) with
// the per-sample shape InputShape() (axes of length 1 may be left out or
// added, e.g. (N, 28, 28) for (28, 28, 1)), holding no NaN or infinity.
// Samples are split across the worker pool, 32 at a time; the result does
// not depend on how.
func (m *Model) Predict(x *tensor.Tensor) (*tensor.Tensor, error) {
	n, err := m.checkInput(x, "predict")
	if err != nil {
		return nil, err
	}
	y := tensor.New(n, m.Classes())
	job := &predictJob{m: m, x: x.Data(), y: y.Data(), n: n, per: x.Len() / n}
	job.bad.Store(int64(x.Len()))
	kernel.Parallel((n+chunkRows-1)/chunkRows, 1, job)
	if i := int(job.bad.Load()); i < x.Len() {
		return nil, fmt.Errorf("quantize: predict: sample %d holds %v at position %d; inputs must be finite", i/job.per, x.Data()[i], i%job.per)
	}
	return y, nil
}

// checkInput returns the number of samples in x, or an error saying what
// is wrong with its shape; what names x in it. (Predict checks the values
// as it goes.)
func (m *Model) checkInput(x *tensor.Tensor, what string) (int, error) {
	want := tensor.ShapeString(m.input, true)
	if x == nil || x.Rank() < 2 || x.Dim(0) < 1 {
		return 0, fmt.Errorf("quantize: %s: want a batch of inputs of shape %s, got %v", what, want, shapeOf(x))
	}
	if !slices.Equal(squeeze(x.Shape()[1:]), squeeze(m.input)) {
		return 0, fmt.Errorf("quantize: %s: the model takes inputs of shape %s, got %s; reshape them (tensor.Reshape)",
			what, want, tensor.ShapeString(x.Shape(), false))
	}
	return x.Dim(0), nil
}

func shapeOf(x *tensor.Tensor) string {
	if x == nil {
		return "nil"
	}
	return tensor.ShapeString(x.Shape(), false)
}

// squeeze drops the axes of length 1.
func squeeze(s []int) []int {
	var out []int
	for _, d := range s {
		if d != 1 {
			out = append(out, d)
		}
	}
	return out
}
