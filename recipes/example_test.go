package recipes_test

import (
	"fmt"

	"github.com/goras-ml/goras/recipes"
)

// The recipes by name, as `goras train --model NAME` finds them, with the
// training length each was laid out for (55,000 images in batches of 128:
// 430 steps an epoch). Building one draws its weights from the seed;
// nothing is trained here (Run does that, on MNIST).
func Example() {
	fmt.Println(recipes.Names())
	for _, name := range recipes.Names() {
		r, err := recipes.Get(name)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d epochs of batch %d, %d steps each\n", r.Name, r.Epochs, r.BatchSize, r.StepsPerEpoch())
	}
	m, err := recipes.Fast().Build(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("fast's weights:", m.CountParams())
	// Output:
	// [best best-long fashion fast sprint]
	// best: 12 epochs of batch 128, 430 steps each
	// best-long: 24 epochs of batch 128, 430 steps each
	// fashion: 10 epochs of batch 128, 430 steps each
	// fast: 3 epochs of batch 128, 430 steps each
	// sprint: 10 epochs of batch 128, 430 steps each
	// fast's weights: 207450
}
