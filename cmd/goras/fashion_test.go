package main

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/internal/safetensors"
)

// skipWithoutFashion skips a test when Debian's Fashion-MNIST files, which
// CI installs (dataset-fashion-mnist), are not on this machine: the test
// reads them from there rather than downloading 30 MB.
func skipWithoutFashion(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fashionmnist.DebianDir, "t10k-labels-idx1-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST is not in %s (apt-get install dataset-fashion-mnist): %v", fashionmnist.DebianDir, err)
	}
}

// goras train --dataset fashion_mnist: one epoch of 2,000 pictures takes
// the course's MLP well above chance (0.1) on the 10,000 test pictures
// (0.72 measured), the model file carries the 10 class names, evaluate
// picks Fashion-MNIST's test set from them, and predict prints them.
func TestTrainFashionMNIST(t *testing.T) {
	skipWithoutFashion(t)
	t.Setenv(fashionmnist.EnvDir, "")
	dir := t.TempDir()
	model := filepath.Join(dir, "clothes.safetensors")
	r := cli(t, "train", "--dataset", "fashion_mnist", "--data-dir", fashionmnist.DebianDir, "--limit", "2000", "--epochs", "1",
		"--optimizer", "adam", "--loss", "categorical_crossentropy", "--batch-size", "32", "--verbose", "0", "--output", model)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "training on 2000 images, validating on 10000: model mlp, ") || !strings.Contains(r.stderr, "data fashion_mnist") {
		t.Errorf("stderr does not say the run is on Fashion-MNIST:\n%s", r.stderr)
	}
	_, acc := scores(t, r.stdout)
	if acc < 0.6 {
		t.Errorf("test_accuracy %.4f after one epoch of 2,000 pictures, want > 0.6 (chance 0.1)", acc)
	}
	f, err := safetensors.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := json.Unmarshal([]byte(f.Metadata["class_names"]), &names); err != nil || !slices.Equal(names, fashionmnist.ClassNames()) {
		t.Errorf("the model file's class_names are %s (%v), want Fashion-MNIST's", f.Metadata["class_names"], err)
	}

	// evaluate reads the names and scores the same test set.
	e := cli(t, "evaluate", model)
	if e.code != 0 || !strings.Contains(e.stderr, "the model's classes are Fashion-MNIST's; evaluating on its test set") {
		t.Fatalf("evaluate: exit %d\n%s%s", e.code, e.stdout, e.stderr)
	}
	if _, eacc := scores(t, e.stdout); eacc != acc {
		t.Errorf("evaluate: test_accuracy %.4f, train said %.4f", eacc, acc)
	}

	// predict on a test picture saved as a PNG names what it reads.
	_, test, err := fashionmnist.LoadData(fashionmnist.WithDir(fashionmnist.DebianDir), fashionmnist.WithDownload(false))
	if err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(dir, "first.png")
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	copy(img.Pix, test.X.Image(0))
	writePNG(t, pic, img)
	p := cli(t, "predict", model, pic)
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(pic) + `: (\d) ([^(]+) \(`).FindStringSubmatch(p.stdout)
	if p.code != 0 || m == nil {
		t.Fatalf("predict: exit %d\n%s%s", p.code, p.stdout, p.stderr)
	}
	if c, _ := strconv.Atoi(m[1]); fashionmnist.ClassNames()[c] != m[2] {
		t.Errorf("predict printed class %s named %q, which is %q", m[1], m[2], fashionmnist.ClassNames()[c])
	}
}
