package main

import (
	"context"
	"fmt"
	"io"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/crossval"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// crossValidate estimates the plain network's accuracy from the training
// images alone: each of o.folds folds is held out in turn while a fresh
// network trains on the others.
func crossValidate(ctx context.Context, w io.Writer, d data, o options) (*crossval.Result, error) {
	x, err := d.train.X.Slice(0, o.train).Float32().Reshape(o.train, 28, 28, 1)
	if err != nil {
		return nil, err
	}
	y := d.train.Y[:o.train].Float32()
	fmt.Fprintf(w, "\n%d-fold cross-validation of the network with no cure, on the %d training images only:\n\n", o.folds, o.train)
	res, err := crossval.KFold(ctx, o.folds, x, y, func(fold int) (*goras.Model, error) {
		model := newModel(cure{}, o.hidden)
		model.SetSeed(o.seed + uint64(fold))
		adam, err := optimizers.NewAdam()
		if err != nil {
			return nil, err
		}
		return model, model.Compile(goras.CompileOptions{Optimizer: adam,
			Loss: losses.SparseCategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
	}, goras.BatchSize(o.batch), goras.Epochs(o.epochs), goras.Verbose(0))
	if err != nil {
		return nil, err
	}
	fmt.Fprint(w, res)
	return res, nil
}
