package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/regularizers"
)

// data are the chapter's three sets of images, with a channel axis.
type data struct {
	// train holds the images before the validation set; a run trains on
	// the first cure.images of them.
	train mnist.Dataset
	// val is the validation set: the last images of MNIST's training set,
	// which no run trains on. Curves are drawn and cures judged on it.
	val mnist.Dataset
	// test is read once per run, at the end.
	test mnist.Dataset
}

// split cuts MNIST into the chapter's sets.
func split(train, test mnist.Dataset, o options) data {
	x, v0 := train.X.WithChannelAxis(), train.X.N-o.val
	return data{
		train: mnist.Dataset{X: x.Slice(0, v0), Y: train.Y[:v0]},
		val:   mnist.Dataset{X: x.Slice(v0, train.X.N), Y: train.Y[v0:]},
		test:  mnist.Dataset{X: test.X.WithChannelAxis().Slice(0, o.test), Y: test.Y[:o.test]},
	}
}

// cure is one way of training the network. A zero field is a cure not
// taken.
type cure struct {
	name string
	// images is the number of training images; epochs the passes over
	// them.
	images, epochs int
	// patience > 0 stops training when the validation loss has not
	// improved for that many epochs, and keeps the best epoch's weights.
	patience int
	// l2 is the factor of an L2 penalty on every Dense kernel.
	l2 float64
	// dropout is the rate of a Dropout layer after each hidden layer.
	dropout float64
	// augment turns on random rotations, zooms and shifts of the
	// training images.
	augment bool
	// picture is the file name of the run's curves, "" for none.
	picture string
}

// cures are the runs of the chapter: the plain network, then each cure.
func cures(o options) []cure {
	plain := cure{name: "no cure", images: o.train, epochs: o.epochs, picture: "07-plain.png"}
	stop, l2, drop, aug := plain, plain, plain, plain
	stop.name, stop.patience, stop.picture = "early stopping", 10, "07-early-stopping.png"
	l2.name, l2.l2, l2.picture = "L2 0.0001", 1e-4, "07-l2.png"
	drop.name, drop.dropout, drop.picture = "dropout 0.5", 0.5, "07-dropout.png"
	aug.name, aug.augment, aug.picture = "augmentation", true, "07-augmentation.png"
	cs := []cure{plain, stop, l2, drop, aug}
	for _, n := range o.more {
		// As many training steps as the others: fewer passes over more
		// images. A run of one epoch has no curve to draw.
		more := cure{name: fmt.Sprintf("%d images", n), images: n, epochs: max(1, o.epochs*o.train/n)}
		if more.epochs > 1 {
			more.picture = fmt.Sprintf("07-more-data-%d.png", n)
		}
		cs = append(cs, more)
	}
	return cs
}

// newModel builds the network with the cure's regularization.
func newModel(c cure, hidden int) *goras.Model {
	stack := []layers.Layer{layers.Input(28, 28, 1)}
	if c.augment {
		stack = append(stack, augmentation()...)
	}
	var dense []layers.Option
	if c.l2 > 0 {
		dense = append(dense, layers.WithKernelRegularizer(regularizers.L2(c.l2)))
	}
	stack = append(stack, layers.Flatten())
	for range 2 {
		stack = append(stack, layers.Dense(hidden, append(dense, layers.WithActivation("relu"))...))
		if c.dropout > 0 {
			stack = append(stack, layers.Dropout(c.dropout))
		}
	}
	stack = append(stack, layers.Dense(10, append(dense, layers.WithActivation("softmax"))...))
	return goras.NewSequential(stack...)
}

// result is what one run measured. train, val and test are Evaluate's
// loss and accuracy, with dropout and augmentation off.
type result struct {
	cure             cure
	history          *goras.History
	train, val, test goras.Logs
	// squares is the sum of the squares of every Dense kernel weight,
	// what an L2 penalty holds down.
	squares float64
}

// trainCures trains the network once per cure, from the same seed.
func trainCures(ctx context.Context, w io.Writer, d data, cs []cure, o options) ([]result, error) {
	var results []result
	for _, c := range cs {
		fmt.Fprintf(w, "training: %s...\n", c.name)
		r, err := trainCure(ctx, d, c, o)
		if err != nil {
			return nil, fmt.Errorf("overfitting: %s: %w", c.name, err)
		}
		results = append(results, r)
	}
	return results, nil
}

// trainCure trains one run, validating after every epoch, then measures
// it on its training images, the validation set and the test set.
func trainCure(ctx context.Context, d data, c cure, o options) (result, error) {
	model := newModel(c, o.hidden)
	model.SetSeed(o.seed)
	adam, err := optimizers.NewAdam()
	if err != nil {
		return result{}, err
	}
	err = model.Compile(goras.CompileOptions{Optimizer: adam,
		Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
	if err != nil {
		return result{}, err
	}
	x, y := d.train.X.Slice(0, c.images), d.train.Y[:c.images]
	fit := []goras.Option{goras.BatchSize(o.batch), goras.Epochs(c.epochs), goras.Verbose(0),
		goras.ValidationData(d.val.X, d.val.Y)}
	if c.patience > 0 {
		stop, err := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{
			Monitor: "val_loss", Patience: c.patience, RestoreBestWeights: true})
		if err != nil {
			return result{}, err
		}
		fit = append(fit, goras.Callbacks(stop))
	}
	h, err := model.Fit(ctx, x, y, fit...)
	if err != nil {
		return result{}, err
	}
	r := result{cure: c, history: h}
	for _, p := range model.Params() {
		if strings.HasSuffix(p.Name, "/kernel") {
			for _, v := range p.Value.Data() {
				r.squares += float64(v) * float64(v)
			}
		}
	}
	for _, m := range []struct {
		logs *goras.Logs
		set  mnist.Dataset
	}{{&r.train, mnist.Dataset{X: x, Y: y}}, {&r.val, d.val}, {&r.test, d.test}} {
		if *m.logs, err = model.Evaluate(m.set.X, m.set.Y, goras.BatchSize(500), goras.Verbose(0)); err != nil {
			return result{}, err
		}
	}
	return r, nil
}
