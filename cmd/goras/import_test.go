package main

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/saving"
)

// lenetONNX is LeNet-5 as PyTorch exported it (onnx/testdata, made by
// make_torch.py): seeded weights, softmax output.
const lenetONNX = "../../onnx/testdata/lenet5_opset17.onnx"

// TestImport: goras import writes a model file that loads with the ONNX
// model's layers and weights, compiled; summary and predict read the .onnx
// file directly, with the same answers as from the imported file.
func TestImport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "lenet5.safetensors")
	r := cliOK(t, "import", lenetONNX, out)
	if !strings.Contains(r.stdout, "wrote "+out+": 8 layers, 61706 weights") || !strings.Contains(r.stdout, "conv1 (Conv2D)") {
		t.Errorf("import printed:\n%s", r.stdout)
	}
	m, err := saving.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := onnx.Load(lenetONNX)
	if err != nil {
		t.Fatal(err)
	}
	if m.Loss() == nil || m.Optimizer() == nil || m.Loss().Name() != "categorical_crossentropy" {
		t.Errorf("the imported file is not compiled with categorical cross-entropy: %v", m.Loss())
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.Value.Data(), direct.Params()[i].Value.Data()) {
			t.Errorf("weight %s differs from the ONNX file's", p.Name)
		}
	}

	r = cliOK(t, "summary", lenetONNX)
	if !strings.Contains(r.stdout, "fc1 (Dense)") || !strings.Contains(r.stdout, "Total params: 61,706") {
		t.Errorf("summary of the .onnx file:\n%s", r.stdout)
	}

	pic := filepath.Join(dir, "one.png")
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	for y := 8; y < 32; y++ {
		for x := 18; x < 22; x++ {
			img.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	writePNG(t, pic, img)
	fromONNX := cliOK(t, "predict", lenetONNX, pic)
	fromFile := cliOK(t, "predict", out, pic)
	if fromONNX.stdout != fromFile.stdout || !strings.HasPrefix(fromONNX.stdout, pic+": ") {
		t.Errorf("predict from the .onnx file:\n%s\nfrom the imported file:\n%s", fromONNX.stdout, fromFile.stdout)
	}
}

// TestImportErrors: mistakes in the arguments and models goras cannot
// import say what is wrong.
func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.onnx")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", lenetONNX}, "MODEL.onnx and OUTPUT.safetensors, got 1"},
		{[]string{"import", lenetONNX, filepath.Join(dir, "x.onnx")}, `should end in .safetensors, got ".onnx"`},
		{[]string{"import", bad, filepath.Join(dir, "x.safetensors")}, "not an ONNX model"},
		{[]string{"summary", filepath.Join(dir, "missing.onnx")}, "missing.onnx"},
	} {
		r := cli(t, c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("goras %s: exit %d, stderr %q, want it to say %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
}
