package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
)

// TestExportQuantized exports an int8 model file: goras export knows it
// from its header and writes, byte for byte, what onnx.ExportQuantized
// writes of the loaded model, in QDQ form; --nchw and --opset apply; a
// damaged int8 file is the quantize package's error.
func TestExportQuantized(t *testing.T) {
	dir := t.TempDir()
	m := smallConvnet()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	calib := tensor.New(16, 28, 28, 1)
	calib.FillUniform(tensor.NewRNG(2), 0, 1)
	q, err := quantize.Quantize(m, calib)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "net-int8.safetensors")
	if err := q.Save(src); err != nil {
		t.Fatal(err)
	}
	loaded, err := quantize.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args  []string
		opts  []onnx.Option
		opset int
		input []string
	}{
		{nil, nil, 17, []string{"N", "28", "28", "1"}},
		{[]string{"--opset", "13", "--nchw"}, []onnx.Option{onnx.Opset(13), onnx.NCHW(true)}, 13, []string{"N", "1", "28", "28"}},
	} {
		out := filepath.Join(dir, "net.onnx")
		r := cliOK(t, append(append([]string{"export"}, c.args...), src, out)...)
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := onnx.EncodeQuantized(loaded, &want, c.opts...); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("goras export %v wrote %d bytes that differ from onnx.EncodeQuantized's %d", c.args, len(got), want.Len())
		}
		info, err := onnx.Inspect(got)
		if err != nil {
			t.Fatal(err)
		}
		if info.Opset != c.opset || !slices.Equal(info.Inputs[0].Shape, c.input) || !slices.Contains(info.Operators, "QuantizeLinear") ||
			!slices.Contains(info.Operators, "DequantizeLinear") {
			t.Errorf("goras export %v wrote %+v", c.args, info)
		}
		if !strings.Contains(r.stdout, "wrote "+out) || !strings.Contains(r.stdout, "QuantizeLinear") {
			t.Errorf("stdout %q does not say what was written", r.stdout)
		}
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad-int8.safetensors")
	if err := os.WriteFile(bad, raw[:len(raw)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "export", bad, filepath.Join(dir, "bad.onnx"))
	if r.code != 1 || !strings.Contains(r.stderr, "quantize: "+bad) {
		t.Errorf("a truncated int8 file: exit %d, stderr %q; want 1 and quantize's error naming it", r.code, r.stderr)
	}
}
