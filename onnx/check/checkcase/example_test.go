package checkcase_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/check/checkcase"
	"github.com/goras-ml/goras/tensor"
)

// The cases of a small seeded network on two images: four ONNX files
// (opset 17 and 13, NHWC and NCHW input), goras's probabilities and the
// images, as onnx/check/run.js reads them.
func Example() {
	dir, err := os.MkdirTemp("", "checkcase-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	m := goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Flatten(),
		layers.Dense(10, layers.WithActivation("softmax")),
	)
	m.SetSeed(1)
	if err := m.Build(); err != nil {
		fmt.Println(err)
		return
	}
	checkcase.Sharpen(m)
	x := tensor.New(2, 28, 28)
	x.FillUniform(tensor.NewRNG(1), 0, 1)
	if err := checkcase.WriteImages(dir, x); err != nil {
		fmt.Println(err)
		return
	}
	cases, err := checkcase.Write(dir, "tiny", m, x, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cases {
		_, err := os.Stat(filepath.Join(dir, c.Model))
		fmt.Println(c.Name, c.Shape, c.Want, err == nil)
	}
	want, _ := os.Stat(filepath.Join(dir, "tiny.want.f32"))
	fmt.Println("probabilities:", want.Size()/4) // 2 images × 10 classes

	back, err := checkcase.ReadImages(dir)
	fmt.Println(back.Shape(), back.At(1, 27, 27) == x.At(1, 27, 27), err)
	// Output:
	// tiny-opset17-nhwc [28 28 1] tiny.want.f32 true
	// tiny-opset17-nchw [1 28 28] tiny.want.f32 true
	// tiny-opset13-nhwc [28 28 1] tiny.want.f32 true
	// tiny-opset13-nchw [1 28 28] tiny.want.f32 true
	// probabilities: 20
	// [2 28 28] true <nil>
}
