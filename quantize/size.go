package quantize

import "fmt"

// maxModelBytes bounds what a quantized model may make Load and Predict
// allocate: its weights as Load makes them, plus the buffers Predict takes
// for one call of one sample. A file of a few hundred bytes can declare a
// chain of large images (each tensor is bounded by maxValues, but not their
// number), so Load checks the total before allocating anything. The
// networks goras quantizes (LeNet-5, the recipes' convnets) need a few
// megabytes; 1 GiB leaves room for far larger ones.
const maxModelBytes = 1 << 30

// wsLayout is the size of each buffer of a workspace, in elements:
// newWorkspace allocates these, and bytes counts them.
type wsLayout struct {
	p, o []int // per image stage: a convolution's padded input and output, a pooling's output in o
	x0   int   // the input image, when a pooling comes first
	rows []int // per dense layer, chunkRows rows of its input
	acc  int   // the last layer's int32 sums
}

func (m *Model) layout() wsLayout {
	l := wsLayout{p: make([]int, len(m.image)), o: make([]int, len(m.image))}
	for i, st := range m.image {
		if c := st.conv; c != nil {
			l.p[i], l.o[i] = c.sizes()
		} else {
			l.o[i] = st.pool.size()
		}
	}
	if len(m.image) > 0 && m.image[0].pool != nil {
		p := m.image[0].pool
		l.x0 = p.H * p.W * p.C
	}
	for _, d := range m.dense {
		l.rows = append(l.rows, chunkRows*d.Inputs+4)
	}
	l.acc = chunkRows * m.Classes()
	return l
}

// activationBytes is the size of one workspace: what one Predict call
// allocates for a batch of one sample (a worker's buffers hold one image
// at a time and the rows of up to chunkRows samples).
func (m *Model) activationBytes() int64 {
	l := m.layout()
	n := int64(l.x0) + 4*int64(l.acc)
	for i := range l.p {
		n += int64(l.p[i]) + int64(l.o[i])
	}
	for _, r := range l.rows {
		n += int64(r)
	}
	return n
}

// weightBytes is what Load makes of one layer's weights, a (taps·run)×n
// int8 kernel: the kernel, its n scales and biases, the kernel packed for
// the GEMM (kernel.NewQMatrix: each tap's rows padded to a multiple of 4,
// the columns to a multiple of 16, and for n ≤ 8 a second, narrow copy)
// and the requantization's two float32 rows.
func weightBytes(taps, run, n int) int64 {
	t, r, c := int64(taps), int64(run+3)/4*4, int64(n+15)/16*16
	b := t*int64(run)*int64(n) + 8*int64(n) + t*r*c + 8*c
	if n <= 8 {
		b += t * r * int64(n)
	}
	return b
}

// modelBytes is the model's weights and its activations for one sample.
// The shapes are the file's tensors' (checked before this is called), so
// no product overflows.
func (m *Model) modelBytes() (weights, activations int64) {
	for _, st := range m.image {
		if c := st.conv; c != nil {
			weights += weightBytes(c.KH, c.KW*c.C, c.F)
		}
	}
	for _, d := range m.dense {
		weights += weightBytes(1, d.Inputs, d.Units)
	}
	return weights, m.activationBytes()
}

// checkSize refuses a model that needs more than maxModelBytes.
func (m *Model) checkSize() error {
	w, a := m.modelBytes()
	if w+a <= maxModelBytes {
		return nil
	}
	return fmt.Errorf("the model needs %d bytes (%s): %d for its weights and %d for the buffers of one sample's prediction; "+
		"the limit for a quantized model is %d bytes (%s), so the file is damaged or was not written by goras quantize",
		w+a, human(w+a), w, a, int64(maxModelBytes), human(maxModelBytes))
}

// human writes a byte count in binary units, e.g. "1.5 GiB".
func human(n int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v, u = v/1024, u+1
	}
	if u == 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}
