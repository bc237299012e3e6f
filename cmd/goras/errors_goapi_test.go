package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// docNeedsMNIST are the command lines of docs/errors.md that load MNIST
// (skipped with -short, as the other tests that do).
var docNeedsMNIST = map[string]bool{
	"`goras train --learning-rate 1e30 --limit 500 --epochs 1 --verbose 0 --output out.safetensors`": true,
	"`goras evaluate --data-dir damaged-mnist model.safetensors`":                                    true,
}

// docOnly64Bit holds the command lines of docs/errors.md whose rows hold
// for 64-bit builds only, with what a 32-bit build does instead (its int
// is 32 bits): TestErrorsDoc skips them there.
var docOnly64Bit = map[string]string{
	"`goras plot huge-epochs.csv -o c.png`": "epoch 1e12 is more than an int holds: exit 1, the epoch named",
}

// docGoCases runs each Go API row of docs/errors.md, by the text of its
// reproduce cell after "Go API: ", in dir, a new directory, and returns
// the error the library gave.
var docGoCases = map[string]func(t *testing.T, dir string) error{
	// IDX files.
	"`mnist.ReadImagesFile` on a labels file": func(t *testing.T, dir string) error {
		return readImages(t, dir, idx(0x801, []int{10}, make([]byte, 10)))
	},
	"`mnist.ReadImagesFile` on a file cut after 3 of 10 images": func(t *testing.T, dir string) error {
		return readImages(t, dir, idx(0x803, []int{10, 28, 28}, make([]byte, 3*784)))
	},
	"`mnist.ReadImagesFile` on a 40-byte file whose header announces 60,000 images": func(t *testing.T, dir string) error {
		return readImages(t, dir, idx(0x803, []int{60000, 28, 28}, make([]byte, 24)))
	},
	"`mnist.ReadImagesFile` on a 2 MB gzip file that unpacks to 2 GB": func(t *testing.T, dir string) error {
		return readImages(t, dir, gzipBomb(t, idx(0x803, []int{10, 28, 28}, make([]byte, 10*784)), 2<<30))
	},
	"`mnist.ReadImagesFile` on a 1 KB gzip file whose header announces 60,000 images": func(t *testing.T, dir string) error {
		return readImages(t, dir, gzipped(t, idx(0x803, []int{60000, 28, 28}, make([]byte, 1000))))
	},
	"`mnist.ReadLabelsFile` on labels holding a 12": func(t *testing.T, dir string) error {
		path := filepath.Join(dir, "labels.idx")
		writeFile(t, path, idx(0x801, []int{5}, []byte{1, 2, 3, 12, 4}))
		_, err := mnist.ReadLabelsFile(path)
		return err
	},
	// Data given to Fit, Evaluate and Predict.
	"`m.Fit` with a NaN pixel in sample 7": func(t *testing.T, _ string) error {
		m, x, y := dataCase(t)
		x.Data()[7*784+300] = float32(math.NaN())
		return fitErr(m, x, y)
	},
	"`m.Predict` with a NaN pixel in sample 3": func(t *testing.T, _ string) error {
		m, x, _ := dataCase(t)
		x.Data()[3*784+10] = float32(math.NaN())
		_, err := m.Predict(x, goras.Verbose(0))
		return err
	},
	"`m.Fit` with a NaN target in sample 5": func(t *testing.T, _ string) error {
		m, x, y := dataCase(t)
		y.Data()[5*10+1] = float32(math.NaN())
		return fitErr(m, x, y)
	},
	"`m.Evaluate` with a one-hot target of 2 in sample 3": func(t *testing.T, _ string) error {
		m, x, y := dataCase(t)
		y.Data()[3*10] = 2
		_, err := m.Evaluate(x, y, goras.Verbose(0))
		return err
	},
	"`m.Fit(ctx, x, y, goras.ValidationSplit(math.NaN()))`": func(t *testing.T, _ string) error {
		m, x, y := dataCase(t)
		return fitErr(m, x, y, goras.ValidationSplit(math.NaN()))
	},
	"`m.Fit` with 16 samples in x and 15 in y": func(t *testing.T, _ string) error {
		m, x, y := dataCase(t)
		y15, err := tensor.FromSlice(y.Data()[:15*10], 15, 10)
		if err != nil {
			t.Fatal(err)
		}
		return fitErr(m, x, y15)
	},
	"`m.Fit` with x of shape (16, 784) on a model of `layers.Input(28, 28)`": func(t *testing.T, _ string) error {
		m, x, y := dataCase(t)
		flat, err := x.Reshape(16, 784)
		if err != nil {
			t.Fatal(err)
		}
		return fitErr(m, flat, y)
	},
	"`m.Predict` of one image of shape (28, 28), without the batch axis": func(t *testing.T, _ string) error {
		m, x, _ := dataCase(t)
		one, err := tensor.FromSlice(x.Data()[:784], 28, 28)
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Predict(one, goras.Verbose(0))
		return err
	},
	"`m.Fit` with a label of 10 and `losses.SparseCategoricalCrossentropy`": func(t *testing.T, _ string) error {
		m, x, _ := dataCase(t)
		if err := m.Compile(goras.CompileOptions{Optimizer: sgd(t), Loss: losses.SparseCategoricalCrossentropy{}}); err != nil {
			t.Fatal(err)
		}
		y := tensor.New(16)
		y.Data()[4] = 10
		return fitErr(m, x, y)
	},
	// Misuse of the API.
	"`m.Fit` while another `m.Fit` runs on the same model": func(t *testing.T, _ string) error {
		m, x, y := dataCase(t)
		again := &fitAgain{x: x, y: y}
		if err := fitErr(m, x, y, goras.Callbacks(again)); err != nil {
			t.Fatal(err)
		}
		return again.err
	},
	"`m.Fit` before `m.Compile`": func(t *testing.T, _ string) error {
		_, x, y := dataCase(t)
		return fitErr(goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(10)), x, y)
	},
	"`m.Predict` on a model of two outputs": func(t *testing.T, _ string) error {
		in := goras.Input(4)
		m, err := goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{goras.Call(layers.Dense(2), in), goras.Call(layers.Dense(3), in)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Predict(tensor.New(5, 4), goras.Verbose(0))
		return err
	},
	"`m.Fit` with a loss whose `Build` adds no op to the plan": func(t *testing.T, _ string) error {
		m, x, y := dataCase(t)
		if err := m.Compile(goras.CompileOptions{Optimizer: sgd(t), Loss: lazyLoss{}}); err != nil {
			return err
		}
		return fitErr(m, x, y)
	},
	"`goras.NewModel` whose output depends on an input it is not given": func(t *testing.T, _ string) error {
		in, other := goras.Input(4), goras.Input(4)
		_, err := goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{goras.Call(layers.Add(), in, other)})
		return err
	},
	"one `layers.Dense` called on inputs of two shapes": func(t *testing.T, _ string) error {
		in, d := goras.Input(4), layers.Dense(3)
		_, err := goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{goras.Call(d, goras.Call(d, in))})
		return err
	},
	"`layers.Add()` of inputs of shapes (None, 3) and (None, 4)": func(t *testing.T, _ string) error {
		a, b := goras.Input(3), goras.Input(4)
		_, err := goras.NewModel([]*goras.KerasTensor{a, b}, []*goras.KerasTensor{goras.Call(layers.Add(), a, b)})
		return err
	},
	"`layers.Dense` called on two inputs": func(t *testing.T, _ string) error {
		a, b := goras.Input(4), goras.Input(4)
		_, err := goras.NewModel([]*goras.KerasTensor{a, b}, []*goras.KerasTensor{goras.Call(layers.Dense(2), a, b)})
		return err
	},
	"`m.Predict` through a custom layer whose op panics": func(t *testing.T, _ string) error {
		m := goras.NewSequential(layers.Input(3), explodingLayer{layers.Dense(3)})
		_, err := m.Predict(tensor.New(4, 3), goras.Verbose(0))
		return err
	},
}

// idx is an IDX file: magic, dimension sizes, then data.
func idx(magic uint32, dims []int, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

// readImages writes b to dir/images.idx and reads it with ReadImagesFile.
func readImages(t *testing.T, dir string, b []byte) error {
	path := filepath.Join(dir, "images.idx")
	writeFile(t, path, b)
	_, err := mnist.ReadImagesFile(path)
	return err
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// gzipBomb is a gzip file of head followed by zeros up to total bytes
// unpacked: one member of 64 MB of zeros, compressed once, repeated (a
// gzip reader reads concatenated members as one stream).
func gzipBomb(t *testing.T, head []byte, total int64) []byte {
	t.Helper()
	const chunk = 64 << 20
	zeros := gzipped(t, make([]byte, chunk))
	out := gzipped(t, head)
	for n := int64(len(head)); n < total; n += chunk {
		out = append(out, zeros...)
	}
	return out
}

// dataCase is a compiled Flatten → Dense(10, softmax) model with 16
// samples of x, (16, 28, 28), and one-hot y, (16, 10).
func dataCase(t *testing.T) (*goras.Model, *tensor.Tensor, *tensor.Tensor) {
	t.Helper()
	m := goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	if err := m.Compile(goras.CompileOptions{Optimizer: sgd(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(16, 28, 28), tensor.New(16, 10)
	for i := range 16 {
		x.Data()[i*784+i*7] = 1
		y.Data()[i*10+i%10] = 1
	}
	return m, x, y
}

func sgd(t *testing.T) optimizers.Optimizer {
	t.Helper()
	o, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// fitErr is the error of one epoch of Fit.
func fitErr(m *goras.Model, x, y goras.Data, opts ...goras.Option) error {
	_, err := m.Fit(context.Background(), x, y, append([]goras.Option{goras.Verbose(0), goras.Epochs(1), goras.BatchSize(8)}, opts...)...)
	return err
}

// fitAgain calls Fit on its model from inside a Fit, as a second goroutine
// would while the first trains, and keeps the error.
type fitAgain struct {
	goras.BaseCallback
	x, y goras.Data
	err  error
}

func (f *fitAgain) OnTrainBegin(goras.Logs) {
	f.err = fitErr(f.Model, f.x, f.y)
	if f.err == nil {
		f.err = errors.New("the second Fit ran")
	}
}

// lazyLoss is a loss whose Build forgets to add its op.
type lazyLoss struct{ losses.MeanSquaredError }

func (lazyLoss) Name() string { return "lazy" }

func (lazyLoss) Build(*autograd.Plan, *autograd.Var, *autograd.Var) autograd.LossOp { return nil }

// explodingOp panics in Forward, as a buggy user op would.
type explodingOp struct{ y *autograd.Var }

func (o *explodingOp) Forward(bool) { panic("user op exploded") }
func (o *explodingOp) Backward()    {}

// explodingLayer is a Dense whose Call adds an explodingOp.
type explodingLayer struct{ layers.Layer }

func (l explodingLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	op := &explodingOp{y: p.NewVar(false, x.Shape()...)}
	p.AddOp(op)
	return op.y
}
