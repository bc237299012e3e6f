package goras

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/goras-ml/goras/internal/kernel"
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

// FiniteData is implemented by Data that cannot hold NaN or ±Inf, such as
// mnist.Images (uint8 pixels): Fit and Predict then skip looking for them.
type FiniteData interface {
	Data
	Finite() bool
}

// ConcurrentData is implemented by Data whose Gather may run on several
// goroutines at once (it only reads the data set, as mnist.Images does):
// Predict then has each worker gather its own share of a batch, instead of
// the caller gathering the whole batch before the workers start.
type ConcurrentData interface {
	Data
	ConcurrentGather() bool
}

// gatherConcurrently reports whether every input of d may be gathered on
// several goroutines at once.
func (d *dataSet) gatherConcurrently() bool {
	for _, x := range d.xs {
		if c, ok := x.(ConcurrentData); !ok || !c.ConcurrentGather() {
			return false
		}
	}
	return true
}

// checkFinite returns an error naming the first sample of x (input i of
// the model) that holds NaN or ±Inf. Fit calls it once per call: about
// 4 values per nanosecond.
func checkFinite(method string, i int, x Data) error {
	if f, ok := x.(FiniteData); ok && f.Finite() {
		return nil
	}
	shape := x.Shape()
	per := tensor.Numel(shape[1:])
	if t, ok := x.(*tensor.Tensor); ok {
		if at := kernel.FirstNonFinite(t.Data()); at >= 0 {
			return nonFinite(method, i, at/per, at%per, t.Data()[at])
		}
		return nil
	}
	const chunk = 256 // samples gathered at a time
	buf := make([]float32, min(chunk, shape[0])*per)
	for lo := 0; lo < shape[0]; lo += chunk {
		hi := min(lo+chunk, shape[0])
		part := buf[:(hi-lo)*per]
		x.Gather(part, rowRange(lo, hi))
		if at := kernel.FirstNonFinite(part); at >= 0 {
			return nonFinite(method, i, lo+at/per, at%per, buf[at])
		}
	}
	return nil
}

func nonFinite(method string, input, sample, at int, v float32) error {
	what := "x"
	if input > 0 {
		what = fmt.Sprintf("x[%d]", input)
	}
	return fmt.Errorf("goras: %s: sample %d of %s holds %g at position %d of the sample; a model cannot learn from or predict NaN or infinite inputs: fix or drop that sample", method, sample, what, v, at)
}

func isNil(d Data) bool {
	if d == nil {
		return true
	}
	t, ok := d.(*tensor.Tensor)
	return ok && t == nil
}

// Arrays is the data of a model with several inputs or outputs: one Data
// per input (or output), in the model's order, all with the same number of
// samples. Fit(ctx, Arrays{xImage, xMeta}, Arrays{yClass, yBox}) is Keras's
// fit([x_image, x_meta], [y_class, y_box]).
type Arrays []Data

// Shape is (N): the number of samples, which every array shares.
func (a Arrays) Shape() []int {
	if len(a) == 0 || isNil(a[0]) {
		return []int{0}
	}
	return a[0].Shape()[:1]
}

// Gather writes the given samples of each array in turn: all of the first
// array's, then all of the second's.
func (a Arrays) Gather(dst []float32, rows []int) {
	for _, d := range a {
		n := len(rows) * tensor.Numel(d.Shape()[1:])
		d.Gather(dst[:n], rows)
		dst = dst[n:]
	}
}

// appendArrays appends the arrays of d to dst: its elements if it is
// Arrays, else d itself.
func appendArrays(dst []Data, d Data) []Data {
	if a, ok := d.(Arrays); ok {
		return append(dst, a...)
	}
	return append(dst, d)
}

// dataSet is x and y checked against the model: one array per input and
// per output, the per-sample target shapes (nil for an output without a
// loss) and their plan key. Reused from call to call, it lets
// TrainOnBatch check its data without allocating.
type dataSet struct {
	xs, ys  []Data
	targets [][]int
	key     string
	weights []float32 // one per sample, nil for none (sample_weight.go)
}

// samples is the number of samples.
func (d *dataSet) samples() int { return d.xs[0].Shape()[0] }

// checkInputs validates x against the model's inputs into d.xs.
func (m *Model) checkInputs(method string, x Data, d *dataSet) error {
	d.xs = appendArrays(d.xs[:0], x)
	if len(d.xs) != len(m.inputs) {
		return fmt.Errorf("goras: %s: the model has %d inputs but x holds %d arrays; pass goras.Arrays{...} with one array per input", method, len(m.inputs), len(d.xs))
	}
	for i, xi := range d.xs {
		if err := checkInput(method, m.inputName(i), xi, m.inputs[i].shape); err != nil {
			return err
		}
		if n, n0 := xi.Shape()[0], d.xs[0].Shape()[0]; n != n0 {
			return fmt.Errorf("goras: %s: x[%d] has %d samples but x[0] has %d; every input needs one row per sample", method, i, n, n0)
		}
	}
	return nil
}

// arrayName says which array an error is about: "x", or with several
// inputs "x[1] (input \"meta\")"; the same for y. A value, formatted on the
// error paths only, so that checking data allocates nothing.
type arrayName struct {
	kind, role string // "x", "input"
	i, n       int
	layer      string
}

func (a arrayName) String() string {
	if a.n == 1 {
		return a.kind
	}
	return fmt.Sprintf("%s[%d] (%s %q)", a.kind, a.i, a.role, a.layer)
}

func (m *Model) inputName(i int) arrayName {
	return arrayName{"x", "input", i, len(m.inputs), m.inputs[i].layer.Name()}
}

func (m *Model) outputName(i int) arrayName {
	return arrayName{"y", "output", i, len(m.outputs), m.outputs[i].layer.Name()}
}

// checkInput validates one input array (N, input...) against its declared
// per-sample shape and says how to fix a mismatch.
func checkInput(method string, name arrayName, x Data, input []int) error {
	if isNil(x) {
		return fmt.Errorf("goras: %s: %s is nil", method, name)
	}
	got := x.Shape()
	if len(got) >= 1 && tensor.SameShape(got[1:], input) {
		if got[0] == 0 {
			return fmt.Errorf("goras: %s: %s holds no samples", method, name)
		}
		return nil
	}
	what, want := name.String(), tensor.ShapeString(input, true)
	hint := "reshape it to match, or declare the shape the data has in layers.Input(...)"
	switch {
	case len(got) == len(input) && tensor.SameShape(got, input):
		hint = fmt.Sprintf("it looks like a single sample: add the batch axis, x.Reshape(1, %s)", tensor.DimsString(got))
	case len(got) == len(input) && input[len(input)-1] == 1 && tensor.SameShape(got[1:], input[:len(input)-1]):
		hint = fmt.Sprintf("add the channel axis: x.Reshape(%d, %s)", got[0], tensor.DimsString(input))
	case len(got) >= 1 && tensor.Numel(got[1:]) == tensor.Numel(input):
		hint = fmt.Sprintf("the sizes agree: x.Reshape(%d, %s) makes it fit", got[0], tensor.DimsString(input))
	}
	return fmt.Errorf("goras: %s: the model expects %s of shape %s, got %s; %s", method, what, want, tensor.ShapeString(got, false), hint)
}

// checkData validates a pair (x, y) for training or evaluation into d.
func (m *Model) checkData(method string, x, y Data, d *dataSet) error {
	if m.compiled == nil {
		return fmt.Errorf("goras: %s: the model is not compiled; call Compile first", method)
	}
	if err := m.checkInputs(method, x, d); err != nil {
		return err
	}
	if isNil(y) {
		return fmt.Errorf("goras: %s: y is missing", method)
	}
	d.ys = appendArrays(d.ys[:0], y)
	if len(d.ys) != len(m.outputs) {
		return fmt.Errorf("goras: %s: the model has %d outputs (%v) but y holds %d arrays; pass goras.Arrays{...} with one array per output", method, len(m.outputs), m.OutputNames(), len(d.ys))
	}
	same := len(d.targets) == len(d.ys) && d.key != ""
	if len(d.targets) != len(d.ys) {
		d.targets = make([][]int, len(d.ys))
	}
	for i, yi := range d.ys {
		target, err := m.checkTarget(method, i, d.samples(), yi)
		if err != nil {
			return err
		}
		same = same && slices.Equal(target, d.targets[i]) && (target == nil) == (d.targets[i] == nil)
		d.targets[i] = target
	}
	if !same {
		d.key = targetKey(d.targets)
	}
	return nil
}

// checkTarget validates the targets of output i and returns their
// per-sample shape, nil when the output has no loss.
func (m *Model) checkTarget(method string, i, n int, y Data) ([]int, error) {
	loss := m.compiled.losses[i]
	if loss == nil {
		return nil, nil
	}
	what := m.outputName(i)
	if isNil(y) || len(y.Shape()) == 0 {
		return nil, fmt.Errorf("goras: %s: %s is missing", method, what)
	}
	if ny := y.Shape()[0]; n != ny {
		return nil, fmt.Errorf("goras: %s: x has %d samples but %s has %d; they must be paired one to one", method, n, what, ny)
	}
	target, out := y.Shape()[1:], m.outputs[i].shape
	if err := loss.CheckTarget(out, target); err != nil {
		return nil, fmt.Errorf("goras: %s: %s: %w", method, what, err)
	}
	if err := checkTargetValues(loss, y, out); err != nil {
		return nil, fmt.Errorf("goras: %s: %s: %w", method, what, err)
	}
	return target, nil
}

// checkTargetValues rejects targets a loss cannot learn from: anything not
// finite, class indices out of range for sparse losses, and values outside
// [0, 1] where the loss reads them as probabilities.
func checkTargetValues(loss losses.Loss, y Data, out []int) error {
	v := all(y)
	per := max(tensor.Numel(y.Shape()[1:]), 1)
	if at := kernel.FirstNonFinite(v); at >= 0 {
		return fmt.Errorf("target of sample %d holds %g; targets must be finite numbers", at/per, v[at])
	}
	switch loss.(type) {
	case losses.SparseCategoricalCrossentropy:
		return checkClasses(v, out[len(out)-1])
	case losses.CategoricalCrossentropy, losses.BinaryCrossentropy:
		for i, t := range v {
			if t < 0 || t > 1 {
				return fmt.Errorf("target of sample %d holds %g, but %s reads targets as probabilities in [0, 1] (one-hot rows: mnist.ToCategorical)", i/per, t, loss.Name())
			}
		}
	}
	return nil
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
	for _, v := range sample(x, 1000) {
		// The whole sample, not up to the first large value, so that the
		// warning names the largest (255 for raw pixels).
		hi = max(hi, v, -v)
	}
	switch {
	case hi == 0:
		fmt.Fprintln(w, "goras: warning: every input value is 0; was the data scaled with integer division (x/255 on integers gives 0)?")
	case hi > 10:
		fmt.Fprintf(w, "goras: warning: inputs reach %g; networks learn best from inputs scaled to about [0, 1]. Divide pixels by 255 (mnist: Images.Float32()); unscaled inputs are the classic cause of accuracy stuck near 10%%.\n", hi)
	}
}
