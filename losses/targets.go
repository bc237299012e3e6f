package losses

import (
	"fmt"

	"github.com/goras-ml/goras/tensor"
)

// checkElementwise accepts targets shaped like the prediction, or without
// its last axis when that axis is 1 (labels (N) for a Dense(1) output
// (N, 1)), as Keras's squeeze_or_expand_to_same_rank does. what describes
// the targets for the error, e.g. "numbers".
func checkElementwise(loss, what string, pred, target []int) error {
	if tensor.SameShape(pred, target) {
		return nil
	}
	if len(pred) > 0 && pred[len(pred)-1] == 1 && tensor.SameShape(pred[:len(pred)-1], target) {
		return nil
	}
	return fmt.Errorf("%s needs %s shaped like the model output %s, got %s",
		loss, what, tensor.ShapeString(pred, true), tensor.ShapeString(target, true))
}

// checkCategorical accepts one-hot (or soft) targets of the prediction's
// shape, and explains class-index targets.
func checkCategorical(loss string, pred, target []int) error {
	if tensor.SameShape(pred, target) {
		return nil
	}
	hint := ""
	if len(target) == 0 || (len(target) == 1 && target[0] == 1) {
		hint = "; the labels look like class indices: one-hot encode them (mnist.ToCategorical)"
	}
	return fmt.Errorf("%s needs one-hot targets shaped like the model output %s, got %s%s",
		loss, tensor.ShapeString(pred, true), tensor.ShapeString(target, true), hint)
}
