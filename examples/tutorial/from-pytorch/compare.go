package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// results are what compare measured; each bool is a check the page states.
type results struct {
	params                    int
	loopIsFit, pixelsIsImages bool
	loadedSame, rebuiltSame   bool
	accuracy                  float64 // the hand-loop network on the test images
	torchDiff                 float64 // largest |goras − PyTorch| on PyTorch's inputs
	torchBefore, torchAfter   float64 // the imported network's test accuracy
	torchLayers, torchWeights int
	testImages, trainImages   int
	epochs, batch             int
	torchPath                 string
	torchInputs               int
}

func (r *results) allTrue() bool {
	return r.loopIsFit && r.pixelsIsImages && r.loadedSame && r.rebuiltSame && r.torchDiff < 1e-5
}

// compare runs every idiom on MNIST and prints what it found.
func compare(w io.Writer, o options) (*results, error) {
	train, test, err := mnist.LoadData()
	if err != nil {
		return nil, err
	}
	x, y := train.X.WithChannelAxis().Slice(0, o.train), train.Y[:o.train]
	tx, ty := test.X.WithChannelAxis().Slice(0, o.test), test.Y[:o.test]
	r := &results{trainImages: o.train, testImages: tx.N, epochs: 1, batch: 100, torchPath: o.torch}
	if err := loops(w, r, x, y, tx, ty, o.seed); err != nil {
		return nil, err
	}
	dir := o.out
	if dir == "" {
		if dir, err = os.MkdirTemp("", "goras-from-pytorch-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	if err := savedSame(w, r, x, y, tx, o.seed, dir); err != nil {
		return nil, err
	}
	if err := fromTorch(w, r, x, y, tx, ty); err != nil {
		return nil, err
	}
	return r, nil
}

// newTrained builds LeNet-5 from seed, compiled with AdamW under cosine
// decay over one epoch.
func newTrained(seed uint64, images, batch int) (*goras.Model, error) {
	m, err := newLeNet5()
	if err != nil {
		return nil, err
	}
	m.SetSeed(seed)
	opt, err := adamWCosine(int64((images + batch - 1) / batch))
	if err != nil {
		return nil, err
	}
	return m, m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
}

// loops trains LeNet-5 three times from one seed: by the hand loop, by Fit
// in order, and by Fit on the pixels data set against mnist.Images.
func loops(w io.Writer, r *results, x *mnist.Images, y mnist.Labels, tx *mnist.Images, ty mnist.Labels, seed uint64) error {
	var ms [4]*goras.Model
	for i := range ms {
		m, err := newTrained(seed, x.N, r.batch)
		if err != nil {
			return err
		}
		ms[i] = m
	}
	r.params = ms[0].CountParams()
	fmt.Fprintf(w, "LeNet-5 as a graph of layer calls: %d weights, %v → %v\n", r.params, ms[0].InputShape(), ms[0].OutputShape())
	if err := trainByHand(ms[0], x, y, r.epochs, r.batch); err != nil {
		return err
	}
	if err := trainByFit(ms[1], x, y, r.epochs, r.batch); err != nil {
		return err
	}
	r.loopIsFit = sameWeights(ms[0], ms[1])
	logs, err := ms[0].Evaluate(tx, ty, goras.Verbose(0))
	if err != nil {
		return err
	}
	r.accuracy = logs["accuracy"]
	fmt.Fprintf(w, "%d epoch on %d images, batches of %d in order, AdamW with cosine decay:\n", r.epochs, x.N, r.batch)
	fmt.Fprintf(w, "  the TrainOnBatch loop and Fit give the same weights, bit for bit: %v\n", r.loopIsFit)
	fmt.Fprintf(w, "  test accuracy (first %d test images): %.4f\n", tx.N, r.accuracy)
	for i, data := range []goras.Data{pixels{x}, x} { // Fit's default: shuffled, from the seed
		if _, err := ms[2+i].Fit(context.Background(), data, y, goras.BatchSize(r.batch), goras.Verbose(0)); err != nil {
			return err
		}
	}
	r.pixelsIsImages = sameWeights(ms[2], ms[3])
	fmt.Fprintf(w, "Fit on a data set of one's own (pixels) and on mnist.Images, shuffled: the same weights, bit for bit: %v\n", r.pixelsIsImages)
	return nil
}

// savedSame saves and loads a trained network both ways and compares
// predictions on 100 test images.
func savedSame(w io.Writer, r *results, x *mnist.Images, y mnist.Labels, tx *mnist.Images, seed uint64, dir string) error {
	m, err := newTrained(seed, x.N, r.batch)
	if err != nil {
		return err
	}
	if err := trainByFit(m, x.Slice(0, min(x.N, 1000)), y[:min(x.N, 1000)], 1, r.batch); err != nil {
		return err
	}
	loaded, rebuilt, err := saveAndLoad(m, filepath.Join(dir, "lenet5.safetensors"), filepath.Join(dir, "lenet5.weights.safetensors"))
	if err != nil {
		return err
	}
	want, err := m.Predict(tx.Slice(0, 100), goras.Verbose(0))
	if err != nil {
		return err
	}
	for _, c := range []struct {
		m    *goras.Model
		same *bool
	}{{loaded, &r.loadedSame}, {rebuilt, &r.rebuiltSame}} {
		got, err := c.m.Predict(tx.Slice(0, 100), goras.Verbose(0))
		if err != nil {
			return err
		}
		*c.same = slices.Equal(got.Data(), want.Data())
	}
	fmt.Fprintf(w, "Saved with saving.Save and loaded with saving.Load: the same predictions, bit for bit: %v\n", r.loadedSame)
	fmt.Fprintf(w, "Weights alone (SaveWeights) into a network built by code (LoadWeights): the same predictions: %v\n", r.rebuiltSame)
	return nil
}

// fromTorch imports PyTorch's LeNet-5, holds its outputs to PyTorch's on
// PyTorch's inputs, then trains it one epoch in goras.
func fromTorch(w io.Writer, r *results, x *mnist.Images, y mnist.Labels, tx *mnist.Images, ty mnist.Labels) error {
	m, err := importTorch(r.torchPath)
	if err != nil {
		return err
	}
	r.torchLayers, r.torchWeights = len(m.Layers()), m.CountParams()
	fmt.Fprintf(w, "PyTorch's LeNet-5 from %s (torch.onnx.export): %d layers, %d weights\n", r.torchPath, r.torchLayers, r.torchWeights)
	dir := filepath.Dir(r.torchPath)
	in, err := readF32(filepath.Join(dir, "digits.in.f32"))
	if err != nil {
		return err
	}
	want, err := readF32(filepath.Join(dir, "lenet5.out.f32"))
	if err != nil {
		return err
	}
	// PyTorch's inputs are (4, 1, 28, 28); with one channel the numbers
	// lie in the same order as goras's (4, 28, 28, 1).
	r.torchInputs = len(in) / 784
	xin, err := tensor.FromSlice(in, r.torchInputs, 28, 28, 1)
	if err != nil {
		return err
	}
	got, err := m.Predict(xin, goras.Verbose(0))
	if err != nil {
		return err
	}
	if len(want) != got.Len() {
		return fmt.Errorf("from-pytorch: PyTorch gave %d outputs, goras %d", len(want), got.Len())
	}
	for i, v := range got.Data() {
		r.torchDiff = math.Max(r.torchDiff, math.Abs(float64(v)-float64(want[i])))
	}
	fmt.Fprintf(w, "  on PyTorch's %d inputs, the largest difference from PyTorch's outputs: %.1e\n", r.torchInputs, r.torchDiff)
	if err := compileAdam(m); err != nil {
		return err
	}
	for i, acc := range []*float64{&r.torchBefore, &r.torchAfter} {
		if i == 1 {
			// Keras's default batch: 32.
			if _, err := m.Fit(context.Background(), x, y, goras.Verbose(0)); err != nil {
				return err
			}
		}
		logs, err := m.Evaluate(tx, ty, goras.Verbose(0))
		if err != nil {
			return err
		}
		*acc = logs["accuracy"]
	}
	fmt.Fprintf(w, "  test accuracy with PyTorch's initial weights: %.4f; after 1 epoch of Fit in goras (batches of 32): %.4f\n",
		r.torchBefore, r.torchAfter)
	return nil
}

// sameWeights says whether two models' weights are equal bit for bit.
func sameWeights(a, b *goras.Model) bool {
	wa, errA := a.GetWeights()
	wb, errB := b.GetWeights()
	if errA != nil || errB != nil || len(wa) != len(wb) {
		return false
	}
	for i := range wa {
		if !slices.Equal(wa[i].Data(), wb[i].Data()) {
			return false
		}
	}
	return true
}

// readF32 reads a file of little-endian float32 values.
func readF32(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("from-pytorch: %s holds %d bytes, not a whole number of float32 values", path, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}
