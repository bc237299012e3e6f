// Package losses holds Keras's loss functions. Each is a small value type
// whose zero value has Keras's defaults, e.g. CategoricalCrossentropy{} or
// CategoricalCrossentropy{FromLogits: true}; the focal losses, whose
// defaults are not zero, are made with NewCategoricalFocalCrossentropy and
// NewBinaryFocalCrossentropy. Every loss uses Keras's default
// "sum_over_batch_size" reduction: the mean over the samples of a batch.
//
// The losses, by their Keras names (Get and FromConfig also take Keras's
// aliases mse, mae, mape and kld): mean_squared_error,
// mean_absolute_error, mean_absolute_percentage_error, huber, log_cosh,
// categorical_crossentropy, sparse_categorical_crossentropy,
// binary_crossentropy, categorical_focal_crossentropy,
// binary_focal_crossentropy, kl_divergence, poisson, hinge, squared_hinge,
// categorical_hinge.
package losses

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// Loss judges a prediction against a target.
//
// A loss of your own implements it with an op of its own (see package
// autograd on writing one): Build makes the op, adds it to the plan with
// p.AddOp and returns it. A Build that returns an op it did not add gives
// a loss that never runs (0 on every step, and no gradient); Compile and Fit
// refuse it, asking for p.AddOp (autograd's Plan.Contains tells). Register
// the loss (Register) under its Name so that a saved model finds it again.
type Loss interface {
	// Name is the Keras function name, e.g. "mean_squared_error".
	Name() string
	// CheckTarget reports, for per-sample shapes (no batch axis), whether a
	// target of shape target fits a prediction of shape pred, and if not,
	// says what was expected and how to fix it.
	CheckTarget(pred, target []int) error
	// Build adds the loss's op to p and returns it. pred and target have
	// the batch axis first. Its Forward computes the mean loss over the
	// batch (Keras's "sum_over_batch_size"), its Backward adds dLoss/dpred
	// to pred.Grad when that is not nil.
	Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp
	// Config is Keras's get_config (without name and reduction): what
	// FromConfig needs to rebuild the loss. Values must survive JSON
	// (numbers, strings, booleans, lists and maps of them).
	Config() map[string]any
}

// MeanSquaredError is mean((y_true - y_pred)²).
type MeanSquaredError struct{}

func (MeanSquaredError) Name() string { return "mean_squared_error" }

func (MeanSquaredError) CheckTarget(pred, target []int) error {
	if tensor.SameShape(pred, target) {
		return nil
	}
	hint := ""
	if len(target) == 0 || (len(target) == 1 && target[0] == 1) {
		hint = "; the labels look like class indices: one-hot encode them (mnist.ToCategorical) or use sparse_categorical_crossentropy"
	}
	return fmt.Errorf("mean_squared_error needs targets shaped like the model output %s, got %s%s",
		tensor.ShapeString(pred, true), tensor.ShapeString(target, true), hint)
}

func (MeanSquaredError) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.MeanSquaredError(pred, target)
}

func (MeanSquaredError) Config() map[string]any { return map[string]any{} }

// CategoricalCrossentropy is -Σ y_true·log(y_pred) for one-hot targets.
type CategoricalCrossentropy struct {
	// FromLogits says the model outputs raw scores, not probabilities.
	// Default false. (A softmax output is differentiated through its logits
	// either way, for stability.)
	FromLogits bool
	// LabelSmoothing ε in [0, 1] replaces targets by y(1-ε) + ε/classes.
	// Default 0.
	LabelSmoothing float64
}

func (CategoricalCrossentropy) Name() string { return "categorical_crossentropy" }

func (c CategoricalCrossentropy) CheckTarget(pred, target []int) error {
	if !(c.LabelSmoothing >= 0 && c.LabelSmoothing <= 1) { // NaN too
		return fmt.Errorf("categorical_crossentropy: label_smoothing must be in [0, 1], got %g", c.LabelSmoothing)
	}
	if tensor.SameShape(pred, target) {
		return nil
	}
	hint := ""
	if len(target) == 0 || (len(target) == 1 && target[0] == 1) {
		hint = "; the labels look like class indices: one-hot encode them (mnist.ToCategorical) or use sparse_categorical_crossentropy"
	}
	return fmt.Errorf("categorical_crossentropy needs one-hot targets shaped like the model output %s, got %s%s",
		tensor.ShapeString(pred, true), tensor.ShapeString(target, true), hint)
}

func (c CategoricalCrossentropy) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.CategoricalCrossentropy(pred, target, c.FromLogits, c.LabelSmoothing)
}

func (c CategoricalCrossentropy) Config() map[string]any {
	return map[string]any{"from_logits": c.FromLogits, "label_smoothing": c.LabelSmoothing}
}

// SparseCategoricalCrossentropy is categorical cross-entropy for integer
// class targets (one index per sample, shape () or (1,)).
type SparseCategoricalCrossentropy struct {
	// FromLogits says the model outputs raw scores. Default false.
	FromLogits bool
}

func (SparseCategoricalCrossentropy) Name() string { return "sparse_categorical_crossentropy" }

func (SparseCategoricalCrossentropy) CheckTarget(pred, target []int) error {
	want := pred[:len(pred)-1]
	if tensor.SameShape(target, want) || (len(target) == len(pred) && target[len(target)-1] == 1 && tensor.SameShape(target[:len(target)-1], want)) {
		return nil
	}
	hint := ""
	if tensor.SameShape(pred, target) {
		hint = "; the targets look one-hot: use categorical_crossentropy, or pass class indices"
	}
	return fmt.Errorf("sparse_categorical_crossentropy needs one class index per sample, shape %s, for the model output %s, got %s%s",
		tensor.ShapeString(want, true), tensor.ShapeString(pred, true), tensor.ShapeString(target, true), hint)
}

func (s SparseCategoricalCrossentropy) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.SparseCategoricalCrossentropy(pred, target, s.FromLogits)
}

func (s SparseCategoricalCrossentropy) Config() map[string]any {
	return map[string]any{"from_logits": s.FromLogits}
}
