// Package checkcase writes the cases of the ONNX export check
// (onnx/check/check.sh): a network's ONNX files in every variant (opset 17
// and 13, NHWC and NCHW input) and goras's probabilities on MNIST test
// images, which onnx/check/run.js holds onnxruntime's to. Both the zoo's
// networks (go run ./onnx/check) and the custom-layer example's test write
// through it, so that run.js reads one format.
//
// A directory of cases holds x.f32 (n images of 28×28 float32 pixels in
// [0, 1]: the bytes of both (n, 28, 28, 1) and (n, 1, 28, 28), as there is
// one channel), NAME.want.f32 (n×classes float32 probabilities),
// NAME-opsetV-LAYOUT.onnx, and manifest-*.json files listing the cases.
package checkcase

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/tensor"
)

// Case is one ONNX file to run on the images and compare, as run.js reads it.
type Case struct {
	Name    string `json:"name"`
	Model   string `json:"model"`   // the .onnx file, in the directory
	Input   string `json:"input"`   // the graph input's name
	Shape   []int  `json:"shape"`   // its per-sample shape in the file
	Output  string `json:"output"`  // the graph output's name
	Want    string `json:"want"`    // goras's probabilities, float32
	Trained bool   `json:"trained"` // weights from training, not from the seed
	Opset   int    `json:"opset"`
	NCHW    bool   `json:"nchw"`
	// Tolerance is the largest absolute difference allowed from goras's
	// probabilities; 0 leaves run.js's (1e-5). An int8 model's needs more
	// (WriteQuantized).
	Tolerance float64 `json:"tolerance,omitempty"`
}

// Write exports m goras's predictions for x (n, 28, 28) and m in the four
// variants. Inputs of per-sample rank 3 get the channel axis.
func Write(dir, name string, m *goras.Model, x *tensor.Tensor, trained bool) ([]Case, error) {
	in := m.InputShape()
	xs, err := x.Reshape(append([]int{x.Dim(0)}, in...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: MNIST images do not fit its input %v: %w", name, in, err)
	}
	want, err := m.Predict(xs, goras.Verbose(0), goras.BatchSize(250))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	wantFile := name + ".want.f32"
	if err := writeFloats(filepath.Join(dir, wantFile), want.Data()); err != nil {
		return nil, err
	}
	input := m.Inputs()[0].Layer().Name()
	if input == "" {
		input = "input_layer" // the name onnx gives a Sequential's unnamed input
	}
	var cases []Case
	for _, opset := range []int{17, 13} {
		for _, nchw := range []bool{false, true} {
			c := Case{Name: fmt.Sprintf("%s-opset%d-%s", name, opset, layout(nchw)), Input: input,
				Shape: in, Output: m.OutputNames()[0], Want: wantFile, Trained: trained, Opset: opset, NCHW: nchw}
			if nchw && len(in) == 3 {
				c.Shape = []int{in[2], in[0], in[1]}
			}
			c.Model = c.Name + ".onnx"
			if err := onnx.Export(m, filepath.Join(dir, c.Model), onnx.Opset(opset), onnx.NCHW(nchw)); err != nil {
				return nil, fmt.Errorf("%s: %w", c.Name, err)
			}
			cases = append(cases, c)
		}
	}
	return cases, nil
}

func layout(nchw bool) string {
	if nchw {
		return "nchw"
	}
	return "nhwc"
}

// WriteManifest writes the cases as JSON.
func WriteManifest(path string, cases []Case) error {
	b, err := json.MarshalIndent(cases, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// writeFloats writes v as little-endian float32.
func writeFloats(path string, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return os.WriteFile(path, b, 0o644)
}

// Sharpen multiplies the last kernel of a seeded model (its output Dense)
// by 10, so that its probabilities are far from uniform (a freshly drawn
// network gives every digit about 0.1) and a mistake in the export shows
// in them as it would in a trained model's.
func Sharpen(m *goras.Model) {
	ps := m.Params()
	for i := len(ps) - 1; i >= 0; i-- {
		if strings.HasSuffix(ps[i].Name, "/kernel") {
			for j, v := range ps[i].Value.Data() {
				ps[i].Value.Data()[j] = 10 * v
			}
			return
		}
	}
}

// WriteImages writes x (n, 28, 28) as the directory's x.f32.
func WriteImages(dir string, x *tensor.Tensor) error {
	return writeFloats(filepath.Join(dir, "x.f32"), x.Data())
}

// ReadImages reads the directory's x.f32 back as (n, 28, 28).
func ReadImages(dir string) (*tensor.Tensor, error) {
	b, err := os.ReadFile(filepath.Join(dir, "x.f32"))
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%(4*28*28) != 0 {
		return nil, fmt.Errorf("checkcase: %s/x.f32 has %d bytes, expected a positive multiple of 4·28·28 (float32 images)", dir, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return tensor.FromSlice(v, len(v)/(28*28), 28, 28)
}
