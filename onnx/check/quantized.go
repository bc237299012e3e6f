package main

import (
	"fmt"
	"path/filepath"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx/check/checkcase"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
)

// quantizedNets are the networks whose int8 models are checked, as
// `goras quantize` makes them: lenet5 and best, calibrated on the first 500
// MNIST training images.
var quantizedNets = []string{"lenet5", "best"}

// int8Tolerance is the largest difference allowed between goras's and
// onnxruntime's probabilities of an int8 model: 3.3 times the 0.03 of the
// trained LeNet-5 (checkcase.WriteQuantized says why it is not float32's
// 1e-5).
const int8Tolerance = 0.1

// writeQuantized quantizes the networks of nets named in quantizedNets on
// calib (training images, (n, 28, 28)) and writes their cases on x into
// manifest-int8.json; files says which were loaded trained.
func writeQuantized(dir string, calib, x *tensor.Tensor, nets map[string]*goras.Model, files map[string]string) error {
	var cases []checkcase.Case
	for _, name := range quantizedNets {
		m := nets[name]
		c, err := calib.Reshape(append([]int{calib.Dim(0)}, m.InputShape()...)...)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		q, err := quantize.Quantize(m, c)
		if err != nil {
			return err
		}
		cs, err := checkcase.WriteQuantized(dir, name+"-int8", q, x, files[name] != "", int8Tolerance)
		if err != nil {
			return err
		}
		cases = append(cases, cs...)
	}
	return checkcase.WriteManifest(filepath.Join(dir, "manifest-int8.json"), cases)
}
