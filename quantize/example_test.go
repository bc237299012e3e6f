package quantize_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
)

// A model is quantized on calibration samples (a few hundred training
// samples in practice), predicts as the float model does, and is saved
// and loaded as one safetensors file.
func Example() {
	m := goras.NewSequential(
		layers.Input(4),
		layers.Dense(16, layers.WithActivation("relu")),
		layers.Dense(3, layers.WithActivation("softmax")),
	)
	m.SetSeed(1)
	if err := m.Build(); err != nil {
		fmt.Println(err)
		return
	}
	calib := tensor.New(200, 4)
	for i := range calib.Data() {
		calib.Data()[i] = float32(i*37%101) / 100
	}
	q, err := quantize.Quantize(m, calib)
	if err != nil {
		fmt.Println(err)
		return
	}
	x := calib.Slice(0, 6)
	yf, _ := m.Predict(x, goras.Verbose(0))
	yq, _ := q.Predict(x)
	classes := func(y *tensor.Tensor) []int {
		var c []int
		for i := 0; i < y.Dim(0); i++ {
			c = append(c, argmax(y.Data()[3*i:3*i+3]))
		}
		return c
	}
	fmt.Println("float32:", classes(yf))
	fmt.Println("int8:   ", classes(yq))

	dir, _ := os.MkdirTemp("", "quantize")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mlp-int8.safetensors")
	if err := q.Save(path); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := quantize.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("loaded: ", loaded.InputShape(), loaded.Classes(), "classes")
	// Output:
	// float32: [2 2 1 2 1 2]
	// int8:    [2 2 1 2 1 2]
	// loaded:  [4] 3 classes
}
