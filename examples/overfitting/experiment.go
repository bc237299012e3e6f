package main

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/regularizers"
)

// The lesson's network and training, the same for every cure: Flatten →
// Dense 500 ReLU → Dense 500 ReLU → Dense 10 softmax (648,010 weights, far
// more than 1,000 images can pin down), Adam 0.001, batches of 100.
const (
	hidden    = 500
	batchSize = 100
	// splitFraction is what early stopping holds out of the training images
	// (Keras's validation_split, taken from the end) to watch val_loss on.
	splitFraction = 0.2
	// curveImages is how many validation images the per-epoch curves are
	// drawn on: enough for a smooth curve at a fifth of the cost of all.
	curveImages = 2000
)

// Cure is one way of training the lesson's network. The zero value of each
// field means "not used".
type Cure struct {
	// Family groups the settings one cure was chosen among: "none", "L2",
	// "dropout", "L2 + dropout", "early stopping", "augmentation",
	// "more data".
	Family string
	// L2 is the factor of the L2 penalty on every Dense kernel.
	L2 float64
	// Dropout is the rate of a Dropout layer after each hidden layer.
	Dropout float64
	// Patience > 0 turns on early stopping: Monitor (val_loss or
	// val_accuracy) is watched on the last splitFraction of the training
	// images, training stops after Patience epochs without improvement and
	// the best epoch's weights come back.
	Patience int
	Monitor  string
	// Augment scales a random rotation (±10°), zoom (±10 %) and shift
	// (±2 px) of each training image: 1 is those, 1.5 half as much again.
	Augment float64
	// Images is the number of training images, from the start of MNIST's
	// training set.
	Images int
	// Epochs is the most epochs training runs.
	Epochs int
}

// Setting describes the cure's setting in a few words, for the tables
// (which show the epochs apart).
func (c Cure) Setting() string {
	var s []string
	if c.L2 > 0 {
		s = append(s, fmt.Sprintf("L2 %g", c.L2))
	}
	if c.Dropout > 0 {
		s = append(s, fmt.Sprintf("dropout %g", c.Dropout))
	}
	if c.Patience > 0 {
		s = append(s, fmt.Sprintf("%s, patience %d", c.Monitor, c.Patience))
	}
	if c.Augment > 0 {
		s = append(s, fmt.Sprintf("rot ±%g° zoom ±%g%% shift ±%g px", 10*c.Augment, 10*c.Augment, 2*c.Augment))
	}
	if c.Family == "more data" || len(s) == 0 {
		s = append(s, thousands(c.Images)+" images")
	}
	return strings.Join(s, ", ")
}

// Data is what the lesson trains, chooses and tests on.
type Data struct {
	// Train is MNIST's training set: a cure trains on its first
	// Cure.Images images, and images from ValStart on are the validation
	// set, where settings are chosen and curves drawn.
	Train mnist.Dataset
	// ValStart is where the validation images begin in Train (50,000 in the
	// lesson: the last 10,000). A run on more images than ValStart has
	// trained on them, and its validation accuracy is not reported.
	ValStart int
	// Test is read once per chosen setting, at the end.
	Test mnist.Dataset
}

// val is the validation set: Train from ValStart on, with a channel axis.
func (d *Data) val() (*mnist.Images, mnist.Labels) {
	return d.Train.X.WithChannelAxis().Slice(d.ValStart, d.Train.X.N), d.Train.Y[d.ValStart:]
}

// Run is one training of one cure with one seed. Accuracies are measured
// in inference mode (dropout and augmentation off), the same way for train,
// validation and test.
type Run struct {
	Cure Cure
	Seed uint64
	// Train is the accuracy on the images the weights were fitted on (for
	// early stopping, without the held-out split).
	Train float64
	// Val is the accuracy on the validation images; NaN when the run
	// trained on them.
	Val float64
	// Test is the accuracy on Data.Test, NaN until ReadTest.
	Test float64
	// Epochs is how many epochs ran (fewer than Cure.Epochs when training
	// stopped early).
	Epochs int
	// History holds the per-epoch logs; with curves on, val_loss is on
	// the validation images (early stopping: on its held-out split).
	History *goras.History
	model   *goras.Model
	data    *Data
}

// newModel builds the lesson's network with the cure's regularization.
func newModel(c Cure) *goras.Model {
	var dense []layers.Option
	if c.L2 > 0 {
		dense = append(dense, layers.WithKernelRegularizer(regularizers.L2(c.L2)))
	}
	stack := []layers.Layer{layers.Input(28, 28, 1)}
	if c.Augment > 0 {
		// Black fill, as MNIST's background; active in training only.
		fill := layers.WithFillMode("constant")
		stack = append(stack, layers.Pipeline([]layers.Layer{
			layers.RandomRotation(c.Augment*10/360, fill),
			layers.RandomZoom(c.Augment*0.1, fill),
			layers.RandomTranslation(c.Augment*2/28, c.Augment*2/28, fill),
		}, layers.WithName("augmentation")))
	}
	stack = append(stack, layers.Flatten())
	for range 2 {
		stack = append(stack, layers.Dense(hidden, append(dense, layers.WithActivation("relu"))...))
		if c.Dropout > 0 {
			stack = append(stack, layers.Dropout(c.Dropout))
		}
	}
	stack = append(stack, layers.Dense(10, append(dense, layers.WithActivation("softmax"))...))
	return goras.NewSequential(stack...)
}

// Train trains the cure's network from seed on d. With curves, every epoch
// is also validated (on the first curveImages validation images, or on
// early stopping's split) for the loss curves.
func Train(ctx context.Context, d *Data, c Cure, seed uint64, curves bool) (*Run, error) {
	if c.Images > d.Train.X.N {
		return nil, fmt.Errorf("overfitting: %s wants %d training images, the data has %d", c.Family, c.Images, d.Train.X.N)
	}
	m := newModel(c)
	m.SetSeed(seed)
	adam, err := optimizers.NewAdam(optimizers.LearningRate(0.001))
	if err != nil {
		return nil, err
	}
	err = m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
	if err != nil {
		return nil, err
	}
	x, y := d.Train.X.WithChannelAxis().Slice(0, c.Images), d.Train.Y[:c.Images]
	vx, vy := d.val()
	opts := []goras.Option{goras.BatchSize(batchSize), goras.Epochs(c.Epochs), goras.Verbose(0)}
	var stop *callbacks.EarlyStopping
	fitted := c.Images
	switch {
	case c.Patience > 0:
		stop, err = callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Monitor: c.Monitor, Patience: c.Patience, RestoreBestWeights: true})
		if err != nil {
			return nil, err
		}
		opts = append(opts, goras.ValidationSplit(splitFraction), goras.Callbacks(stop))
		fitted = c.Images - int(float64(c.Images)*splitFraction)
	case curves && c.Images <= d.ValStart: // else the curve would be of images trained on
		n := min(curveImages, vx.N)
		opts = append(opts, goras.ValidationData(vx.Slice(0, n), vy[:n]))
	}
	h, err := m.Fit(ctx, x, y, opts...)
	if err != nil {
		return nil, err
	}
	r := &Run{Cure: c, Seed: seed, History: h, Epochs: len(h.Epoch), model: m, data: d, Test: math.NaN()}
	if r.Train, err = accuracy(m, x.Slice(0, fitted), y[:fitted]); err != nil {
		return nil, err
	}
	r.Val = math.NaN()
	if c.Images <= d.ValStart {
		if r.Val, err = accuracy(m, vx, vy); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ReadTest measures the run's test accuracy, once.
func (r *Run) ReadTest() error {
	if !math.IsNaN(r.Test) {
		return nil
	}
	acc, err := accuracy(r.model, r.data.Test.X.WithChannelAxis(), r.data.Test.Y)
	if err != nil {
		return err
	}
	r.Test = acc
	return nil
}

// release lets the trained weights go once the run's numbers are taken.
func (r *Run) release() { r.model = nil }

func accuracy(m *goras.Model, x *mnist.Images, y mnist.Labels) (float64, error) {
	logs, err := m.Evaluate(x, y, goras.BatchSize(500), goras.Verbose(0))
	if err != nil {
		return 0, err
	}
	return logs["accuracy"], nil
}

// thousands writes n with commas, 60000 as "60,000".
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
