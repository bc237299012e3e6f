package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
)

// The models the tests share: tinyModel, a small untrained one saved on
// the spot, and lenetModel, a LeNet-5 trained once per test binary, which
// TestMain removes at the end.

// tinyModel saves a compiled, untrained Flatten → Dense(10, softmax) model
// (its outputs are probabilities) to dir/name and returns the path and the
// model.
func tinyModel(t *testing.T, dir, name string) (string, *goras.Model) {
	t.Helper()
	m := goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(5)
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := saving.Save(m, p); err != nil {
		t.Fatal(err)
	}
	return p, m
}

// A LeNet-5 trained once for the tests that use a model: one epoch on the
// first 30,000 training digits, batch 64, seed 7 (about 8 s on two shared
// cores; 0.97 on the test set when written).
var lenet struct {
	once sync.Once
	path string
	err  string
}

func lenetModel(t *testing.T) string {
	t.Helper()
	skipShort(t)
	lenet.once.Do(func() {
		dir, err := os.MkdirTemp("", "goras-cli-test")
		if err != nil {
			lenet.err = err.Error()
			return
		}
		lenet.path = filepath.Join(dir, "lenet5.safetensors")
		args := []string{"train", "--model", "lenet5", "--limit", "30000", "--epochs", "1", "--batch-size", "64", "--seed", "7", "--verbose", "0", "--output", lenet.path}
		if r := cli(t, args...); r.code != 0 {
			lenet.err = fmt.Sprintf("goras %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	})
	if lenet.err != "" {
		t.Fatal(lenet.err)
	}
	return lenet.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if lenet.path != "" {
		os.RemoveAll(filepath.Dir(lenet.path))
	}
	os.Exit(code)
}
