package goras_test

import (
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// mnistBatch returns the first n training images of real MNIST, scaled to
// [0, 1], and their one-hot labels: the data the course trains on, whose
// 80 % of zero pixels the first layer's product skips.
func mnistBatch(b *testing.B, n int) (x, y *tensor.Tensor) {
	train, _, err := mnist.LoadData()
	if err != nil {
		b.Skipf("MNIST not available: %v", err)
	}
	x, err = train.X.Slice(0, n).Float32().Reshape(n, 28, 28)
	if err != nil {
		b.Fatal(err)
	}
	y, err = mnist.ToCategorical(train.Y[:n], 10)
	if err != nil {
		b.Fatal(err)
	}
	return x, y
}

// BenchmarkTrainStepMLPMNIST is one training step of the course MLP (SGD
// 0.1, MSE, batch 100) on real MNIST images.
func BenchmarkTrainStepMLPMNIST(b *testing.B) {
	x, y := mnistBatch(b, 100)
	m := courseMLP()
	compile(b, m, losses.MeanSquaredError{}, sgd(b, optimizers.LearningRate(0.1)))
	m.TrainOnBatch(x, y)
	b.ReportAllocs()
	for b.Loop() {
		m.TrainOnBatch(x, y)
	}
}

// BenchmarkPredictMNIST1000 is batch-1000 inference on real MNIST images.
func BenchmarkPredictMNIST1000(b *testing.B) {
	x, _ := mnistBatch(b, 1000)
	m := courseMLP()
	if _, err := m.Predict(x, goras.BatchSize(1000), goras.Verbose(0)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Predict(x, goras.BatchSize(1000), goras.Verbose(0))
	}
}

// BenchmarkPredictMNISTTestSet is Predict over the 10,000 MNIST test
// images as bench/ times it: mnist.Images (uint8 pixels scaled while
// gathered) in batches of 1000, reported in images a second.
func BenchmarkPredictMNISTTestSet(b *testing.B) {
	_, test, err := mnist.LoadData()
	if err != nil {
		b.Skipf("MNIST not available: %v", err)
	}
	m := courseMLP()
	if _, err := m.Predict(test.X, goras.BatchSize(1000), goras.Verbose(0)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m.Predict(test.X, goras.BatchSize(1000), goras.Verbose(0))
	}
	b.ReportMetric(float64(test.X.N*b.N)/b.Elapsed().Seconds(), "img/s")
}

// BenchmarkPredictMNISTOne is single-image latency on a real MNIST image.
func BenchmarkPredictMNISTOne(b *testing.B) {
	x, _ := mnistBatch(b, 1)
	m := courseMLP()
	if _, err := m.Predict(x, goras.BatchSize(1), goras.Verbose(0)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Predict(x, goras.BatchSize(1), goras.Verbose(0))
	}
}

// BenchmarkPredictOne is the course MLP's single-image latency through
// Predict, as bench/ measures it.
func BenchmarkPredictOne(b *testing.B) {
	m := courseMLP()
	x := tensor.New(1, 28, 28)
	x.FillUniform(tensor.NewRNG(1), 0, 1)
	if _, err := m.Predict(x, goras.BatchSize(1), goras.Verbose(0)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Predict(x, goras.BatchSize(1), goras.Verbose(0))
	}
}

// BenchmarkPredict1000 is the course MLP's batch-1000 inference throughput.
func BenchmarkPredict1000(b *testing.B) {
	m := courseMLP()
	x := tensor.New(1000, 28, 28)
	x.FillUniform(tensor.NewRNG(1), 0, 1)
	if _, err := m.Predict(x, goras.BatchSize(1000), goras.Verbose(0)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Predict(x, goras.BatchSize(1000), goras.Verbose(0))
	}
}

// BenchmarkPredictOneParallel is single-image Predict on one model from
// -cpu goroutines at once (a server's load): ns/op is per call, so against
// BenchmarkPredictOne it shows what sharing one model costs.
//
//	go test -run XXX -bench 'PredictOne(Parallel)?$' -cpu 1,8 .
func BenchmarkPredictOneParallel(b *testing.B) {
	m := courseMLP()
	x := tensor.New(1, 28, 28)
	x.FillUniform(tensor.NewRNG(1), 0, 1)
	if _, err := m.Predict(x, goras.BatchSize(1), goras.Verbose(0)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Predict(x, goras.BatchSize(1), goras.Verbose(0)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
