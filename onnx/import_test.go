package onnx_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// images are n seeded images of the model's input shape, mostly zeros as
// MNIST digits are.
func images(m *goras.Model, n int, seed uint64) *tensor.Tensor {
	x := tensor.New(append([]int{n}, m.InputShape()...)...)
	rng := tensor.NewRNG(seed)
	for i := range x.Data() {
		if v := rng.Float64(); v > 0.6 {
			x.Data()[i] = float32(v)
		}
	}
	return x
}

func predict(t *testing.T, m *goras.Model, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	y, err := m.Predict(x, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	return y
}

// reimport exports m with opts and imports the bytes again.
func reimport(t *testing.T, m *goras.Model, opts ...onnx.Option) *goras.Model {
	t.Helper()
	var buf bytes.Buffer
	if err := onnx.Encode(m, &buf, opts...); err != nil {
		t.Fatal(err)
	}
	back, err := onnx.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// firstDiff is the index of the first value that differs in its bits, -1
// if none.
func firstDiff(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestRoundTripBitIdentical: the zoo's networks, exported by goras (opset
// 17 channels last, opset 13 channels first) and imported again, predict
// the same bits; the imported layers are the originals' (augmentation and
// Dropout, which do nothing at inference, are not in the file).
func TestRoundTripBitIdentical(t *testing.T) {
	for _, name := range []string{"mlp", "lenet5", "keras-convnet", "best"} {
		spec, err := applications.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := spec.New(7)
		if err != nil {
			t.Fatal(err)
		}
		x := images(m, 37, 1)
		want := predict(t, m, x)
		for _, opts := range [][]onnx.Option{nil, {onnx.Opset(13), onnx.NCHW(true)}} {
			back := reimport(t, m, opts...)
			if !slices.Equal(back.InputShape(), m.InputShape()) {
				t.Fatalf("%s: input %v, want %v", name, back.InputShape(), m.InputShape())
			}
			got := predict(t, back, x)
			if i := firstDiff(got.Data(), want.Data()); i >= 0 {
				t.Errorf("%s %d options: prediction %d is %v, goras's %v", name, len(opts), i, got.Data()[i], want.Data()[i])
			}
			if got, want := classes(back), classes(m, "Dropout", "Pipeline"); !slices.Equal(got, want) {
				t.Errorf("%s: imported layers %v, want %v", name, got, want)
			}
		}
	}
}

// classes lists a model's layer classes, leaving out those named.
func classes(m *goras.Model, skip ...string) []string {
	var out []string
	for _, l := range m.Layers() {
		if !slices.Contains(skip, l.ClassName()) {
			out = append(out, l.ClassName()+":"+l.Name())
		}
	}
	return out
}

// TestImportedModelTrainsAndSaves: LeNet-5 from PyTorch fine-tunes (the
// loss falls), saves and loads with the same predictions, and exports to
// ONNX and back with them too.
func TestImportedModelTrainsAndSaves(t *testing.T) {
	m, err := onnx.Load(filepath.Join("testdata", "lenet5_opset17.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	x := images(m, 32, 2)
	y := tensor.New(32)
	for i := range y.Data() {
		y.Data()[i] = float32(i % 10)
	}
	adam, err := optimizers.NewAdam(optimizers.LearningRate(0.003))
	if err != nil {
		t.Fatal(err)
	}
	// The network ends in a softmax, so the loss reads probabilities.
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	// PyTorch's initial weights are small: the loss stays near log 10 for
	// a dozen epochs before it falls (to 0.42 after 30 here).
	h, err := m.Fit(context.Background(), x, y, goras.Epochs(30), goras.BatchSize(8), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	loss := h.History["loss"]
	if !(loss[len(loss)-1] < 0.5*loss[0]) {
		t.Errorf("fine-tuning took the loss from %v to %v; want it at least halved", loss[0], loss[len(loss)-1])
	}
	want := predict(t, m, x)

	path := filepath.Join(t.TempDir(), "lenet5.safetensors")
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
	loaded, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if i := firstDiff(predict(t, loaded, x).Data(), want.Data()); i >= 0 {
		t.Errorf("saved and loaded: prediction %d differs", i)
	}
	if i := firstDiff(predict(t, reimport(t, m), x).Data(), want.Data()); i >= 0 {
		t.Errorf("exported and imported again: prediction %d differs", i)
	}
}

// TestImportedLayersRoundTrip: every network PyTorch exported, once
// imported, saves and loads, and exports to ONNX and imports again, with
// its predictions unchanged (the new layers' configs and exports hold).
func TestImportedLayersRoundTrip(t *testing.T) {
	for _, c := range torchCases(t) {
		m, err := onnx.Load(filepath.Join("testdata", c.ONNX))
		if err != nil {
			t.Fatal(err)
		}
		x := nhwc(readF32(t, c.X), c.Input)
		want := predict(t, m, x)
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := saving.Save(m, path); err != nil {
			t.Fatalf("%s: %v", c.ONNX, err)
		}
		loaded, err := saving.Load(path)
		if err != nil {
			t.Fatalf("%s: %v", c.ONNX, err)
		}
		if i := firstDiff(predict(t, loaded, x).Data(), want.Data()); i >= 0 {
			t.Errorf("%s saved and loaded: prediction %d differs", c.ONNX, i)
		}
		for _, opset := range []int{13, 17} {
			back := reimport(t, m, onnx.Opset(opset))
			got := predict(t, back, x)
			worst := 0.0
			for i, w := range want.Data() {
				worst = max(worst, math.Abs(float64(got.Data()[i]-w)))
			}
			if worst > 1e-6 {
				t.Errorf("%s exported at opset %d and imported again: predictions differ by %.3g", c.ONNX, opset, worst)
			}
		}
	}
}

func ExampleLoad() {
	m, err := onnx.Load("testdata/lenet5_opset17.onnx") // LeNet-5, exported by PyTorch
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.InputShape(), m.OutputShape(), m.CountParams())
	for _, l := range m.Layers() {
		fmt.Printf("%s (%s)\n", l.Name(), l.ClassName())
	}
	// Output:
	// [28 28 1] [10] 61706
	// conv1 (Conv2D)
	// max_pooling2d (MaxPooling2D)
	// conv2 (Conv2D)
	// max_pooling2d_1 (MaxPooling2D)
	// flatten (Flatten)
	// fc1 (Dense)
	// fc2 (Dense)
	// output (Dense)
}
