// Command check writes the cases of the ONNX export check (check.sh): for
// each network, ONNX files in every variant (opset 17 and 13, NHWC and NCHW
// input), MNIST test images, and the probabilities goras predicts for them,
// which run.js then holds onnxruntime's to.
//
//	go run ./onnx/check -out DIR [-n 1000] [-load mlp=mlp.safetensors,lenet5=lenet5.safetensors]
//
// Networks: the zoo's mlp, lenet5, keras-convnet and best, the
// functional example's residual CNN, and networks of the layers those
// leave out (layers.go); and lenet5 and best quantized to int8
// (quantized.go). A network without -load keeps the
// weights drawn from seed 1, with its batch-normalization statistics and
// scales drawn away from their initial 0 and 1 (and PReLU's slopes from 0),
// so that every weight of the export matters, and its output kernel sharpened (checkcase.Sharpen). The custom-layer example writes its own cases from its
// test (see check.sh).
//
// DIR receives x.f32 (n images of 28×28 float32 pixels in [0, 1], the
// bytes of both (n, 28, 28, 1) and (n, 1, 28, 28): one channel), and for
// each network NAME.want.f32 (n×10 probabilities), NAME-opsetV-LAYOUT.onnx
// and an entry in manifest-zoo.json.
package main

import (
	"flag"
	"fmt"
	"log"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/onnx/check/checkcase"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

func main() {
	out := flag.String("out", "", "directory to write the cases to (required)")
	n := flag.Int("n", 1000, "number of MNIST test images")
	load := flag.String("load", "", "trained weights: comma-separated NAME=FILE.safetensors")
	flag.Parse()
	if *out == "" {
		log.Fatal("check: -out DIR is required")
	}
	if err := run(*out, *n, *load); err != nil {
		log.Fatal("check: ", err)
	}
}

func run(dir string, n int, load string) error {
	files := map[string]string{}
	for _, kv := range strings.Split(load, ",") {
		if name, file, ok := strings.Cut(kv, "="); ok {
			files[name] = file
		} else if kv != "" {
			return fmt.Errorf("-load takes NAME=FILE pairs, got %q", kv)
		}
	}
	train, test, err := mnist.LoadData()
	if err != nil {
		return err
	}
	x := test.X.Slice(0, min(n, test.X.N)).Float32()
	if err := checkcase.WriteImages(dir, x); err != nil {
		return err
	}
	var cases []checkcase.Case
	nets := map[string]*goras.Model{}
	for _, name := range append([]string{"mlp", "lenet5", "keras-convnet", "best", "functional"}, layerNetNames...) {
		m, trained, err := network(name, files[name])
		if err != nil {
			return err
		}
		nets[name] = m
		cs, err := checkcase.Write(dir, name, m, x, trained)
		if err != nil {
			return err
		}
		cases = append(cases, cs...)
	}
	if err := checkcase.WriteManifest(filepath.Join(dir, "manifest-zoo.json"), cases); err != nil {
		return err
	}
	return writeQuantized(dir, train.X.Slice(0, 500).Float32(), x, nets, files)
}

// network makes the named network, with trained weights from file if one
// is given.
func network(name, file string) (*goras.Model, bool, error) {
	if file != "" {
		m, err := saving.Load(file)
		return m, true, err
	}
	var m *goras.Model
	if f, ok := layerNets[name]; ok {
		m = f()
	} else if name == "functional" {
		var err error
		if m, err = functionalNet(); err != nil {
			return nil, false, err
		}
	} else {
		spec, err := applications.Get(name)
		if err != nil {
			return nil, false, err
		}
		m = goras.NewSequential(spec.Layers()...)
	}
	m.SetSeed(1)
	if err := m.Build(); err != nil {
		return nil, false, err
	}
	rng := tensor.NewRNG(7)
	for _, p := range m.Params() {
		lo, hi := 0.0, 0.0
		switch {
		case strings.HasSuffix(p.Name, "/moving_mean"), strings.HasSuffix(p.Name, "/beta"):
			lo, hi = -0.2, 0.2
		case strings.HasSuffix(p.Name, "/moving_variance"), strings.HasSuffix(p.Name, "/gamma"):
			lo, hi = 0.5, 1.5
		case strings.HasSuffix(p.Name, "/alpha"): // PReLU's slopes, 0 at first
			lo, hi = 0.05, 0.5
		default:
			continue
		}
		p.Value.FillUniform(rng, lo, hi)
	}
	checkcase.Sharpen(m)
	return m, false, nil
}

// functionalNet is the network of examples/functional (newModel there; a
// command's package cannot be imported): two residual blocks joined by
// layers.Add.
func functionalNet() (*goras.Model, error) {
	block := func(x *goras.KerasTensor, filters int) *goras.KerasTensor {
		y := goras.Call(layers.Conv2D(filters, 3, layers.WithPadding("same"), layers.WithActivation("relu")), x)
		y = goras.Call(layers.Conv2D(filters, 3, layers.WithPadding("same")), y)
		return goras.Call(layers.Activation("relu"), goras.Call(layers.Add(), x, y))
	}
	in := goras.Input(28, 28, 1)
	x := goras.Call(layers.Conv2D(32, 3, layers.WithPadding("same"), layers.WithActivation("relu")), in)
	x = goras.Call(layers.MaxPooling2D(), x)
	x = block(x, 32)
	x = goras.Call(layers.MaxPooling2D(), x)
	x = goras.Call(layers.Conv2D(64, 3, layers.WithPadding("same"), layers.WithActivation("relu")), x)
	x = block(x, 64)
	x = goras.Call(layers.Flatten(), x)
	out := goras.Call(layers.Dense(10, layers.WithActivation("softmax")), x)
	return goras.NewModel([]*goras.KerasTensor{in}, []*goras.KerasTensor{out})
}
