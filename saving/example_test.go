package saving_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// A small model saved and loaded back: the same layers, the same seed and
// the same predictions, bit for bit.
func Example() {
	dir, err := os.MkdirTemp("", "saving-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mlp.safetensors")

	model := goras.NewSequential(
		layers.Input(4),
		layers.Dense(8, layers.WithActivation("relu")),
		layers.Dense(3, layers.WithActivation("softmax")),
	)
	model.SetSeed(7)
	if err := saving.Save(model, path); err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := saving.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}

	x := tensor.New(5, 4)
	x.FillUniform(tensor.NewRNG(1), 0, 1)
	want, _ := model.Predict(x, goras.Verbose(0))
	got, _ := loaded.Predict(x, goras.Verbose(0))
	same := true
	for i, v := range want.Data() {
		same = same && got.Data()[i] == v
	}
	fmt.Println("same predictions:", same)
	fmt.Println("seed:", loaded.Seed())
	for _, l := range loaded.Layers() {
		fmt.Println(l.Name())
	}
	for _, p := range loaded.Params() {
		fmt.Println(p.Name, p.Value.Shape())
	}
	// Output:
	// same predictions: true
	// seed: 7
	// dense
	// dense_1
	// dense/kernel [4 8]
	// dense/bias [8]
	// dense_1/kernel [8 3]
	// dense_1/bias [3]
}

// A file that is not a model file is refused with what is wrong and how to
// go on.
func ExampleLoad_weightsOnly() {
	dir, _ := os.MkdirTemp("", "saving-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "weights.safetensors")
	model := goras.NewSequential(layers.Input(2), layers.Dense(1))
	if err := saving.SaveWeights(model, path); err != nil {
		fmt.Println(err)
		return
	}
	_, err := saving.Load(path)
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))

	// The weights go into a model built the same way in code.
	again := goras.NewSequential(layers.Input(2), layers.Dense(1))
	fmt.Println(saving.LoadWeights(again, path))
	// Output:
	// goras: DIR/weights.safetensors: holds weights only, no architecture (written by SaveWeights?); build the model in code and use LoadWeights
	// <nil>
}
