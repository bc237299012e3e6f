package goras

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/regularizers"
	"github.com/goras-ml/goras/tensor"
)

// frozenBNModel is Conv2D → BatchNormalization "bn" → ReLU → MaxPooling2D
// → Dense, with bn frozen and moving statistics far from a batch's, so
// that normalizing with one or the other shows. It goes through the
// training plan's fusions: the convolution taking bn's statistics and its
// gradient, bn fused with the ReLU, the pooling applying bn as it reads.
func frozenBNModel(t *testing.T) (*Model, *layers.BatchNormLayer) {
	t.Helper()
	m := NewSequential(layers.Input(6, 6, 2),
		layers.Conv2D(4, 3, layers.WithPadding("same")),
		layers.BatchNormalization(layers.WithName("bn")),
		layers.ReLU(),
		layers.MaxPooling2D(),
		layers.Flatten(),
		layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(7)
	if err := m.SetTrainable("bn", false); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	l, _ := m.GetLayer("bn")
	bn := l.(*layers.BatchNormLayer)
	for i := range 4 {
		bn.MovingMean().Value.Data()[i] = 0.3 * float32(i-1)
		bn.MovingVariance().Value.Data()[i] = 0.5 + float32(i)
	}
	return m, bn
}

// As Keras's BatchNormalization with trainable = False: in training it
// runs in inference mode, normalizing with the moving statistics, which
// stay as they are; the layers around it still learn, with the gradients
// of that normalization.
func TestFrozenBatchNormRunsInInferenceMode(t *testing.T) {
	m, bn := frozenBNModel(t)
	checkFrozenBN(t, m, randomTensor(1, 8, 6, 6, 2), bn)
}

// As Keras, where freezing a layer freezes the layers inside it: the
// BatchNormalization layers of a frozen Pipeline, and of a Pipeline in
// it, run in inference mode in training.
func TestFrozenPipelineFreezesItsBatchNorm(t *testing.T) {
	bn1 := layers.BatchNormalization()
	bn2 := layers.BatchNormalization()
	m := NewSequential(layers.Input(4),
		layers.Dense(5, layers.WithActivation("tanh")),
		layers.Pipeline([]layers.Layer{bn1, layers.Pipeline([]layers.Layer{layers.Dense(5), bn2})}, layers.WithName("pipe")),
		layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(7)
	if err := m.SetTrainable("pipe", false); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	for _, bn := range []*layers.BatchNormLayer{bn1, bn2} {
		for i := range 5 {
			bn.MovingMean().Value.Data()[i] = 0.3 * float32(i-2)
			bn.MovingVariance().Value.Data()[i] = 0.5 + float32(i)
		}
	}
	checkFrozenBN(t, m, randomTensor(1, 8, 4), bn1, bn2)
}

// checkFrozenBN trains m, whose normalizations bns are frozen, on x (8
// samples): its gradients are the finite differences of its training loss,
// which is its inference loss, and training leaves the normalizations'
// moving statistics as they were.
func checkFrozenBN(t *testing.T, m *Model, x *tensor.Tensor, bns ...*layers.BatchNormLayer) {
	t.Helper()
	var stats [][]float32
	for _, bn := range bns {
		stats = append(stats, slices.Clone(bn.MovingMean().Value.Data()), slices.Clone(bn.MovingVariance().Value.Data()))
	}
	const n = 8
	y := oneHotRows(n, 3, 2)

	// Gradients through the frozen normalizations, against central
	// differences of the training loss (which, frozen, no Forward moves).
	loss := trainingLoss(t, m, x, y, n)
	const h = 1e-3 // at these weights, switches no ReLU or pooling window
	for _, p := range m.trainable() {
		grad := slices.Clone(p.Grad.Data())
		w := p.Value.Data()
		for i := range w {
			if num := centralDiff(loss, w, i, h); math.Abs(num-float64(grad[i])) > 2e-3+2e-2*math.Abs(num) {
				t.Errorf("d loss / d %s[%d] = %.6f, finite differences say %.6f", p.Name, i, grad[i], num)
			}
		}
	}

	// The training step's loss (before its update) is the inference loss.
	want, err := m.Evaluate(x, y, Verbose(0), BatchSize(n))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.TrainOnBatch(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want["loss"]) > 1e-5 {
		t.Errorf("training loss of the frozen model %v, inference loss %v: a frozen normalization used the batch's statistics", got, want["loss"])
	}
	if _, err := m.Fit(context.Background(), x, y, Verbose(0), Epochs(2), BatchSize(4)); err != nil {
		t.Fatal(err)
	}
	for i, bn := range bns {
		mean, variance := stats[2*i], stats[2*i+1]
		if !slices.Equal(bn.MovingMean().Value.Data(), mean) || !slices.Equal(bn.MovingVariance().Value.Data(), variance) {
			t.Errorf("training moved frozen normalization %d's moving statistics: mean %v → %v, variance %v → %v",
				i, mean, bn.MovingMean().Value.Data(), variance, bn.MovingVariance().Value.Data())
		}
	}
}

// As Keras, whose regularization losses are those of the trainable
// weights: a frozen layer's regularizer adds nothing to the loss.
func TestFrozenLayerRegularizerLeavesTheLoss(t *testing.T) {
	x, y := randomTensor(1, 6, 4), oneHotRows(6, 3, 2)
	loss := func(reg bool) float64 {
		var opts []layers.Option
		if reg {
			opts = append(opts, layers.WithKernelRegularizer(regularizers.L2(10)))
		}
		m := NewSequential(layers.Input(4), layers.Dense(5, append(opts, layers.WithName("frozen"))...), layers.Dense(3, layers.WithActivation("softmax")))
		m.SetSeed(3)
		if err := m.SetTrainable("frozen", false); err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Loss: losses.CategoricalCrossentropy{}}); err != nil {
			t.Fatal(err)
		}
		logs, err := m.Evaluate(x, y, Verbose(0))
		if err != nil {
			t.Fatal(err)
		}
		return logs["loss"]
	}
	if with, without := loss(true), loss(false); with != without {
		t.Errorf("loss %v with a frozen layer's L2 regularizer, %v without", with, without)
	}
}
