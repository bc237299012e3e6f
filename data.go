package goras

import (
	"fmt"
	"io"
	"math"

	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// Data is what Fit, Evaluate and Predict read samples from: a
// *tensor.Tensor of shape (N, ...), or a data set kept in a compact form,
// such as mnist.Images, which keeps uint8 pixels and scales them while they
// are gathered into a batch.
type Data interface {
	// Shape is (N, per-sample shape...).
	Shape() []int
	// Gather writes the given samples, one after another, into dst.
	Gather(dst []float32, rows []int)
}

func isNil(d Data) bool {
	if d == nil {
		return true
	}
	t, ok := d.(*tensor.Tensor)
	return ok && t == nil
}

// checkInput validates x (N, input...) against the model and says how to
// fix a mismatch.
func (m *Model) checkInput(method string, x Data) error {
	if isNil(x) {
		return fmt.Errorf("goras: %s: x is nil", method)
	}
	got := x.Shape()
	if len(got) >= 1 && tensor.SameShape(got[1:], m.input) {
		if got[0] == 0 {
			return fmt.Errorf("goras: %s: x holds no samples", method)
		}
		return nil
	}
	want := tensor.ShapeString(m.input, true)
	hint := "reshape x to match, or declare the shape the data has in layers.Input(...)"
	switch {
	case len(got) == len(m.input) && tensor.SameShape(got, m.input):
		hint = fmt.Sprintf("x looks like a single sample: add the batch axis, x.Reshape(1, %s)", shapeArgs(got))
	case len(got) == len(m.input) && m.input[len(m.input)-1] == 1 && tensor.SameShape(got[1:], m.input[:len(m.input)-1]):
		hint = fmt.Sprintf("add the channel axis: x.Reshape(%d, %s)", got[0], shapeArgs(m.input))
	case len(got) >= 1 && tensor.Numel(got[1:]) == tensor.Numel(m.input):
		hint = fmt.Sprintf("the sizes agree: x.Reshape(%d, %s) makes it fit", got[0], shapeArgs(m.input))
	}
	return fmt.Errorf("goras: %s: the model expects x of shape %s, got %s; %s", method, want, tensor.ShapeString(got, false), hint)
}

func shapeArgs(s []int) string {
	out := ""
	for i, d := range s {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(d)
	}
	return out
}

// checkData validates a pair (x, y) for training or evaluation and returns
// the per-sample target shape.
func (m *Model) checkData(method string, x, y Data) ([]int, error) {
	if m.compiled == nil {
		return nil, fmt.Errorf("goras: %s: the model is not compiled; call Compile first", method)
	}
	if err := m.checkInput(method, x); err != nil {
		return nil, err
	}
	if isNil(y) || len(y.Shape()) == 0 {
		return nil, fmt.Errorf("goras: %s: y is missing", method)
	}
	if n, ny := x.Shape()[0], y.Shape()[0]; n != ny {
		return nil, fmt.Errorf("goras: %s: x has %d samples but y has %d; they must be paired one to one", method, n, ny)
	}
	target := y.Shape()[1:]
	if err := m.compiled.loss.CheckTarget(m.OutputShape(), target); err != nil {
		return nil, fmt.Errorf("goras: %s: %w", method, err)
	}
	if _, ok := m.compiled.loss.(losses.SparseCategoricalCrossentropy); ok {
		if err := checkClasses(all(y), m.OutputShape()[len(m.OutputShape())-1]); err != nil {
			return nil, fmt.Errorf("goras: %s: %w", method, err)
		}
	}
	return target, nil
}

// checkClasses makes sure every sparse label is a class index the model has.
func checkClasses(labels []float32, classes int) error {
	for i, v := range labels {
		if v != float32(math.Trunc(float64(v))) || v < 0 || int(v) >= classes {
			return fmt.Errorf("label %d is %g, but sparse targets must be class indices 0..%d", i, v, classes-1)
		}
	}
	return nil
}

// all returns every value of d, without copying when d is a tensor.
func all(d Data) []float32 {
	if t, ok := d.(*tensor.Tensor); ok {
		return t.Data()
	}
	return sample(d, d.Shape()[0])
}

// sample gathers the first n samples of d.
func sample(d Data, n int) []float32 {
	s := d.Shape()
	n = min(n, s[0])
	dst := make([]float32, n*tensor.Numel(s[1:]))
	d.Gather(dst, rowRange(0, n))
	return dst
}

func rowRange(lo, hi int) []int {
	rows := make([]int, hi-lo)
	for i := range rows {
		rows[i] = lo + i
	}
	return rows
}

// warnUnscaled warns about the classic beginner trap: raw 0..255 pixels make
// the network saturate and accuracy stall near 10 %. It looks at the first
// thousand samples, which is plenty to tell.
func warnUnscaled(w io.Writer, x Data) {
	var hi float32
	allZero := true
	for _, v := range sample(x, 1000) {
		if v > hi {
			hi = v
		} else if -v > hi {
			hi = -v
		}
		if hi > 10 {
			allZero = false
			break // enough to warn
		}
	}
	allZero = allZero && hi == 0
	switch {
	case allZero:
		fmt.Fprintln(w, "goras: warning: every input value is 0; was the data scaled with integer division (x/255 on integers gives 0)?")
	case hi > 10:
		fmt.Fprintf(w, "goras: warning: inputs reach %g; networks learn best from inputs scaled to about [0, 1]. Divide pixels by 255 (mnist: Images.Float32()); unscaled inputs are the classic cause of accuracy stuck near 10%%.\n", hi)
	}
}
