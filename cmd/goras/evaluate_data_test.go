package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/imagefolder"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// TestEvaluateOnFolder: goras evaluate --data scores a model trained with
// --data on every picture of a folder: the matrix is the model's Predict on
// the pictures as imagefolder reads them, named by the classes, and the
// last line is its Evaluate. Flags that do not go with --data, an int8
// model and a folder of other classes are refused by name.
func TestEvaluateOnFolder(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "shapes")
	shapesFolder(t, data, 12)
	model := filepath.Join(dir, "shapes.safetensors")
	if r := cli(t, "train", "--data", data, "--image-size", "16,16", "--color-mode", "rgb", "--epochs", "2", "--optimizer", "adam",
		"--loss", "categorical_crossentropy", "--batch-size", "4", "--verbose", "0", "--output", model); r.code != 0 {
		t.Fatalf("train: exit %d\n%s", r.code, r.stderr)
	}
	r := cli(t, "evaluate", "--data", data, model)
	if r.code != 0 {
		t.Fatalf("evaluate --data: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	m, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := imagefolder.Load(data, imagefolder.ImageSize(16, 16), imagefolder.ColorMode("rgb"),
		imagefolder.LabelMode("categorical"), imagefolder.Shuffle(false))
	if err != nil {
		t.Fatal(err)
	}
	probs, err := m.Predict(ds.X, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	cm := metrics.ConfusionMatrix(ds.Y.Indices(), tensor.ArgMax(probs), 3)
	cm.Labels = []string{"bars", "columns", "dot"}
	if !strings.Contains(r.stdout, cm.String()) || !strings.Contains(r.stdout, cm.Report()) {
		t.Errorf("evaluate --data's matrix is not the model's on the folder; want\n%s\ngot\n%s", cm, r.stdout)
	}
	scores, err := m.Evaluate(ds.X, ds.Y, goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("test_loss: %.4f - test_accuracy: %.4f\n", scores["loss"], scores["accuracy"])
	if !strings.HasSuffix(r.stdout, want) {
		t.Errorf("evaluate --data ends %q, want %q", r.stdout[max(0, len(r.stdout)-60):], want)
	}

	wantFail(t, "--data evaluates on a folder of pictures and does not take --dataset", "evaluate", "--data", data, "--dataset", "mnist", model)
	wantFail(t, "--data evaluates on a folder of pictures and does not take --errors", "evaluate", "--data", data, "--errors", filepath.Join(dir, "e.png"), model)
	_, int8 := lenetInt8(t, dir)
	wantFail(t, int8+" is an int8 model, which evaluate reads only on --dataset's test images", "evaluate", "--data", data, int8)
	// The folder's classes must be the model's.
	other := filepath.Join(dir, "other")
	shapesFolder(t, other, 2)
	if err := os.Rename(filepath.Join(other, "dot"), filepath.Join(other, "ring")); err != nil {
		t.Fatal(err)
	}
	r = cli(t, "evaluate", "--data", other, model)
	if r.code == 0 || !strings.Contains(r.stderr, "--data: ") || !strings.Contains(r.stderr, "dot") {
		t.Errorf("evaluate --data on a folder of other classes: exit %d, stderr %q", r.code, r.stderr)
	}
}
