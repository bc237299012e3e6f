package layers_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// Golden tests: the course's MLP and LeNet-5, built from goras's layers,
// started from fixed weights, must give the output, loss, every gradient and
// the weights after the first optimizer steps that PyTorch computes in
// float64 for the same functions (bench/pytorch/golden.py writes
// testdata/golden/*.safetensors; see there for what each file holds).
//
// Tolerance: an element passes when |got - want| ≤ rel·|want| +
// abs·max|want|, the maximum over the tensor. The second term is for values
// that are small only through cancellation (a gradient summed over samples
// and pixels), whose float32 error is relative to the size of the terms
// summed, not to the result.
//
// For the weights after the optimizer steps the displacement from the
// starting weights is compared, so that the tolerance is relative to the
// size of the update, not of the weight; each step adds an allowance of one
// float32 spacing of the weight, since goras rounds the weight to float32 at
// every step where PyTorch rounds once at the end. Adam needs a larger abs
// (its case's stepTol): it turns a gradient far below its ε into a step
// proportional to it, so a float32 error of 1e-8 in such a gradient moves
// the weight by up to lr·1e-8/ε̂ (ε̂ = ε/sqrt(1-β2^t) ≈ 3e-6 at the first
// step). 1e-3 of the largest step is still far below what a wrong β, bias
// correction or ε placement gives.
var goldenTol = tolerance{rel: 1e-4, abs: 1e-5}

// tolerance allows rel·|want| + abs·max|want| + ulps float32 spacings of
// the compared weight.
type tolerance struct{ rel, abs, ulps float64 }

// goldenCase is one model and loss of a golden file.
type goldenCase struct {
	file   string
	key    string // the loss's prefix in the file: "mse", "cce"
	input  []int  // per-sample input shape
	layers func() []layers.Layer
	loss   losses.Loss
	// steps optimizer steps on the same batch, by opt; 0: none. The weights
	// after them are compared within stepTol.
	steps   int
	opt     func() (optimizers.Optimizer, error)
	stepTol tolerance
}

func mlpLayers() []layers.Layer {
	return []layers.Layer{
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu"), layers.WithName("dense")),
		layers.Dense(10, layers.WithActivation("softmax"), layers.WithName("dense_1")),
	}
}

// lenet5Layers is LeNet-5 as cmd/goras's "lenet5" and bench's build it.
func lenet5Layers() []layers.Layer {
	relu := layers.WithActivation("relu")
	return []layers.Layer{
		layers.Input(28, 28, 1),
		layers.Conv2D(6, 5, layers.WithPadding("same"), relu, layers.WithName("conv2d")),
		layers.MaxPooling2D(),
		layers.Conv2D(16, 5, relu, layers.WithName("conv2d_1")),
		layers.MaxPooling2D(),
		layers.Flatten(),
		layers.Dense(120, relu, layers.WithName("dense")),
		layers.Dense(84, relu, layers.WithName("dense_1")),
		layers.Dense(10, layers.WithActivation("softmax"), layers.WithName("dense_2")),
	}
}

var goldenCases = []goldenCase{
	{file: "mlp", key: "mse", input: []int{28, 28}, layers: mlpLayers, loss: losses.MeanSquaredError{},
		steps: 3, opt: func() (optimizers.Optimizer, error) {
			return optimizers.NewSGD(optimizers.LearningRate(0.1))
		}, stepTol: tolerance{rel: 1e-4, abs: 1e-5, ulps: 3}},
	{file: "mlp", key: "cce", input: []int{28, 28}, layers: mlpLayers, loss: losses.CategoricalCrossentropy{}},
	{file: "lenet5", key: "cce", input: []int{28, 28, 1}, layers: lenet5Layers, loss: losses.CategoricalCrossentropy{},
		steps: 2, opt: func() (optimizers.Optimizer, error) {
			return optimizers.NewAdam(optimizers.LearningRate(1e-3), optimizers.Epsilon(1e-7))
		}, stepTol: tolerance{rel: 1e-4, abs: 1e-3, ulps: 2}},
}

func TestGoldenAgainstPyTorch(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.file+"_"+c.key, func(t *testing.T) { checkGolden(t, c) })
	}
}

// goldenModel is a model built from layers into a training plan, with its
// weights set from a golden file.
type goldenModel struct {
	plan   *autograd.Plan
	output *autograd.Var
	loss   autograd.LossOp
	params []*autograd.Param
}

func checkGolden(t *testing.T, c goldenCase) {
	f, err := safetensors.ReadFile(filepath.Join("testdata", "golden", c.file+".safetensors"))
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 bench/pytorch/golden.py)", err)
	}
	m := buildGolden(t, f, c)
	m.plan.Forward(true)
	m.plan.Backward()
	compareGolden(t, "output", m.output.Value, golden(t, f, c.key+"/output"), nil, goldenTol)
	compareGolden(t, "loss", lossTensor(m.loss), golden(t, f, c.key+"/loss"), nil, goldenTol)
	for _, w := range m.params {
		compareGolden(t, "gradient of "+w.Name, w.Grad, golden(t, f, c.key+"/grad/"+w.Name), nil, goldenTol)
	}
	if c.steps == 0 {
		return
	}

	opt, err := c.opt()
	if err != nil {
		t.Fatal(err)
	}
	vars, grads := make([]*tensor.Tensor, len(m.params)), make([]*tensor.Tensor, len(m.params))
	start := make([]*tensor.Tensor, len(m.params))
	for i, w := range m.params {
		vars[i], grads[i], start[i] = w.Value, w.Grad, w.Value.Clone()
	}
	if err := opt.Build(vars); err != nil {
		t.Fatal(err)
	}
	stepLoss := golden(t, f, c.key+"/step_loss").Data
	if len(stepLoss) != c.steps {
		t.Fatalf("the file has %d step losses, the test runs %d steps", len(stepLoss), c.steps)
	}
	for s := range c.steps {
		if s > 0 { // step 0's gradients are the ones checked above
			m.plan.Forward(true)
			m.plan.Backward()
		}
		compareGolden(t, fmt.Sprintf("loss before step %d", s+1), lossTensor(m.loss),
			&safetensors.Tensor{Shape: []int{1}, Data: stepLoss[s : s+1]}, nil, goldenTol)
		opt.Apply(vars, grads)
	}
	for i, w := range m.params {
		compareGolden(t, fmt.Sprintf("%s after %d steps", w.Name, c.steps), w.Value,
			golden(t, f, c.key+"/final/"+w.Name), start[i], c.stepTol)
	}
}

// buildGolden builds the case's layers for a batch of the file's x, sets
// every weight, the input and the target from the file, and adds the loss.
func buildGolden(t *testing.T, f *safetensors.File, c goldenCase) *goldenModel {
	t.Helper()
	x, y := golden(t, f, "x"), golden(t, f, "y")
	batch := x.Shape[0]
	if want := append([]int{batch}, c.input...); !slices.Equal(x.Shape, want) {
		t.Fatalf("x in the file is %v, the model takes %v", x.Shape, want)
	}
	ls := c.layers()
	shape := c.input
	rng := tensor.NewRNG(1) // the initial weights are overwritten below
	m := &goldenModel{plan: autograd.NewPlan(batch)}
	for _, l := range ls {
		var err error
		if shape, err = l.Build(shape, rng); err != nil {
			t.Fatal(err)
		}
		for _, w := range l.Params() {
			set(t, w.Value, golden(t, f, w.Name), w.Name)
			m.params = append(m.params, w)
		}
	}
	in := m.plan.Input(c.input...)
	set(t, in.Value, x, "x")
	v := in
	for _, l := range ls {
		v = l.Call(m.plan, v)
	}
	target := &autograd.Var{Value: tensor.New(v.Shape()...)}
	set(t, target.Value, y, "y")
	m.output, m.loss = v, c.loss.Build(m.plan, v, target)
	return m
}

func golden(t *testing.T, f *safetensors.File, name string) *safetensors.Tensor {
	t.Helper()
	g := f.Tensor(name)
	if g == nil {
		t.Fatalf("tensor %q is not in the golden file (regenerate with /usr/bin/python3 bench/pytorch/golden.py)", name)
	}
	return g
}

func set(t *testing.T, dst *tensor.Tensor, src *safetensors.Tensor, name string) {
	t.Helper()
	if !slices.Equal(dst.Shape(), src.Shape) {
		t.Fatalf("%s: goras has shape %v, the golden file %v", name, dst.Shape(), src.Shape)
	}
	copy(dst.Data(), src.Data)
}

func lossTensor(l autograd.LossOp) *tensor.Tensor {
	return tensor.Full(float32(l.Loss()), 1)
}

// compareGolden checks got against want within tol (see the top of the
// file); with from non-nil it compares the displacements got-from and
// want-from instead.
func compareGolden(t *testing.T, what string, got *tensor.Tensor, want *safetensors.Tensor, from *tensor.Tensor, tol tolerance) {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape) {
		t.Errorf("%s: shape %v, PyTorch %v", what, got.Shape(), want.Shape)
		return
	}
	g, w, ulp := make([]float64, got.Len()), make([]float64, got.Len()), make([]float64, got.Len())
	for i := range g {
		g[i], w[i] = float64(got.Data()[i]), float64(want.Data[i])
		ulp[i] = spacing(want.Data[i])
		if from != nil {
			g[i] -= float64(from.Data()[i])
			w[i] -= float64(from.Data()[i])
		}
	}
	var scale float64
	for _, v := range w {
		scale = max(scale, math.Abs(v))
	}
	worst, at, bad := 0.0, 0, 0
	for i := range g {
		d := math.Abs(g[i] - w[i])
		r := d / (tol.rel*math.Abs(w[i]) + tol.abs*scale + tol.ulps*ulp[i])
		if d == 0 { // also when both are 0 and the tolerance is 0
			r = 0
		}
		if r > 1 || math.IsNaN(r) {
			bad++
		}
		if r > worst || math.IsNaN(r) {
			worst, at = r, i
		}
	}
	if testing.Verbose() {
		t.Logf("%s: worst %.3g of the tolerance (element %d)", what, worst, at)
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values off; worst element %d: %.9g, PyTorch %.9g (%.3g× the tolerance)",
			what, bad, len(g), at, g[at], w[at], worst)
	}
}

// spacing is the distance from x to the next float32 away from zero.
func spacing(x float32) float64 {
	a := math.Abs(float64(x))
	return float64(math.Nextafter32(float32(a), float32(math.Inf(1)))) - a
}
