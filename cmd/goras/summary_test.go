package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
)

// The tests of goras summary.

func TestSummary(t *testing.T) {
	for _, args := range [][]string{{"summary"}, {"summary", "--model", "mlp"}, {"summary", "--model", "MLP"}} {
		r := cli(t, args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("goras %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		// 784·50 + 50 = 39,250 and 50·10 + 10 = 510.
		for _, want := range []string{"flatten (Flatten)", "(None, 784)", "39,250", "510", "Total params: 39,760 (155.31 KB)"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("goras %v output lacks %q:\n%s", args, want, r.stdout)
			}
		}
	}
}

// The convolutional networks, as Keras's summary shows them. LeNet-5:
// 5·5·1·6 + 6 = 156 (same padding keeps 28×28), 5·5·6·16 + 16 = 2,416
// (valid: 14 - 5 + 1 = 10), 5·5·16 = 400 inputs to 400·120 + 120 = 48,120,
// 120·84 + 84 = 10,164, 84·10 + 10 = 850; 61,706 in all. keras.io's convnet:
// 3·3·1·32 + 32 = 320, 3·3·32·64 + 64 = 18,496, 5·5·64 = 1,600 inputs to
// 1,600·10 + 10 = 16,010; 34,826 in all, as keras.io prints.
func TestSummaryConvnets(t *testing.T) {
	cases := map[string][]string{
		"lenet5": {
			`conv2d \(Conv2D\)\s+│ \(None, 28, 28, 6\)\s+│\s+156 │`,
			`max_pooling2d \(MaxPooling2D\)\s+│ \(None, 14, 14, 6\)\s+│\s+0 │`,
			`conv2d_1 \(Conv2D\)\s+│ \(None, 10, 10, 16\)\s+│\s+2,416 │`,
			`max_pooling2d_1 \(MaxPooling2D\)\s+│ \(None, 5, 5, 16\)\s+│\s+0 │`,
			`flatten \(Flatten\)\s+│ \(None, 400\)\s+│\s+0 │`,
			`dense \(Dense\)\s+│ \(None, 120\)\s+│\s+48,120 │`,
			`dense_1 \(Dense\)\s+│ \(None, 84\)\s+│\s+10,164 │`,
			`dense_2 \(Dense\)\s+│ \(None, 10\)\s+│\s+850 │`,
			`Total params: 61,706 \(241.04 KB\)`,
		},
		"keras-convnet": {
			`conv2d \(Conv2D\)\s+│ \(None, 26, 26, 32\)\s+│\s+320 │`,
			`max_pooling2d \(MaxPooling2D\)\s+│ \(None, 13, 13, 32\)\s+│\s+0 │`,
			`conv2d_1 \(Conv2D\)\s+│ \(None, 11, 11, 64\)\s+│\s+18,496 │`,
			`max_pooling2d_1 \(MaxPooling2D\)\s+│ \(None, 5, 5, 64\)\s+│\s+0 │`,
			`flatten \(Flatten\)\s+│ \(None, 1600\)\s+│\s+0 │`,
			`dropout \(Dropout\)\s+│ \(None, 1600\)\s+│\s+0 │`,
			`dense \(Dense\)\s+│ \(None, 10\)\s+│\s+16,010 │`,
			`Total params: 34,826 \(136.04 KB\)`,
		},
	}
	for model, rows := range cases {
		r := cli(t, "summary", "--model", model)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("goras summary --model %s: exit %d, stderr %q", model, r.code, r.stderr)
		}
		for _, row := range rows {
			if !regexp.MustCompile(row).MatchString(r.stdout) {
				t.Errorf("goras summary --model %s lacks %s:\n%s", model, row, r.stdout)
			}
		}
		if n := strings.Count(r.stdout, "│ (None"); n != len(rows)-1 {
			t.Errorf("goras summary --model %s shows %d layers, want %d:\n%s", model, n, len(rows)-1, r.stdout)
		}
	}
}

// summary of an int8 model file prints its layers and numbers (it said
// "dtype I8 is valid safetensors but goras reads only [F32 F64 F16
// BF16]"), and a model file with --model, --dropout or --l2 is refused
// (they were ignored).
func TestSummaryOfFiles(t *testing.T) {
	dir := t.TempDir()
	model, m := tinyModel(t, dir, "m.safetensors")
	q, err := quantize.Quantize(m, tensor.New(4, 28, 28))
	if err != nil {
		t.Fatal(err)
	}
	qpath := filepath.Join(dir, "m-int8.safetensors")
	if err := q.Save(qpath); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "summary", qpath)
	// Dense(10) on 784 inputs: 7,840 int8 weights, 10 scales and 10 biases.
	for _, want := range []string{`Model: "sequential" (int8, from goras quantize)`, "Flatten", "(None, 784)", "dense (Dense)", "(None, 10)", "7,840",
		" Total: 7,840 int8 weights and 20 float32 scales and biases (7,920 bytes)\n"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("summary of an int8 file: exit %d, stderr %q, stdout:\n%s\nwant %q", r.code, r.stderr, r.stdout, want)
		}
	}
	for _, flag := range [][]string{{"--model", "lenet5"}, {"--dropout", "0.5"}, {"--l2", "0.01"}} {
		wantFail(t, flag[0]+" names or changes a network, and summary was given the model file "+model, append([]string{"summary", model}, flag...)...)
	}
}
