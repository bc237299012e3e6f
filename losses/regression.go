package losses

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/autograd"
)

// MeanAbsoluteError is mean(|y_true - y_pred|), Keras's
// mean_absolute_error ("mae").
type MeanAbsoluteError struct{}

// Name implements Loss.
func (MeanAbsoluteError) Name() string { return "mean_absolute_error" }

// CheckTarget implements Loss.
func (MeanAbsoluteError) CheckTarget(pred, target []int) error {
	return checkElementwise("mean_absolute_error", "targets", pred, target)
}

// Build implements Loss.
func (MeanAbsoluteError) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.MeanAbsoluteError(pred, target)
}

// Config implements Loss.
func (MeanAbsoluteError) Config() map[string]any { return map[string]any{} }

// MeanAbsolutePercentageError is 100·mean(|y_true - y_pred| /
// max(|y_true|, 1e-7)), Keras's mean_absolute_percentage_error ("mape").
type MeanAbsolutePercentageError struct{}

// Name implements Loss.
func (MeanAbsolutePercentageError) Name() string { return "mean_absolute_percentage_error" }

// CheckTarget implements Loss.
func (MeanAbsolutePercentageError) CheckTarget(pred, target []int) error {
	return checkElementwise("mean_absolute_percentage_error", "targets", pred, target)
}

// Build implements Loss.
func (MeanAbsolutePercentageError) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.MeanAbsolutePercentageError(pred, target)
}

// Config implements Loss.
func (MeanAbsolutePercentageError) Config() map[string]any { return map[string]any{} }

// Huber is Keras's huber loss: per value e = y_pred - y_true, e²/2 when
// |e| ≤ delta, delta·|e| - delta²/2 beyond, averaged.
type Huber struct {
	// Delta is where the loss turns from quadratic to linear, > 0. Default
	// (0) Keras's 1.0.
	Delta float64
}

// Name implements Loss.
func (Huber) Name() string { return "huber" }

func (h Huber) delta() float64 {
	if h.Delta == 0 {
		return 1
	}
	return h.Delta
}

// CheckTarget implements Loss.
func (h Huber) CheckTarget(pred, target []int) error {
	if d := h.delta(); !(d > 0) || math.IsInf(d, 0) {
		return fmt.Errorf("huber: delta must be a finite number > 0, got %g", h.Delta)
	}
	return checkElementwise("huber", "targets", pred, target)
}

// Build implements Loss.
func (h Huber) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.Huber(pred, target, h.delta())
}

// Config implements Loss.
func (h Huber) Config() map[string]any { return map[string]any{"delta": h.delta()} }

// LogCosh is mean(log(cosh(y_pred - y_true))), Keras's log_cosh: about
// half the squared error for small errors and |error| - log 2 for large
// ones, so that a few wild predictions weigh less than in MSE.
type LogCosh struct{}

// Name implements Loss.
func (LogCosh) Name() string { return "log_cosh" }

// CheckTarget implements Loss.
func (LogCosh) CheckTarget(pred, target []int) error {
	return checkElementwise("log_cosh", "targets", pred, target)
}

// Build implements Loss.
func (LogCosh) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.LogCosh(pred, target)
}

// Config implements Loss.
func (LogCosh) Config() map[string]any { return map[string]any{} }

// KLDivergence is Keras's kl_divergence ("kld"): Σ y_true·log(y_true /
// y_pred) over the last axis, both clipped to [1e-7, 1], averaged over the
// other axes: how far the predicted distribution is from the target one.
type KLDivergence struct{}

// Name implements Loss.
func (KLDivergence) Name() string { return "kl_divergence" }

// CheckTarget implements Loss.
func (KLDivergence) CheckTarget(pred, target []int) error {
	return checkCategorical("kl_divergence", pred, target)
}

// Build implements Loss.
func (KLDivergence) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.KLDivergence(pred, target)
}

// Config implements Loss.
func (KLDivergence) Config() map[string]any { return map[string]any{} }

// Poisson is Keras's poisson: mean(y_pred - y_true·log(y_pred + 1e-7)),
// for counts predicted as positive rates.
type Poisson struct{}

// Name implements Loss.
func (Poisson) Name() string { return "poisson" }

// CheckTarget implements Loss.
func (Poisson) CheckTarget(pred, target []int) error {
	return checkElementwise("poisson", "targets (counts)", pred, target)
}

// Build implements Loss.
func (Poisson) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.Poisson(pred, target)
}

// Config implements Loss.
func (Poisson) Config() map[string]any { return map[string]any{} }
