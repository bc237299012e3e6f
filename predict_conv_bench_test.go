package goras_test

import (
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

// Inference benchmarks of convolutional networks, whose plans share
// buffers and convolution scratch: LeNet-5 and a two-block batch-norm CNN
// (the bounty network's first block at half width), at batch 1000 and one
// image at a time.
//
//	go test -run XXX -bench 'PredictConv' .

func bnCNN() *goras.Model {
	block := func(f int) []layers.Layer {
		return []layers.Layer{layers.Conv2D(f, 3, layers.WithPadding("same")), layers.BatchNormalization(), layers.Activation("relu")}
	}
	ls := append([]layers.Layer{layers.Input(28, 28, 1)}, block(16)...)
	ls = append(ls, block(16)...)
	ls = append(ls, layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10))
	return goras.NewSequential(ls...)
}

func benchPredictConv(b *testing.B, m *goras.Model, n int) {
	compileConv(b, m)
	x, _ := convBatch(n)
	if _, err := m.Predict(x, goras.BatchSize(n), goras.Verbose(0)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Predict(x, goras.BatchSize(n), goras.Verbose(0))
	}
}

func BenchmarkPredictConvLeNet5Batch1000(b *testing.B) { benchPredictConv(b, lenet5(), 1000) }
func BenchmarkPredictConvLeNet5One(b *testing.B)       { benchPredictConv(b, lenet5(), 1) }
func BenchmarkPredictConvBNBatch1000(b *testing.B)     { benchPredictConv(b, bnCNN(), 1000) }
func BenchmarkPredictConvBNOne(b *testing.B)           { benchPredictConv(b, bnCNN(), 1) }
