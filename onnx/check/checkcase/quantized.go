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
// allows: onnxruntime's integer kernels round a requantized value the
// other way from goras's now and then (both round a float32 product, by
// different multiplications), one step of a layer's scale, which moves a
// probability by far more than float32 rounding does.
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
