package quantize

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/tensor"
)

// Quantize makes an int8 model of m, a trained chain of layers ending in
// Dense, calibrated on calib: a few hundred samples of the training data,
// shaped as m takes them. Weights become int8, symmetric per output channel
// (the largest magnitude of each at ±127), with BatchNormalization folded
// into the Conv2D or Dense before it. Activations become uint8 with one
// scale and zero point per tensor, from the smallest and largest values
// the calibration samples give (widened to hold 0), each layer calibrated
// on the outputs of the layers before it as quantized. The last Dense
// keeps float32 outputs and its softmax.
//
// A layer that cannot be quantized is named in the error, with the list of
// those that can; m is not changed.
func Quantize(m *goras.Model, calib *tensor.Tensor) (*Model, error) {
	ls, err := chain(m)
	if err != nil {
		return nil, err
	}
	bs, err := blocks(ls)
	if err != nil {
		return nil, err
	}
	q := &Model{name: m.Name(), input: slices.Clone(m.InputShape()), classNames: m.ClassNames()}
	shape := q.input
	for _, b := range bs {
		if shape, err = q.addStage(b, shape); err != nil {
			return nil, err
		}
	}
	if err := q.calibrate(calib); err != nil {
		return nil, err
	}
	q.finish()
	return q, nil
}

// addStage appends the stage of block b, whose input has the per-sample
// shape in, and returns its output shape.
func (q *Model) addStage(b *block, in []int) ([]int, error) {
	image := len(in) == 3 && len(q.dense) == 0
	switch {
	case b.flatten:
		return []int{tensor.Numel(in)}, nil
	case b.conv != nil && image:
		c, err := newConv(b, in)
		if err != nil {
			return nil, err
		}
		q.image = append(q.image, imageStage{conv: c})
		return []int{c.oh, c.ow, c.F}, nil
	case b.pool != nil && image:
		p := &pool{Name: b.names[0], H: in[0], W: in[1], C: in[2]}
		q.image = append(q.image, imageStage{pool: p})
		return []int{p.H / 2, p.W / 2, p.C}, nil
	case b.dense != nil && len(in) == 1:
		d := &dense{Name: b.names[0], From: b.names, Inputs: in[0], Units: b.dense.Units(), Softmax: b.softmax}
		d.ReLU = b.relu
		w, bias := paramData(b.dense)
		if err := d.setWeights(b, w, bias, d.Units); err != nil {
			return nil, err
		}
		q.dense = append(q.dense, d)
		return []int{d.Units}, nil
	}
	return nil, fmt.Errorf("quantize: %s takes inputs of shape %s, which the quantized model cannot give it: images (height, width, channels) before Flatten, vectors after",
		blockName(b), tensor.ShapeString(in, true))
}

// setWeights folds and quantizes a block's weights, refusing non-finite
// ones.
func (mm *matmul) setWeights(b *block, w, bias []float32, f int) error {
	wf, bf := folded(b, w, bias, f)
	for _, v := range append(slices.Clone(wf), bf...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("quantize: %s: a weight (BatchNormalization folded in) is %v; the model was saved from a run that diverged", blockName(b), v)
		}
	}
	mm.quantizeWeights(wf, bf, f)
	return nil
}

// newConv is the quantized Conv2D of block b for an input (H, W, C).
func newConv(b *block, in []int) (*conv, error) {
	l := b.conv
	cfg := l.Config()
	ks, st := l.KernelSize(), pair(cfg["strides"])
	padding, _ := cfg["padding"].(string)
	c := &conv{Name: l.Name(), From: b.names, KH: ks[0], KW: ks[1], C: in[2], F: l.Filters(), SH: st[0], SW: st[1], InH: in[0], InW: in[1]}
	c.ReLU = b.relu
	c.PT, c.PB = pads(c.InH, c.KH, c.SH, padding)
	c.PL, c.PR = pads(c.InW, c.KW, c.SW, padding)
	w, bias := paramData(l)
	if err := c.setWeights(b, w, bias, c.F); err != nil {
		return nil, err
	}
	c.hp, c.wp = c.InH+c.PT+c.PB, c.InW+c.PL+c.PR
	c.oh, c.ow = (c.hp-c.KH)/c.SH+1, (c.wp-c.KW)/c.SW+1
	return c, nil
}

// calibrate sets every activation's quantization, layer after layer, from
// the calibration samples run through the layers before as quantized.
func (q *Model) calibrate(x *tensor.Tensor) error {
	n, err := q.checkInput(x, "calibration samples")
	if err != nil {
		return err
	}
	data := x.Data()
	if i := kernel.FirstNonFinite(data); i >= 0 {
		return fmt.Errorf("quantize: calibration samples: sample %d holds %v at position %d; they must be finite", i/(x.Len()/n), data[i], i%(x.Len()/n))
	}
	q.in = chooseParams(float64(slices.Min(data)), float64(slices.Max(data)))
	inv := float32(1 / float64(q.in.Scale))
	per := x.Len() / n
	dim := q.dense[0].Inputs
	rows := make([]uint8, n*dim+4)
	if len(q.image) == 0 {
		kernel.QuantizeU8(rows[:n*dim], data, inv, float32(q.in.Zero))
	} else {
		in := q.image[0]
		h, w, c := in.dims()
		imgs := make([]act, n)
		for i := range imgs {
			imgs[i] = act{data: make([]uint8, h*w*c), h: h, w: w, c: c, rs: w * c}
			kernel.QuantizeU8(imgs[i].data, data[i*per:(i+1)*per], inv, float32(q.in.Zero))
		}
		cur := q.in
		for _, st := range q.image {
			if st.conv != nil {
				cur = st.conv.calibrate(imgs, cur)
				if err := calibrated(st.conv.From, cur); err != nil {
					return err
				}
			} else {
				for i, im := range imgs {
					out := act{data: make([]uint8, st.pool.size()), h: im.h / 2, w: im.w / 2, c: im.c, rs: im.w / 2 * im.c}
					imgs[i] = st.pool.run(nil, im, &out)
				}
			}
		}
		for i, im := range imgs {
			copy(rows[i*dim:(i+1)*dim], im.data)
		}
		q.dense[0].In = cur
	}
	if len(q.image) == 0 {
		q.dense[0].In = q.in
	}
	for i, d := range q.dense[:len(q.dense)-1] {
		rows = d.calibrate(rows, n)
		if err := calibrated(d.From, d.Out); err != nil {
			return err
		}
		q.dense[i+1].In = d.Out
	}
	return nil
}

// calibrated refuses the output quantization of the layers from when the
// calibration samples took them beyond float32's range: the float model
// overflows there too, Predict would give NaN and Save could not write
// the scale.
func calibrated(from []string, p params) error {
	if checkParams(p, "") == nil {
		return nil
	}
	return fmt.Errorf("quantize: calibration samples: the outputs of %s overflow float32 (their quantization scale is %v); "+
		"the float model overflows there too: its weights or inputs are far too large (a run that diverged?)", strings.Join(from, "+"), p.Scale)
}

// dims is the per-sample input shape of an image stage.
func (s imageStage) dims() (h, w, c int) {
	if s.conv != nil {
		return s.conv.InH, s.conv.InW, s.conv.C
	}
	return s.pool.H, s.pool.W, s.pool.C
}

// rangeOf tracks the smallest and largest value seen.
type rangeOf struct{ lo, hi float64 }

func newRange() rangeOf { return rangeOf{math.Inf(1), math.Inf(-1)} }

func (r *rangeOf) add(v float32) {
	r.lo, r.hi = math.Min(r.lo, float64(v)), math.Max(r.hi, float64(v))
}

// calibrate sets the convolution's input quantization to in and its
// output's from the images' real outputs, replaces each image by its
// quantized output, and returns the output's quantization.
func (c *conv) calibrate(imgs []act, in params) params {
	c.In = in
	c.setup(true)
	ps, os := c.sizes()
	p, o, acc := make([]uint8, ps), make([]uint8, os), make([]int32, os)
	c.fillBorders(p)
	ov := c.oView(o)
	r := newRange()
	for _, im := range imgs {
		copyRows(c.pView(p), im)
		c.sums(acc, p)
		for i := 0; i < c.oh; i++ {
			for j := 0; j < c.ow*c.F; j++ {
				r.add(c.real(acc[i*ov.rs+j], j%c.F, c.mul, c.add))
			}
		}
	}
	c.Out = chooseParams(r.lo, r.hi)
	c.setup(false)
	for k, im := range imgs {
		out := act{data: make([]uint8, c.oh*c.ow*c.F), h: c.oh, w: c.ow, c: c.F, rs: c.ow * c.F}
		imgs[k] = c.run(p, o, im, &out)
	}
	return c.Out
}

// calibrate sets the dense layer's output quantization from its real
// outputs on the n rows x (its In already set) and returns them quantized.
func (d *dense) calibrate(x []uint8, n int) []uint8 {
	d.prepare(1, d.Inputs, d.Units, true)
	acc := make([]int32, n*d.Units)
	d.sums(acc, x, n)
	r := newRange()
	for k, a := range acc {
		r.add(d.real(a, k%d.Units, d.mul, d.add))
	}
	d.Out = chooseParams(r.lo, r.hi)
	d.prepare(1, d.Inputs, d.Units, false)
	y := make([]uint8, n*d.Units+4)
	for k, a := range acc {
		y[k] = kernel.Requantize(a, d.mul[k%d.Units], d.add[k%d.Units], d.lo)
	}
	return y
}
