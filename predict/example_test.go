package predict_test

import (
	"encoding/json"
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/predict"
)

// A model's output row for one picture, read as goras predict --json
// prints it.
func ExampleTop() {
	row := []float32{0.01, 0.02, 0.9, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01}
	if err := predict.CheckProbabilities(row, "goras predict"); err != nil {
		fmt.Println(err)
		return
	}
	p := predict.Top("two.png", row, 2)
	b, _ := json.Marshal(p)
	fmt.Println(p.Class)
	fmt.Println(string(b))

	// Scores that are no probabilities, from a model without softmax.
	fmt.Println(predict.CheckProbabilities([]float32{2.5, -1}, "goras predict"))
	// Output:
	// 2
	// {"file":"two.png","class":2,"top":[{"class":2,"probability":0.9},{"class":1,"probability":0.02}]}
	// the model's outputs are not probabilities (one is 2.5); goras predict needs a model ending in softmax
}

// A model for 32×32 pictures cannot read MNIST's digits.
func ExampleCheckModel() {
	mlp := goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	fmt.Println(predict.CheckModel(mlp, "mlp.safetensors", "goras predict"))

	other := goras.NewSequential(layers.Input(32, 32), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	fmt.Println(predict.CheckModel(other, "other.safetensors", "goras predict"))
	// Output:
	// <nil>
	// other.safetensors takes inputs of shape (None, 32, 32); goras predict reads 28×28 grayscale digits, so the model must take (28, 28), (28, 28, 1) or (784)
}
