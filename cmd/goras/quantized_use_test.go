package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
)

// lenetInt8 quantizes the tests' trained LeNet-5 (lenetModel) with goras
// quantize into dir and returns the float32 and int8 files.
func lenetInt8(t *testing.T, dir string) (float, int8 string) {
	t.Helper()
	float = lenetModel(t)
	int8 = filepath.Join(dir, "lenet5-int8.safetensors")
	cliOK(t, "quantize", "--samples", "200", "--evaluate=false", float, int8)
	return float, int8
}

// goras predict reads an int8 model file: the probabilities it prints are
// the int8 model's Predict of the pictures read as MNIST digits, and it
// reads the re-drawn test digits as the float32 model does.
func TestPredictQuantized(t *testing.T) {
	dir := t.TempDir()
	float, int8 := lenetInt8(t, dir)
	_, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	paths, want := renderDigits(t, dir, test, 0, 20)
	type pred struct {
		Class int `json:"class"`
		Top   []struct {
			Class       int     `json:"class"`
			Probability float64 `json:"probability"`
		} `json:"top"`
	}
	run := func(model string) []pred {
		var ps []pred
		r := cliOK(t, append([]string{"predict", "--json", "--top", "10", model}, paths...)...)
		if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil || len(ps) != len(paths) {
			t.Fatalf("goras predict --json %s: %v\n%s", model, err, r.stdout)
		}
		return ps
	}
	got, ref := run(int8), run(float)
	q, err := quantize.Load(int8)
	if err != nil {
		t.Fatal(err)
	}
	var px []float32
	for _, p := range paths {
		v, err := mnist.LoadImage(p)
		if err != nil {
			t.Fatal(err)
		}
		px = append(px, v...)
	}
	x, _ := tensor.FromSlice(px, len(paths), 28, 28, 1)
	probs, err := q.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	right, agree := 0, 0
	for i, p := range got {
		for _, c := range p.Top {
			if w := probs.Data()[i*10+c.Class]; float32(c.Probability) != w {
				t.Errorf("%s: class %d probability %v, the int8 model's Predict gives %v", paths[i], c.Class, c.Probability, w)
			}
		}
		right += btoi(p.Class == want[i])
		agree += btoi(p.Class == ref[i].Class)
	}
	t.Logf("int8: %d of 20 right, %d the float32 model's class", right, agree)
	if right < 18 || agree < 19 {
		t.Errorf("int8 model: %d of 20 re-drawn digits right (want ≥ 18), %d read as the float32 model does (want ≥ 19)", right, agree)
	}
}

// goras evaluate reads an int8 model file: the confusion matrix and
// accuracy of the int8 model's Predict on the 10,000 test images, close to
// the float32 model's.
func TestEvaluateQuantized(t *testing.T) {
	float, int8 := lenetInt8(t, t.TempDir())
	r := cliOK(t, "evaluate", int8)
	q, err := quantize.Load(int8)
	if err != nil {
		t.Fatal(err)
	}
	_, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	x, _ := test.X.Float32().Reshape(test.X.N, 28, 28, 1)
	probs, err := q.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, c := range tensor.ArgMax(probs) {
		right += btoi(c == int(test.Y[i]))
	}
	want := fmt.Sprintf("test_accuracy: %.4f\n", float64(right)/10000)
	if !strings.HasSuffix(r.stdout, want) || !strings.Contains(r.stdout, "Confusion matrix") ||
		!strings.Contains(r.stderr, "keeps no loss") {
		t.Errorf("goras evaluate %s: want the confusion matrix and last %q, a note on stderr; got\n%s\n%s", int8, want, r.stdout, r.stderr)
	}
	fr := cliOK(t, "evaluate", float)
	var loss, acc float64
	last := fr.stdout[strings.LastIndex(strings.TrimSuffix(fr.stdout, "\n"), "\n")+1:]
	if _, err := fmt.Sscanf(last, "test_loss: %g - test_accuracy: %g", &loss, &acc); err != nil {
		t.Fatalf("float32 evaluate's last line %q: %v", last, err)
	}
	if d := float64(right)/10000 - acc; d < -0.005 || d > 0.005 {
		t.Errorf("int8 accuracy %.4f, float32 %.4f: more than 0.5 points apart", float64(right)/10000, acc)
	}
}
