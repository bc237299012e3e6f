package goras

import (
	"errors"
	"fmt"
	"math"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// CompileOptions are Keras's compile arguments. For a model with several
// outputs, Losses, LossWeights and OutputMetrics give one entry per output,
// in the order of the model's outputs.
type CompileOptions struct {
	// Optimizer updates the weights. Default: RMSprop with Keras's
	// defaults, as in Keras.
	Optimizer optimizers.Optimizer
	// Loss judges the predictions of every output. See package losses, or
	// losses.Get("mse"). Required unless Losses is given.
	Loss losses.Loss
	// Losses gives each output its own loss; a nil entry leaves that
	// output without one (it is then not trained towards a target).
	Losses []losses.Loss
	// LossWeights scale each output's loss in the total that is
	// minimized (Keras's loss_weights). Default 1 each.
	LossWeights []float64
	// Metrics are reported besides the loss for every output, e.g.
	// "accuracy".
	Metrics []string
	// OutputMetrics gives each output its own metrics, added to Metrics.
	OutputMetrics [][]string
}

type compiled struct {
	optimizer optimizers.Optimizer
	losses    []losses.Loss // one per output, nil for none
	weights   []float64     // one per output
	metrics   [][]string    // one list per output
	vars      []*tensor.Tensor
	grads     []*tensor.Tensor
	bounded   []*autograd.Param // trainable weights with a constraint
}

// Compile sets how the model learns, builds it if needed, and prepares the
// optimizer's state. Compiling again keeps the weights.
func (m *Model) Compile(opts CompileOptions) error {
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
	c, err := m.resolveCompile(opts)
	if err != nil {
		return err
	}
	if err := c.bind(m); err != nil {
		return err
	}
	m.compiled = c
	m.plans.reset()
	return nil
}

// resolveCompile spreads the options over the outputs and checks them.
func (m *Model) resolveCompile(opts CompileOptions) (*compiled, error) {
	n := len(m.outputs)
	c := &compiled{optimizer: opts.Optimizer, losses: make([]losses.Loss, n), weights: make([]float64, n), metrics: make([][]string, n)}
	switch {
	case opts.Loss == nil && opts.Losses == nil:
		return nil, errors.New("goras: Compile needs a loss, e.g. losses.MeanSquaredError{} or losses.CategoricalCrossentropy{}")
	case opts.Loss != nil && opts.Losses != nil:
		return nil, errors.New("goras: Compile takes Loss (one for every output) or Losses (one per output), not both")
	case opts.Losses != nil && len(opts.Losses) != n:
		return nil, fmt.Errorf("goras: Compile: Losses has %d entries but the model has %d outputs (%v)", len(opts.Losses), n, m.OutputNames())
	case opts.LossWeights != nil && len(opts.LossWeights) != n:
		return nil, fmt.Errorf("goras: Compile: LossWeights has %d entries but the model has %d outputs (%v)", len(opts.LossWeights), n, m.OutputNames())
	case opts.OutputMetrics != nil && len(opts.OutputMetrics) != n:
		return nil, fmt.Errorf("goras: Compile: OutputMetrics has %d entries but the model has %d outputs (%v)", len(opts.OutputMetrics), n, m.OutputNames())
	}
	any := false
	for i := range n {
		c.losses[i] = opts.Loss
		if opts.Losses != nil {
			c.losses[i] = opts.Losses[i]
		}
		any = any || c.losses[i] != nil
		c.weights[i] = 1
		if opts.LossWeights != nil {
			w := opts.LossWeights[i]
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return nil, fmt.Errorf("goras: Compile: loss weight %d is %g; weights must be finite and ≥ 0", i, w)
			}
			c.weights[i] = w
		}
		c.metrics[i] = append([]string(nil), opts.Metrics...)
		if opts.OutputMetrics != nil {
			c.metrics[i] = append(c.metrics[i], opts.OutputMetrics[i]...)
		}
		out := m.outputs[i].shape
		for _, name := range c.metrics[i] {
			// The target shape is unknown until Fit; check the name only.
			if _, err := metrics.Get(name, out, out); err != nil {
				return nil, fmt.Errorf("goras: %w", err)
			}
		}
	}
	if !any {
		return nil, errors.New("goras: Compile: every entry of Losses is nil; give at least one output a loss")
	}
	return c, nil
}

// bind points the optimizer at the model's trainable weights.
func (c *compiled) bind(m *Model) error {
	c.vars, c.grads, c.bounded = c.vars[:0], c.grads[:0], c.bounded[:0]
	for _, p := range m.trainable() {
		c.vars = append(c.vars, p.Value)
		c.grads = append(c.grads, p.Grad)
		if p.Constraint != nil {
			c.bounded = append(c.bounded, p)
		}
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

// Loss is the compiled loss of the first output (nil before Compile).
func (m *Model) Loss() losses.Loss {
	if m.compiled == nil {
		return nil
	}
	return m.compiled.losses[0]
}

// Losses are the compiled losses, one per output (nil before Compile).
func (m *Model) Losses() []losses.Loss {
	if m.compiled == nil {
		return nil
	}
	return m.compiled.losses
}
