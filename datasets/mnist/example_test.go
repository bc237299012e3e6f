package mnist_test

import (
	"bytes"
	"fmt"

	"github.com/goras-ml/goras/datasets/mnist"
)

func ExampleToCategorical() {
	y, err := mnist.ToCategorical(mnist.Labels{5, 0, 4}, 10)
	if err != nil {
		panic(err)
	}
	fmt.Println(y.Shape())
	for i := range 3 {
		fmt.Println(y.Data()[i*10 : (i+1)*10])
	}
	// Output:
	// [3 10]
	// [0 0 0 0 0 1 0 0 0 0]
	// [1 0 0 0 0 0 0 0 0 0]
	// [0 0 0 0 1 0 0 0 0 0]
}

func ExampleReadLabels() {
	// An IDX1 label file: magic 0x00000801, the count (3), then the labels.
	file := []byte{0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4}
	y, err := mnist.ReadLabels(bytes.NewReader(file), "labels")
	fmt.Println(y, err)

	file[9] = 12
	_, err = mnist.ReadLabels(bytes.NewReader(file), "labels")
	fmt.Println(err)
	// Output:
	// [5 0 4] <nil>
	// mnist: labels: label 12 at index 1 is not a digit 0..9
}

func ExampleImages_Float32() {
	im := &mnist.Images{N: 1, Rows: 2, Cols: 2, Pixels: []uint8{0, 51, 204, 255}}
	x := im.Float32()
	fmt.Println(x.Shape(), x.Data())
	// Output:
	// [1 2 2] [0 0.2 0.8 1]
}
