package checkcase

import (
	"fmt"
	"path/filepath"

	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
)

// WriteQuantized writes q's (an int8 model's) predictions for x (n, 28,
// 28) and its QDQ exports (onnx.ExportQuantized) in the four variants,
// named NAME-opsetV-LAYOUT. tolerance is the largest difference run.js
// allows. It must be far above float32's: goras requantizes a sum by one
// float32 multiply and add, onnxruntime (and exact arithmetic) otherwise,
// so now and then a byte rounds the other way, one step of its layer's
// scale, and on an image between two classes that moves a probability by
// a few hundredths (trained LeNet-5: up to 0.03 on 10,000 test images, as
// much as a float64 evaluation of the same graph differs by, with the same
// class for every image). A mistake in the export moves them by tenths.
func WriteQuantized(dir, name string, q *quantize.Model, x *tensor.Tensor, trained bool, tolerance float64) ([]Case, error) {
	in := q.InputShape()
	xs, err := x.Reshape(append([]int{x.Dim(0)}, in...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: MNIST images do not fit its input %v: %w", name, in, err)
	}
	want, err := q.Predict(xs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	wantFile := name + ".want.f32"
	if err := writeFloats(filepath.Join(dir, wantFile), want.Data()); err != nil {
		return nil, err
	}
	ls := q.Layers()
	var cases []Case
	for _, opset := range []int{17, 13} {
		for _, nchw := range []bool{false, true} {
			c := Case{Name: fmt.Sprintf("%s-opset%d-%s", name, opset, layout(nchw)), Input: "input_layer",
				Shape: in, Output: ls[len(ls)-1].Name, Want: wantFile, Trained: trained, Opset: opset, NCHW: nchw, Tolerance: tolerance}
			if nchw && len(in) == 3 {
				c.Shape = []int{in[2], in[0], in[1]}
			}
			c.Model = c.Name + ".onnx"
			if err := onnx.ExportQuantized(q, filepath.Join(dir, c.Model), onnx.Opset(opset), onnx.NCHW(nchw)); err != nil {
				return nil, fmt.Errorf("%s: %w", c.Name, err)
			}
			cases = append(cases, c)
		}
	}
	return cases, nil
}
