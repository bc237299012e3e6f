package losses

import (
	"fmt"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// BinaryCrossentropy is -(y·log p + (1-y)·log(1-p)) averaged over every
// output, for one or more independent yes/no outputs (e.g. a Dense(1,
// sigmoid) model) and targets in [0, 1]. As in Keras, probabilities are
// clipped to [1e-7, 1-1e-7] before the log.
type BinaryCrossentropy struct {
	// FromLogits says the model outputs raw scores, not sigmoid
	// probabilities; the loss then uses the stable form
	// max(z,0) - z·y + log(1+e^-|z|). Default false.
	FromLogits bool
	// LabelSmoothing ε in [0, 1] replaces targets by y(1-ε) + ε/2, pulling
	// them toward 0.5. Default 0.
	LabelSmoothing float64
}

func (BinaryCrossentropy) Name() string { return "binary_crossentropy" }

// CheckTarget accepts targets shaped like the prediction, or without its
// last axis when that axis is 1 (labels (N) for a Dense(1) output (N, 1)).
func (b BinaryCrossentropy) CheckTarget(pred, target []int) error {
	if !(b.LabelSmoothing >= 0 && b.LabelSmoothing <= 1) { // NaN too
		return fmt.Errorf("binary_crossentropy: label_smoothing must be in [0, 1], got %g", b.LabelSmoothing)
	}
	if tensor.SameShape(pred, target) {
		return nil
	}
	if len(pred) > 0 && pred[len(pred)-1] == 1 && tensor.SameShape(pred[:len(pred)-1], target) {
		return nil
	}
	hint := ""
	if len(pred) > 0 && pred[len(pred)-1] > 1 {
		hint = "; for one class out of several use categorical_crossentropy (one-hot targets) or sparse_categorical_crossentropy (class indices)"
	}
	return fmt.Errorf("binary_crossentropy needs targets in [0, 1] shaped like the model output %s, got %s%s",
		tensor.ShapeString(pred, true), tensor.ShapeString(target, true), hint)
}

func (b BinaryCrossentropy) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.BinaryCrossentropy(pred, target, b.FromLogits, b.LabelSmoothing)
}

func (b BinaryCrossentropy) Config() map[string]any {
	return map[string]any{"from_logits": b.FromLogits, "label_smoothing": b.LabelSmoothing}
}
