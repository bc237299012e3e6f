package losses

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

// The focal losses' Keras defaults (alpha 0.25, gamma 2) are not zero, so
// their zero values are refused (by CheckTarget, which Compile calls) and
// their New functions give the defaults:
//
//	l := losses.NewCategoricalFocalCrossentropy()
//	l.Gamma = 3

// CategoricalFocalCrossentropy is Keras's categorical_focal_crossentropy
// for one-hot targets: per sample Σ α·(1-p)^γ·(-y·log p) over the classes,
// p the predicted probabilities (renormalised to sum 1 and clipped to
// [1e-7, 1-1e-7], as Keras does), averaged over the samples. The factor
// (1-p)^γ shrinks the loss of samples already classified well.
type CategoricalFocalCrossentropy struct {
	// Alpha weighs the classes: one weight for all, or one per class (e.g.
	// inverse class frequencies). Keras's default [0.25].
	Alpha []float64
	// Gamma ≥ 0 is the focusing parameter; 0 gives cross-entropy times
	// alpha. Keras's default 2.
	Gamma float64
	// FromLogits says the model outputs raw scores (a softmax is applied).
	// Default false.
	FromLogits bool
	// LabelSmoothing ε in [0, 1] replaces targets by y(1-ε) + ε/classes.
	// Default 0.
	LabelSmoothing float64
}

// NewCategoricalFocalCrossentropy returns Keras's
// CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0, from_logits=False,
// label_smoothing=0.0).
func NewCategoricalFocalCrossentropy() CategoricalFocalCrossentropy {
	return CategoricalFocalCrossentropy{Alpha: []float64{0.25}, Gamma: 2}
}

// Name implements Loss.
func (CategoricalFocalCrossentropy) Name() string { return "categorical_focal_crossentropy" }

// CheckTarget implements Loss.
func (c CategoricalFocalCrossentropy) CheckTarget(pred, target []int) error {
	const name = "categorical_focal_crossentropy"
	classes := 0
	if len(pred) > 0 {
		classes = pred[len(pred)-1]
	}
	switch {
	case len(c.Alpha) == 0:
		return fmt.Errorf("%s: Alpha is empty (the zero value, which is not Keras's default); start from losses.NewCategoricalFocalCrossentropy() (alpha 0.25, gamma 2) and change its fields", name)
	case len(c.Alpha) != 1 && len(c.Alpha) != classes:
		return fmt.Errorf("%s: Alpha has %d weights for an output of %d classes; give one weight, or one per class", name, len(c.Alpha), classes)
	}
	if err := checkFocal(name, c.Gamma, c.LabelSmoothing); err != nil {
		return err
	}
	return checkCategorical(name, pred, target)
}

func checkFocal(name string, gamma, smoothing float64) error {
	if !(gamma >= 0) || math.IsInf(gamma, 0) {
		return fmt.Errorf("%s: gamma must be a finite number >= 0, got %g", name, gamma)
	}
	if !(smoothing >= 0 && smoothing <= 1) {
		return fmt.Errorf("%s: label_smoothing must be in [0, 1], got %g", name, smoothing)
	}
	return nil
}

// Build implements Loss.
func (c CategoricalFocalCrossentropy) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.CategoricalFocalCrossentropy(pred, target, c.Alpha, c.Gamma, c.FromLogits, c.LabelSmoothing)
}

// Config writes alpha as a number when it is one weight, as Keras does.
func (c CategoricalFocalCrossentropy) Config() map[string]any {
	var alpha any = append([]float64(nil), c.Alpha...)
	if len(c.Alpha) == 1 {
		alpha = c.Alpha[0]
	}
	return map[string]any{"alpha": alpha, "gamma": c.Gamma, "from_logits": c.FromLogits, "label_smoothing": c.LabelSmoothing}
}

// BinaryFocalCrossentropy is Keras's binary_focal_crossentropy for one or
// more yes/no outputs: the mean over every output of
// w·(1-p_t)^γ·bce, where bce is binary cross-entropy (probabilities
// clipped to [1e-7, 1-1e-7]), p_t = y·p + (1-y)(1-p) is the probability
// given to the true answer and w = α·y + (1-α)(1-y) with class balancing,
// else 1.
type BinaryFocalCrossentropy struct {
	// ApplyClassBalancing weighs class 1 by Alpha and class 0 by 1-Alpha.
	// Default false.
	ApplyClassBalancing bool
	// Alpha is class 1's weight under ApplyClassBalancing, in [0, 1].
	// Keras's default 0.25.
	Alpha float64
	// Gamma ≥ 0 is the focusing parameter; 0 gives (weighted)
	// binary_crossentropy. Keras's default 2.
	Gamma float64
	// FromLogits says the model outputs raw scores (a sigmoid is applied).
	// Default false.
	FromLogits bool
	// LabelSmoothing ε in [0, 1] replaces targets by y(1-ε) + ε/2. Default 0.
	LabelSmoothing float64
}

// NewBinaryFocalCrossentropy returns Keras's
// BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25,
// gamma=2.0, from_logits=False, label_smoothing=0.0).
func NewBinaryFocalCrossentropy() BinaryFocalCrossentropy {
	return BinaryFocalCrossentropy{Alpha: 0.25, Gamma: 2}
}

// Name implements Loss.
func (BinaryFocalCrossentropy) Name() string { return "binary_focal_crossentropy" }

// CheckTarget implements Loss.
func (b BinaryFocalCrossentropy) CheckTarget(pred, target []int) error {
	const name = "binary_focal_crossentropy"
	switch {
	case b.Alpha == 0 && b.Gamma == 0:
		return fmt.Errorf("%s: alpha and gamma are 0 (the zero value, which is not Keras's default); start from losses.NewBinaryFocalCrossentropy() (alpha 0.25, gamma 2) and change its fields, or use binary_crossentropy", name)
	case !(b.Alpha >= 0 && b.Alpha <= 1):
		return fmt.Errorf("%s: alpha must be in [0, 1], got %g", name, b.Alpha)
	}
	if err := checkFocal(name, b.Gamma, b.LabelSmoothing); err != nil {
		return err
	}
	if err := checkElementwise(name, "targets in [0, 1]", pred, target); err != nil {
		if len(pred) > 0 && pred[len(pred)-1] > 1 && !tensor.SameShape(pred, target) {
			return fmt.Errorf("%w; for one class out of several use categorical_focal_crossentropy with one-hot targets", err)
		}
		return err
	}
	return nil
}

// Build implements Loss.
func (b BinaryFocalCrossentropy) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.BinaryFocalCrossentropy(pred, target, b.ApplyClassBalancing, b.Alpha, b.Gamma, b.FromLogits, b.LabelSmoothing)
}

// Config implements Loss.
func (b BinaryFocalCrossentropy) Config() map[string]any {
	return map[string]any{"apply_class_balancing": b.ApplyClassBalancing, "alpha": b.Alpha, "gamma": b.Gamma,
		"from_logits": b.FromLogits, "label_smoothing": b.LabelSmoothing}
}
