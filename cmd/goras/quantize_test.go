package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/saving"
)

// smallConvnet is a convnet of the kinds quantize takes, weights from
// seed 3 (untrained: the command's arithmetic does not care).
func smallConvnet() *goras.Model {
	m := goras.NewSequential(layers.Input(28, 28, 1),
		layers.Conv2D(4, 3, layers.WithPadding("same"), layers.WithUseBias(false)), layers.BatchNormalization(), layers.Activation("relu"),
		layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(3)
	return m
}

// TestQuantizeCommand quantizes a saved model: the file it writes is the
// quantize package's model of the first --samples MNIST training images,
// bit for bit, and the comparison lines follow unless --evaluate=false.
func TestQuantizeCommand(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "net.safetensors")
	m := smallConvnet()
	if err := saving.Save(m, src); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "net-int8.safetensors")
	r := cliOK(t, "quantize", "--samples", "200", src, out)
	for _, want := range []string{"goras: quantized " + src, "on 200 mnist training images, wrote " + out,
		"test_accuracy: float32 0.", " - int8 0.", "same class for ", " of 10000\n", "predict: float32 "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	q, err := quantize.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	calib, _ := modelImages(train.X.Slice(0, 200), m)
	ref, err := quantize.Quantize(m, calib)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := modelImages(test.X.Slice(0, 300), m)
	a, _ := q.Predict(x)
	b, _ := ref.Predict(x)
	for i := range a.Data() {
		if math.Float32bits(a.Data()[i]) != math.Float32bits(b.Data()[i]) {
			t.Fatalf("output %d of the written model is %v, of the model quantized on the first 200 images %v", i, a.Data()[i], b.Data()[i])
		}
	}
	r = cliOK(t, "quantize", "--evaluate=false", src, out)
	if strings.Contains(r.stdout, "test_accuracy") || !strings.Contains(r.stdout, "wrote "+out) {
		t.Errorf("--evaluate=false printed:\n%s", r.stdout)
	}
}

// TestQuantizeCommandErrors checks each mistake's message and exit status.
func TestQuantizeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "net.safetensors")
	if err := saving.Save(smallConvnet(), src); err != nil {
		t.Fatal(err)
	}
	avg := filepath.Join(dir, "avg.safetensors")
	if err := saving.Save(goras.NewSequential(layers.Input(28, 28, 1), layers.AveragePooling2D(2, layers.WithName("avg")),
		layers.Flatten(), layers.Dense(10)), avg); err != nil {
		t.Fatal(err)
	}
	pets := filepath.Join(dir, "pets.safetensors")
	pm := smallConvnet()
	pm.SetClassNames([]string{"cat", "dog", "fish", "0", "1", "2", "3", "4", "5", "6"})
	if err := saving.Save(pm, pets); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.safetensors")
	// A link to MODEL_FILE: writing through it would replace the float
	// model with its int8 copy.
	link := filepath.Join(dir, "latest.safetensors")
	if err := os.Symlink("net.safetensors", link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"quantize", src}, "MODEL_FILE and OUTPUT_FILE, got 1"},
		{[]string{"quantize", "--samples", "0", src, out}, "--samples must be 1 to 60,000 training images, got 0"},
		{[]string{"quantize", src, src}, "is MODEL_FILE; write the quantized model to a new file, e.g. " + filepath.Join(dir, "net-int8.safetensors")},
		{[]string{"quantize", src, link}, "OUTPUT_FILE " + link + " is MODEL_FILE; write the quantized model to a new file"},
		{[]string{"quantize", src, filepath.Join(dir, "out.onnx")}, "OUTPUT_FILE " + filepath.Join(dir, "out.onnx") + ": the file name must end in .safetensors"},
		{[]string{"quantize", "--dataset", "cifar10", src, out}, `unknown --dataset "cifar10"`},
		{[]string{"quantize", filepath.Join(dir, "none.safetensors"), out}, "none.safetensors"},
		{[]string{"quantize", avg, out}, `layer "avg" (AveragePooling2D) cannot be quantized: only MaxPooling2D`},
		{[]string{"quantize", pets, out}, "the model's classes (cat, dog, fish, …) are neither MNIST's digits nor Fashion-MNIST's"},
	} {
		r := cli(t, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("goras %s: exit %d, stderr %q; want 1 and %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed quantize wrote %s", out)
	}
}

// TestQuantizeFashion calibrates a model carrying Fashion-MNIST's class
// names on Fashion-MNIST, and says so; the names travel to the file.
func TestQuantizeFashion(t *testing.T) {
	if _, err := os.Stat(fashionmnist.DebianDir); err != nil {
		t.Skip("Debian's Fashion-MNIST files are not installed")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "clothes.safetensors")
	m := smallConvnet()
	if err := m.SetClassNames(fashionmnist.ClassNames()); err != nil {
		t.Fatal(err)
	}
	if err := saving.Save(m, src); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "clothes-int8.safetensors")
	r := cliOK(t, "quantize", "--data-dir", fashionmnist.DebianDir, "--evaluate=false", src, out)
	if !strings.Contains(r.stderr, "the model's classes are Fashion-MNIST's; calibrating on its training images") ||
		!strings.Contains(r.stdout, "training images, wrote") || !strings.Contains(r.stdout, "fashion_mnist") {
		t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
	}
	q, err := quantize.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if names := q.ClassNames(); len(names) != 10 || names[9] != "Ankle boot" {
		t.Errorf("class names %v", names)
	}
}
