package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/saving"
)

// TestExport saves a small convnet, exports it both ways and reads the ONNX
// files back: names and shapes are the model's, --nchw moves the channels
// of the input only, --opset 13 is written as such; mistakes in the
// arguments say what was expected.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "net.safetensors")
	m := goras.NewSequential(layers.Input(12, 10, 1), layers.Conv2D(4, 3, layers.WithActivation("relu")),
		layers.Flatten(), layers.Dense(3, layers.WithActivation("softmax"), layers.WithName("probs")))
	if err := saving.Save(m, src); err != nil {
		t.Fatal(err)
	}
	read := func(path string) onnx.Info {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		info, err := onnx.Inspect(b)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	out := filepath.Join(dir, "net.onnx")
	r := cliOK(t, "export", src, out)
	info := read(out)
	if info.Opset != 17 || !slices.Equal(info.Inputs[0].Shape, []string{"N", "12", "10", "1"}) ||
		info.Outputs[0].Name != "probs" || !slices.Equal(info.Outputs[0].Shape, []string{"N", "3"}) {
		t.Errorf("exported %+v", info)
	}
	if !strings.Contains(r.stdout, "wrote "+out) || !strings.Contains(r.stdout, "input input_layer: (N, 12, 10, 1)") {
		t.Errorf("stdout %q does not say what was written", r.stdout)
	}
	out13 := filepath.Join(dir, "net13.onnx")
	cliOK(t, "export", "--opset", "13", "--nchw", src, out13)
	info = read(out13)
	if info.Opset != 13 || !slices.Equal(info.Inputs[0].Shape, []string{"N", "1", "12", "10"}) || info.Operators[0] != "Conv" {
		t.Errorf("--opset 13 --nchw exported %+v", info)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", src}, "MODEL_FILE and OUTPUT.onnx, got 1"},
		{[]string{"export", "--opset", "11", src, out}, "--opset must be 13 or 17, got 11"},
		{[]string{"export", out, src}, "should end in .onnx"},
		{[]string{"export", filepath.Join(dir, "none.safetensors"), out}, "none.safetensors"},
	} {
		r := cli(t, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("goras %s: exit %d, stderr %q; want 1 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
}
