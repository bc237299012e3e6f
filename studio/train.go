package studio

import (
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/regularizers"
)

// TrainSettings are what POST /api/runs takes to start a run, as JSON. A
// zero field takes its default, which the network's recipe gives
// (applications.Spec) or else Keras's.
type TrainSettings struct {
	// Name is the run's name, its folder in the runs folder. Default: the
	// network and the time, e.g. "lenet5-20250314-101502".
	Name string `json:"name,omitempty"`
	// Network is an applications name: mlp, lenet5, keras-convnet, fast,
	// best, best-long, sprint, fashion (trained on MNIST here, as every
	// run). Default mlp, unless FromModel is set.
	Network string `json:"network,omitempty"`
	// FromModel names a model of the runs folder to go on training from
	// (its layers and weights), instead of a fresh Network.
	FromModel string `json:"from_model,omitempty"`
	// Optimizer is an optimizers.Get name. Default: the network's.
	Optimizer string `json:"optimizer,omitempty"`
	// LearningRate is the optimizer's step size. Default: the network's
	// with its own optimizer, else the optimizer's Keras default.
	LearningRate float64 `json:"learning_rate,omitempty"`
	// Momentum is SGD's momentum (only with sgd). Default 0.
	Momentum float64 `json:"momentum,omitempty"`
	// Loss is a losses.Get name. Default: the network's.
	Loss string `json:"loss,omitempty"`
	// Epochs and BatchSize default to the network's.
	Epochs    int `json:"epochs,omitempty"`
	BatchSize int `json:"batch_size,omitempty"`
	// TrainSize is the number of training images used, the first ones of
	// MNIST's 60,000 (1,000 shows over-fitting). Default: all.
	TrainSize int `json:"train_size,omitempty"`
	// ValidationSize is the number of test images validated on after each
	// epoch, the first ones of MNIST's 10,000. Default: all.
	ValidationSize int `json:"validation_size,omitempty"`
	// Dropout puts a Dropout of this rate in front of every Dense layer that
	// follows a Conv2D or Dense one (as goras train --dropout). Default 0:
	// the network's own.
	Dropout float64 `json:"dropout,omitempty"`
	// L2 puts an L2 kernel regularizer of this factor on every Dense and
	// Conv2D layer (as goras train --l2). Default 0: none added.
	L2 float64 `json:"l2,omitempty"`
	// Seed fixes the initial weights and the shuffling. Default 1, as
	// goras train.
	Seed uint64 `json:"seed,omitempty"`
}

// Limits of a run's settings.
const (
	maxEpochs    = 1000
	maxTrainSize = 60000
	maxValSize   = 10000
)

// resolve checks the settings and fills what is not given; spec is the
// network's recipe (zero for FromModel).
func (t *TrainSettings) resolve(now time.Time) (applications.Spec, error) {
	var spec applications.Spec
	if t.Network != "" && t.FromModel != "" {
		return spec, badRequest("give network or from_model, not both (got network %q and from_model %q)", t.Network, t.FromModel)
	}
	if t.FromModel == "" {
		if t.Network == "" {
			t.Network = "mlp"
		}
		var err error
		if spec, err = applications.Get(t.Network); err != nil {
			return spec, badRequest("unknown network %q; known: %s", t.Network, strings.Join(applications.Names(), ", "))
		}
	} else {
		spec = applications.Spec{Loss: "categorical_crossentropy", Optimizer: "adam", Epochs: 1, BatchSize: 32}
	}
	base := t.Network
	if base == "" {
		base = t.FromModel
	}
	if t.Name == "" {
		t.Name = base + now.Format("-20060102-150405")
	}
	if err := checkName("run", t.Name); err != nil {
		return spec, err
	}
	if t.Optimizer == "" {
		t.Optimizer = spec.Optimizer
		if t.LearningRate == 0 {
			t.LearningRate = spec.LearningRate
		}
	}
	if !slices.Contains(optimizers.Names(), strings.ToLower(t.Optimizer)) {
		return spec, badRequest("unknown optimizer %q; known: %s", t.Optimizer, strings.Join(optimizers.Names(), ", "))
	}
	t.Optimizer = strings.ToLower(t.Optimizer)
	if t.Loss == "" {
		t.Loss = spec.Loss
	}
	if _, err := losses.Get(t.Loss); err != nil {
		return spec, badRequest("unknown loss %q; known: %s", t.Loss, strings.Join(losses.Names(), ", "))
	}
	if t.Epochs == 0 {
		t.Epochs = spec.Epochs
	}
	if t.BatchSize == 0 {
		t.BatchSize = spec.BatchSize
	}
	if t.Seed == 0 {
		t.Seed = 1
	}
	return spec, t.checkNumbers()
}

// checkNumbers checks the numeric settings' ranges.
func (t *TrainSettings) checkNumbers() error {
	ints := []struct {
		key       string
		v, lo, hi int
	}{
		{"epochs", t.Epochs, 1, maxEpochs},
		{"batch_size", t.BatchSize, 1, maxTrainSize},
		{"train_size", t.TrainSize, 0, maxTrainSize},
		{"validation_size", t.ValidationSize, 0, maxValSize},
	}
	for _, c := range ints {
		if c.v < c.lo || c.v > c.hi {
			return badRequest("%s must be from %d to %d, got %d", c.key, c.lo, c.hi, c.v)
		}
	}
	floats := []struct {
		key       string
		v, lo, hi float64
	}{
		{"learning_rate", t.LearningRate, 0, 10},
		{"momentum", t.Momentum, 0, 1},
		{"dropout", t.Dropout, 0, 0.95},
		{"l2", t.L2, 0, 1},
	}
	for _, c := range floats {
		if math.IsNaN(c.v) || c.v < c.lo || c.v > c.hi {
			return badRequest("%s must be from %g to %g, got %v", c.key, c.lo, c.hi, c.v)
		}
	}
	if t.Momentum > 0 && t.Optimizer != "sgd" {
		return badRequest("momentum is SGD's; got momentum %g with optimizer %s", t.Momentum, t.Optimizer)
	}
	return nil
}

// newOptimizer makes the optimizer the settings name, as Keras's config.
func (t *TrainSettings) newOptimizer() (optimizers.Optimizer, error) {
	cfg := map[string]any{}
	if t.LearningRate > 0 {
		cfg["learning_rate"] = t.LearningRate
	}
	if t.Momentum > 0 {
		cfg["momentum"] = t.Momentum
	}
	opt, err := optimizers.FromConfig(t.Optimizer, cfg)
	if err != nil {
		return nil, badRequest("optimizer %s: %v", t.Optimizer, err)
	}
	return opt, nil
}

// layers are the network's layers with the settings' dropout and L2 (0
// leaves either as the network has it), as goras train's --dropout and
// --l2 make them.
func (t *TrainSettings) layers(spec applications.Spec) ([]layers.Layer, error) {
	ls := spec.Layers()
	if t.Dropout > 0 {
		ls = applications.SetDropout(ls, t.Dropout)
	}
	if t.L2 > 0 {
		return applications.SetKernelRegularizer(ls, regularizers.L2(t.L2))
	}
	return ls, nil
}

// newModel makes the network of the settings, with its dropout and L2,
// and compiles it; from is the loaded FromModel (nil for a Network).
func (t *TrainSettings) newModel(spec applications.Spec, from *goras.Model) (*goras.Model, error) {
	m := from
	if m == nil {
		ls, err := t.layers(spec)
		if err != nil {
			return nil, err
		}
		m = goras.NewSequential(ls...)
		m.SetSeed(t.Seed)
	}
	opt, err := t.newOptimizer()
	if err != nil {
		return nil, err
	}
	loss, err := losses.Get(t.Loss)
	if err != nil {
		return nil, err
	}
	if err := m.Compile(goras.CompileOptions{Optimizer: opt, Loss: loss, Metrics: []string{"accuracy"}}); err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	return m, nil
}

// prepare is applications.Data, with an input MNIST's images cannot fill
// as an HTTP error.
func prepare(d mnist.Dataset, m *goras.Model, loss losses.Loss) (x, y goras.Data, err error) {
	x, y, err = applications.Data(d, m, loss)
	if err != nil {
		return nil, nil, errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	return x, y, nil
}

// subset is the first n samples of d (all when n is 0 or more than d has).
func subset(d mnist.Dataset, n int) mnist.Dataset {
	if n <= 0 || n >= d.X.N {
		return d
	}
	return mnist.Dataset{X: d.X.Slice(0, n), Y: d.Y[:n]}
}
