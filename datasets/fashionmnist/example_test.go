package fashionmnist_test

import (
	"fmt"

	"github.com/goras-ml/goras/datasets/fashionmnist"
)

func ExampleClassNames() {
	y := fashionmnist.Labels{9, 0, 3} // the first three training labels
	for _, label := range y {
		fmt.Println(label, fashionmnist.ClassNames()[label])
	}
	onehot, _ := fashionmnist.ToCategorical(y, 10)
	fmt.Println(onehot.Shape())
	// Output:
	// 9 Ankle boot
	// 0 T-shirt/top
	// 3 Dress
	// [3 10]
}
