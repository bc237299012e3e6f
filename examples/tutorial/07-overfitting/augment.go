package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/tensor"
)

// augmentation is what the augmentation cure puts in front of the network:
// turn each training image by up to ±10°, zoom by up to ±10 %, shift by up
// to ±2 pixels, filling with black, MNIST's background. These layers act in
// training only; validation and test images are left as they are.
func augmentation() []layers.Layer {
	fill := layers.WithFillMode("constant")
	return []layers.Layer{
		layers.RandomRotation(10.0/360, fill),
		layers.RandomZoom(0.1, fill),
		layers.RandomTranslation(2.0/28, 2.0/28, fill),
	}
}

// showAugmentation draws the first 10 training images and three random
// augmentations of each.
func showAugmentation(w io.Writer, d data, o options) error {
	const n = 10
	x, err := d.train.X.Slice(0, n).Float32().Reshape(n, 28, 28, 1)
	if err != nil {
		return err
	}
	labels := make([]int, n)
	for i, v := range d.train.Y[:n] {
		labels[i] = int(v)
	}
	path := filepath.Join(o.out, "07-augmented.png")
	if err := saveAugmented(path, x, labels, 3, o.seed); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n\n", path)
	return nil
}

// saveAugmented draws n digits (x: (n, 28, 28, 1) in [0, 1]) in the first
// row, then rows more rows of the same digits as the augmentation layers
// change them in training, each row a new random draw.
func saveAugmented(path string, x *tensor.Tensor, labels []int, rows int, seed uint64) error {
	n := x.Dim(0)
	plan := autograd.NewPlan(n)
	in := plan.Input(28, 28, 1)
	out := in
	for _, l := range augmentation() {
		if _, err := l.Build([]int{28, 28, 1}, tensor.NewRNG(seed)); err != nil {
			return err
		}
		out = l.Call(plan, out)
	}
	copy(in.Value.Data(), x.Data())
	all := slices.Clone(x.Data())
	captions := slices.Clone(labels)
	for range rows {
		plan.Forward(true) // training: a new rotation, zoom and shift per image
		all = append(all, out.Value.Data()...)
		captions = append(captions, labels...)
	}
	grid, err := tensor.FromSlice(all, (rows+1)*n, 28, 28, 1)
	if err != nil {
		return err
	}
	return plot.SaveDigitGrid(path, grid, captions, nil, n)
}
