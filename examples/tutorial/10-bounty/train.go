package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/recipes"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// trainFast trains the fast recipe by the bounty's protocol, prints its
// test accuracy, draws its curves and, with o.save, saves it.
func trainFast(w io.Writer, o options) (*goras.Model, error) {
	start := time.Now()
	train, test, err := mnist.LoadData()
	if err != nil {
		return nil, err
	}
	recipe := recipes.Fast()
	if o.epochs > 0 {
		recipe.Epochs = o.epochs
	}
	fmt.Fprintf(w, "recipe %q: %s\n\n", recipe.Name, recipe.Description)
	// Build gives the network with its optimizer, learning-rate schedule
	// and loss, compiled, its weights drawn from the seed.
	model, err := recipe.Build(o.seed)
	if err != nil {
		return nil, err
	}
	xTrain, yTrain, xVal, yVal, err := split(train, o)
	if err != nil {
		return nil, err
	}
	history, err := model.Fit(context.Background(), xTrain, yTrain,
		goras.Epochs(recipe.Epochs), goras.BatchSize(recipe.BatchSize),
		goras.ValidationData(xVal, yVal), goras.Verbose(2), goras.Output(w))
	if err != nil {
		return nil, err
	}
	yTest, err := mnist.ToCategorical(test.Y[:o.test], 10)
	if err != nil {
		return nil, err
	}
	scores, err := model.Evaluate(test.X.WithChannelAxis().Slice(0, o.test), yTest, goras.BatchSize(1000), goras.Verbose(0))
	if err != nil {
		return nil, err
	}
	wrong := int(math.Round(float64(o.test) * (1 - scores["accuracy"])))
	fmt.Fprintf(w, "test accuracy: %.2f %% (%d of %d wrong), in %s with data loading\n",
		100*scores["accuracy"], wrong, o.test, time.Since(start).Round(time.Second))
	curves := filepath.Join(o.out, "10-curves.png")
	if err := plot.SaveCurves(history, curves); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "wrote %s\n", curves)
	if o.save != "" {
		if err := saving.Save(model, o.save); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "wrote %s\n", o.save)
	}
	return model, nil
}

// split follows the bounty's protocol: fit on the first o.train images,
// validate on the last o.val after every epoch (the recipe was chosen on
// those); the test set is read once, at the end. With the defaults it is
// recipes.Split.
func split(train mnist.Dataset, o options) (xTrain *mnist.Images, yTrain *tensor.Tensor, xVal *mnist.Images, yVal *tensor.Tensor, err error) {
	x := train.X.WithChannelAxis()
	xTrain, xVal = x.Slice(0, o.train), x.Slice(x.N-o.val, x.N)
	if yTrain, err = mnist.ToCategorical(train.Y[:o.train], 10); err != nil {
		return nil, nil, nil, nil, err
	}
	yVal, err = mnist.ToCategorical(train.Y[x.N-o.val:], 10)
	return xTrain, yTrain, xVal, yVal, err
}
