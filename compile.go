package goras

import (
	"errors"
	"fmt"

	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// CompileOptions are Keras's compile arguments.
type CompileOptions struct {
	// Optimizer updates the weights. Default: RMSprop with Keras's
	// defaults, as in Keras.
	Optimizer optimizers.Optimizer
	// Loss judges the predictions; required. See package losses, or
	// losses.Get("mse").
	Loss losses.Loss
	// Metrics are reported besides the loss, e.g. "accuracy".
	Metrics []string
}

type compiled struct {
	optimizer optimizers.Optimizer
	loss      losses.Loss
	metrics   []string
	vars      []*tensor.Tensor // trainable weights, in the optimizer's order
	grads     []*tensor.Tensor
}

// Compile sets how the model learns, builds it if needed, and prepares the
// optimizer's state. Compiling again keeps the weights.
func (m *Model) Compile(opts CompileOptions) error {
	if opts.Loss == nil {
		return errors.New("goras: Compile needs a loss, e.g. losses.MeanSquaredError{} or losses.CategoricalCrossentropy{}")
	}
	if opts.Optimizer == nil {
		opt, err := optimizers.Get("rmsprop")
		if err != nil {
			return err
		}
		opts.Optimizer = opt
	}
	m.compiled = nil
	if err := m.Build(); err != nil {
		return err
	}
	out := m.OutputShape()
	for _, name := range opts.Metrics {
		// The target shape is unknown until Fit; check the name only.
		if _, err := metrics.Get(name, out, out); err != nil {
			return fmt.Errorf("goras: %w", err)
		}
	}
	c := &compiled{optimizer: opts.Optimizer, loss: opts.Loss, metrics: append([]string(nil), opts.Metrics...)}
	if err := c.bind(m); err != nil {
		return err
	}
	m.compiled = c
	m.plans = nil
	return nil
}

// bind points the optimizer at the model's trainable weights.
func (c *compiled) bind(m *Model) error {
	c.vars, c.grads = c.vars[:0], c.grads[:0]
	for _, p := range m.trainable() {
		c.vars = append(c.vars, p.Value)
		c.grads = append(c.grads, p.Grad)
	}
	if err := c.optimizer.Build(c.vars); err != nil {
		return fmt.Errorf("goras: %w", err)
	}
	return nil
}

// Optimizer is the compiled optimizer (nil before Compile).
func (m *Model) Optimizer() optimizers.Optimizer {
	if m.compiled == nil {
		return nil
	}
	return m.compiled.optimizer
}

// Loss is the compiled loss (nil before Compile).
func (m *Model) Loss() losses.Loss {
	if m.compiled == nil {
		return nil
	}
	return m.compiled.loss
}
