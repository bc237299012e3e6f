package onnx_test

import (
	"bytes"
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx"
)

// A small convnet exported at the default opset 17: the image is
// transposed channels first for Conv and MaxPool and back before Flatten,
// so that Dense reads the values in goras's order.
func Example() {
	m := goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Conv2D(8, 3, layers.WithActivation("relu")),
		layers.MaxPooling2D(),
		layers.Flatten(),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	var buf bytes.Buffer
	if err := onnx.Encode(m, &buf); err != nil { // onnx.Export(m, "convnet.onnx") writes a file
		fmt.Println(err)
		return
	}
	info, err := onnx.Inspect(buf.Bytes())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info)
	// Output:
	// opset 17 (IR version 8)
	// input input_layer: (N, 28, 28, 1)
	// output dense: (N, 10)
	// 8 nodes: Transpose Conv Relu MaxPool Transpose Flatten Gemm Softmax
	// 4 initializers, 13,610 weights
}
