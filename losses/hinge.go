package losses

import "github.com/goras-ml/goras/autograd"

// Hinge is Keras's hinge: mean(max(1 - y_true·y_pred, 0)) for labels -1
// or 1; when every label of a batch is 0 or 1 they are turned into -1 and
// 1 first, as Keras does. Use a linear (or tanh) output.
type Hinge struct{}

// Name implements Loss.
func (Hinge) Name() string { return "hinge" }

// CheckTarget implements Loss.
func (Hinge) CheckTarget(pred, target []int) error {
	return checkElementwise("hinge", "labels -1/1 (or 0/1)", pred, target)
}

// Build implements Loss.
func (Hinge) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.Hinge(pred, target)
}

// Config implements Loss.
func (Hinge) Config() map[string]any { return map[string]any{} }

// SquaredHinge is Keras's squared_hinge: mean(max(1 - y_true·y_pred, 0)²),
// labels as for Hinge.
type SquaredHinge struct{}

// Name implements Loss.
func (SquaredHinge) Name() string { return "squared_hinge" }

// CheckTarget implements Loss.
func (SquaredHinge) CheckTarget(pred, target []int) error {
	return checkElementwise("squared_hinge", "labels -1/1 (or 0/1)", pred, target)
}

// Build implements Loss.
func (SquaredHinge) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.SquaredHinge(pred, target)
}

// Config implements Loss.
func (SquaredHinge) Config() map[string]any { return map[string]any{} }

// CategoricalHinge is Keras's categorical_hinge for one-hot targets: per
// sample max(neg - pos + 1, 0), where pos = Σ y_true·y_pred is the score of
// the true class and neg = max((1 - y_true)·y_pred) the best other score.
type CategoricalHinge struct{}

// Name implements Loss.
func (CategoricalHinge) Name() string { return "categorical_hinge" }

// CheckTarget implements Loss.
func (CategoricalHinge) CheckTarget(pred, target []int) error {
	return checkCategorical("categorical_hinge", pred, target)
}

// Build implements Loss.
func (CategoricalHinge) Build(p *autograd.Plan, pred, target *autograd.Var) autograd.LossOp {
	return p.CategoricalHinge(pred, target)
}

// Config implements Loss.
func (CategoricalHinge) Config() map[string]any { return map[string]any{} }
