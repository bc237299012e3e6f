package losses_test

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/losses"
)

// The course's loss on a batch of two: the mean over the samples of
// -log(probability of the true class), here -(log 0.7 + log 0.1)/2.
func ExampleSparseCategoricalCrossentropy() {
	p := autograd.NewPlan(2)
	pred := p.NewVar(true, 2, 3)
	copy(pred.Value.Data(), []float32{
		0.7, 0.2, 0.1,
		0.1, 0.8, 0.1,
	})
	target := p.Input() // one class index per sample
	copy(target.Value.Data(), []float32{0, 2})
	loss := losses.SparseCategoricalCrossentropy{}.Build(p, pred, target)
	p.Forward(true)
	fmt.Printf("%.5f\n", loss.Loss())
	fmt.Printf("%.5f\n", -(math.Log(0.7)+math.Log(0.1))/2)
	// Output:
	// 1.32963
	// 1.32963
}

// A loss by its Keras name; Backward seeds the prediction's gradient,
// here d/dpred of mean((pred-target)²) = 2(pred-target)/2.
func ExampleGet() {
	mse, err := losses.Get("mse")
	if err != nil {
		fmt.Println(err)
		return
	}
	p := autograd.NewPlan(2)
	pred := p.NewVar(true, 2, 1)
	copy(pred.Value.Data(), []float32{1, 2})
	target := p.Input(1)
	copy(target.Value.Data(), []float32{0, 4})
	op := mse.Build(p, pred, target)
	p.Forward(true)
	p.Backward()
	fmt.Println(mse.Name(), op.Loss(), pred.Grad.Data())

	// A target that cannot fit the prediction is refused before training,
	// with what was expected.
	fmt.Println(mse.CheckTarget([]int{1}, []int{3}) != nil)
	// Output:
	// mean_squared_error 2.5 [1 -2]
	// true
}
