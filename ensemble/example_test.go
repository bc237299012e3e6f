package ensemble_test

import (
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/ensemble"
	"github.com/goras-ml/goras/tensor"
)

// constant stands in for a trained model: it predicts the same
// probabilities for every image.
type constant []float32

func (c constant) Predict(x goras.Data, _ ...goras.Option) (*tensor.Tensor, error) {
	n := x.Shape()[0]
	out := tensor.New(n, len(c))
	for i := range n {
		copy(out.Data()[i*len(c):], c)
	}
	return out, nil
}

// An unsure model and a confident one: the first says class 0 at 0.55, the
// second class 1 at 0.9; the mean, (0.325, 0.675), picks class 1. The shifts
// of test-time augmentation change nothing here, as these models ignore
// their input.
func Example() {
	a := constant{0.55, 0.45}
	b := constant{0.1, 0.9}
	images := tensor.New(1, 28, 28, 1) // models from files: ensemble.Load(paths...)
	probs, err := ensemble.Predict([]ensemble.Model{a, b}, images, ensemble.WithShifts(ensemble.TTAShifts...))
	if err != nil {
		fmt.Println(err)
		return
	}
	acc, _ := ensemble.Accuracy(probs, []uint8{1})
	fmt.Printf("%.2f → accuracy %.0f%%\n", probs.Data(), 100*acc)
	// Output: [0.33 0.67] → accuracy 100%
}
