package main

import (
	"context"
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/optimizers/schedules"
	"github.com/goras-ml/goras/saving"
)

// convBlock is what a small nn.Module would be in PyTorch: a convolution,
// relu and 2×2 max pooling. In goras a piece of network is a Go function
// from a symbolic tensor to a symbolic tensor.
func convBlock(x *goras.KerasTensor, filters int, padding string) *goras.KerasTensor {
	x = goras.Call(layers.Conv2D(filters, 5, layers.WithPadding(padding), layers.WithActivation("relu")), x)
	return goras.Call(layers.MaxPooling2D(), x)
}

// newLeNet5 is LeNet-5 written the way a PyTorch forward is: each line
// calls a layer on the tensor the line before made.
func newLeNet5() (*goras.Model, error) {
	in := goras.Input(28, 28, 1)        // one image: 28×28×1, channels last (PyTorch: 1×28×28)
	x := convBlock(in, 6, "same")       // nn.Conv2d(1, 6, 5, padding=2), relu, max_pool2d
	x = convBlock(x, 16, "valid")       // nn.Conv2d(6, 16, 5), relu, max_pool2d
	x = goras.Call(layers.Flatten(), x) // torch.flatten(x, 1)
	// nn.Linear(400, 120), relu: the 400 inputs are worked out when the
	// model is built.
	x = goras.Call(layers.Dense(120, layers.WithActivation("relu")), x)
	x = goras.Call(layers.Dense(84, layers.WithActivation("relu")), x)
	out := goras.Call(layers.Dense(10, layers.WithActivation("softmax")), x)
	return goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{out})
}

// compileAdam compiles m with torch.optim.Adam's defaults (lr 1e-3, betas
// 0.9 and 0.999, eps 1e-8; Keras's eps is 1e-7) and cross-entropy on class
// indices, nn.CrossEntropyLoss's targets. The model ends in softmax; with a
// last layer of raw scores, as PyTorch models usually have, the loss would
// be SparseCategoricalCrossentropy{FromLogits: true}.
func compileAdam(m *goras.Model) error {
	adam, err := optimizers.NewAdam(optimizers.LearningRate(1e-3),
		optimizers.Beta1(0.9), optimizers.Beta2(0.999), optimizers.Epsilon(1e-8))
	if err != nil {
		return err
	}
	return m.Compile(goras.CompileOptions{Optimizer: adam,
		Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
}

// adamWCosine is torch.optim.AdamW(lr=1e-3, weight_decay=0.01) under a
// cosine annealing of the rate to 0 over steps updates
// (lr_scheduler.CosineAnnealingLR stepped after every batch). Keras's
// AdamW decays by 0.004 unless told.
func adamWCosine(steps int64) (optimizers.Optimizer, error) {
	cosine, err := schedules.NewCosineDecay(1e-3, steps)
	if err != nil {
		return nil, err
	}
	return optimizers.NewAdamW(optimizers.Schedule(cosine), optimizers.WeightDecay(0.01), optimizers.Epsilon(1e-8))
}

// trainByHand is PyTorch's training loop written out: for each epoch, for
// each batch in order, one step. TrainOnBatch is zero_grad, forward, the
// loss, backward and the optimizer's step in one call.
func trainByHand(m *goras.Model, x *mnist.Images, y mnist.Labels, epochs, batch int) error {
	for epoch := range epochs {
		for lo := 0; lo < x.N; lo += batch {
			hi := min(lo+batch, x.N)
			if _, err := m.TrainOnBatch(x.Slice(lo, hi), y[lo:hi]); err != nil {
				return fmt.Errorf("epoch %d, batch from %d: %w", epoch+1, lo, err)
			}
		}
	}
	return nil
}

// trainByFit is the same loop as Fit runs it: Shuffle(false) is
// DataLoader(shuffle=False); Fit shuffles by default, from the model's seed.
func trainByFit(m *goras.Model, x *mnist.Images, y mnist.Labels, epochs, batch int) error {
	_, err := m.Fit(context.Background(), x, y,
		goras.Epochs(epochs), goras.BatchSize(batch), goras.Shuffle(false), goras.Verbose(0))
	return err
}

// pixels is a data set of one's own, PyTorch's Dataset: Shape()[0] is
// __len__, and Gather fills a batch with the samples asked for, which is
// what __getitem__ and the DataLoader's collate do together. Here: MNIST
// images as float32 in [0, 1], channels last.
type pixels struct{ images *mnist.Images }

func (p pixels) Shape() []int { return []int{p.images.N, 28, 28, 1} }

func (p pixels) Gather(dst []float32, rows []int) {
	for i, r := range rows {
		for j, v := range p.images.Image(r) {
			dst[i*784+j] = float32(v) / 255
		}
	}
}

// saveAndLoad is torch.save(model.state_dict(), ...) and back: Save writes
// the architecture with the weights, so Load needs no code; SaveWeights and
// LoadWeights move the weights alone into a model built by code, as
// load_state_dict does.
func saveAndLoad(m *goras.Model, path, weightsPath string) (loaded, rebuilt *goras.Model, err error) {
	if err := saving.Save(m, path); err != nil {
		return nil, nil, err
	}
	if loaded, err = saving.Load(path); err != nil {
		return nil, nil, err
	}
	if err := saving.SaveWeights(m, weightsPath); err != nil {
		return nil, nil, err
	}
	if rebuilt, err = newLeNet5(); err != nil {
		return nil, nil, err
	}
	return loaded, rebuilt, saving.LoadWeights(rebuilt, weightsPath)
}

// importTorch reads a network PyTorch exported with torch.onnx.export: an
// ordinary goras model, which predicts, trains and saves like any other.
func importTorch(path string) (*goras.Model, error) {
	return onnx.Load(path)
}
