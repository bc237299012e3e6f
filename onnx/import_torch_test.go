package onnx_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/tensor"
)

// torchCase is one file of testdata/torch.json, written by
// testdata/make_torch.py: a network PyTorch exported, the inputs it ran on
// (NCHW) and its outputs.
type torchCase struct {
	Name   string `json:"name"`
	ONNX   string `json:"onnx"`
	Opset  int    `json:"opset"`
	X      string `json:"x"`
	Y      string `json:"y"`
	Input  []int  `json:"input"`
	Output []int  `json:"output"`
}

func torchCases(t testing.TB) []torchCase {
	b, err := os.ReadFile(filepath.Join("testdata", "torch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Cases []torchCase }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Cases
}

// readF32 reads a file of little-endian float32 values.
func readF32(t testing.TB, name string) []float32 {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// nhwc turns images (N, C, H, W) into goras's (N, H, W, C), and
// sequences (N, C, L) into goras's (N, L, C).
func nhwc(x []float32, shape []int) *tensor.Tensor {
	if len(shape) == 3 {
		t, _ := nhwc(x, []int{shape[0], shape[1], 1, shape[2]}).Reshape(shape[0], shape[2], shape[1])
		return t
	}
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	t := tensor.New(n, h, w, c)
	for s := 0; s < n; s++ {
		for k := 0; k < c; k++ {
			for i := 0; i < h; i++ {
				for j := 0; j < w; j++ {
					t.Data()[((s*h+i)*w+j)*c+k] = x[((s*c+k)*h+i)*w+j]
				}
			}
		}
	}
	return t
}

// TestImportTorch imports each network PyTorch exported and holds its
// predictions to PyTorch's within 1e-5, on the fixed inputs.
func TestImportTorch(t *testing.T) {
	for _, c := range torchCases(t) {
		t.Run(c.ONNX, func(t *testing.T) {
			m, err := onnx.Load(filepath.Join("testdata", c.ONNX))
			if err != nil {
				t.Fatal(err)
			}
			x := nhwc(readF32(t, c.X), c.Input)
			want := readF32(t, c.Y)
			got, err := m.Predict(x, goras.Verbose(0))
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != len(want) {
				t.Fatalf("%d outputs, want %d (shape %v)", got.Len(), len(want), got.Shape())
			}
			worst := 0.0
			for i, w := range want {
				worst = max(worst, math.Abs(float64(got.Data()[i])-float64(w)))
			}
			if worst > 1e-5 {
				t.Errorf("predictions differ from PyTorch's by up to %.3g (want ≤ 1e-5)\n got %v\nwant %v", worst, got.Data()[:min(10, len(want))], want[:min(10, len(want))])
			}
			t.Logf("max |goras - PyTorch| = %.3g, %d layers", worst, len(m.Layers()))
		})
	}
}
