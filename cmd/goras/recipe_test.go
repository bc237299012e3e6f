package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras/recipes"
	"github.com/goras-ml/goras/saving"
)

func TestRecipesAreModels(t *testing.T) {
	for model, params := range map[string]string{"best": "862,634", "best-long": "862,634", "fast": "207,450"} {
		r := cli(t, "summary", "--model", model)
		if r.code != 0 || !strings.Contains(r.stdout, "Total params: "+params) {
			t.Errorf("summary --model %s: exit %d, want %s params:\n%s%s", model, r.code, params, r.stdout, r.stderr)
		}
	}
	help := cli(t, "train", "--help")
	if !strings.Contains(help.stdout, "best: the bounty recipe, ≥ 99.5 %") || !strings.Contains(help.stdout, "fast: ") {
		t.Errorf("train --help does not list the recipes:\n%s", help.stdout)
	}
}

func TestRecipeRefusesFlagsItFixes(t *testing.T) {
	for _, flags := range [][]string{
		{"--epochs", "20"}, {"--optimizer", "sgd"}, {"--learning-rate", "0.1"}, {"--batch-size", "64"}, {"--checkpoint-dir", t.TempDir()},
	} {
		r := cli(t, append([]string{"train", "--model", "best"}, flags...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "fixed recipe") || !strings.Contains(r.stderr, flags[0]) || r.stdout != "" {
			t.Errorf("train --model best %v: exit %d, stderr %q", flags, r.code, r.stderr)
		}
	}
}

// TestEnsemble trains two small models from different seeds and checks that
// `goras ensemble` scores each, then their average.
func TestEnsemble(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	var paths []string
	for _, seed := range []string{"1", "2"} {
		p := filepath.Join(dir, "m"+seed+".safetensors")
		if r := cli(t, "train", "--limit", "10000", "--epochs", "2", "--verbose", "0", "--seed", seed,
			"--loss", "categorical_crossentropy", "--optimizer", "adam", "--output", p); r.code != 0 {
			t.Fatalf("train: exit %d\n%s", r.code, r.stderr)
		}
		paths = append(paths, p)
	}
	for _, extra := range [][]string{nil, {"--tta"}} {
		r := cli(t, append(append([]string{"ensemble"}, extra...), paths...)...)
		if r.code != 0 {
			t.Fatalf("ensemble %v: exit %d\n%s", extra, r.code, r.stderr)
		}
		line := regexp.MustCompile(`test_accuracy: (\d\.\d{4})`)
		m := line.FindAllStringSubmatch(r.stdout, -1)
		if len(m) != 3 || !strings.Contains(r.stdout, "ensemble of 2 models") {
			t.Fatalf("ensemble %v output:\n%s", extra, r.stdout)
		}
		var acc [3]float64
		for i := range m {
			acc[i], _ = strconv.ParseFloat(m[i][1], 64)
		}
		// Averaging two decent models lands near them, never far below both.
		if acc[2] < min(acc[0], acc[1])-0.01 || acc[0] < 0.8 || acc[1] < 0.8 {
			t.Errorf("ensemble %v accuracies %v", extra, acc)
		}
	}
	if r := cli(t, "ensemble", filepath.Join(dir, "missing.safetensors")); r.code != 1 || !strings.Contains(r.stderr, "missing.safetensors") {
		t.Errorf("missing file: exit %d, %q", r.code, r.stderr)
	}
}

func TestRecipeTrainsOnItsDataset(t *testing.T) {
	cases := []struct {
		recipe  recipes.Recipe
		given   bool
		dataset string
		want    string
	}{
		{recipes.Fashion(), false, "mnist", "fashion_mnist"},
		{recipes.Fashion(), true, "mnist", "mnist"},
		{recipes.Best(), false, "mnist", "mnist"},
		{recipes.Fast(), true, "fashion_mnist", "fashion_mnist"},
	}
	for _, c := range cases {
		if got := recipeDataset(c.recipe, c.given, c.dataset); got != c.want {
			t.Errorf("%s, --dataset %q given %v: trains on %q, want %q", c.recipe.Name, c.dataset, c.given, got, c.want)
		}
	}
}

// Ctrl-C stops a fixed recipe as it stops any model: the history, the curves
// and the model as trained so far are written and the model is scored on
// the test set, exit status 130 (all of it was lost, minutes into --model
// best, while train --help promised it).
func TestRecipeInterrupted(t *testing.T) {
	skipShort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	hist, plot, model := filepath.Join(dir, "h.csv"), filepath.Join(dir, "c.png"), filepath.Join(dir, "fast.safetensors")
	var out bytes.Buffer
	// Interrupt as training starts: Fit stops after its first step.
	errOut := &cancelOn{key: "goras: recipe fast", cancel: cancel}
	code := run(ctx, []string{"train", "--model", "fast", "--verbose", "0", "--history", hist, "--plot", plot, "--output", model}, &out, errOut)
	r := result{code, out.String(), errOut.String()}
	if r.code != 130 || !strings.Contains(r.stderr, "goras: interrupted after 0 epochs of 3; evaluating the model as trained so far") ||
		!strings.HasSuffix(r.stderr, "goras: interrupted\n") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	scores(t, r.stdout)
	if b, err := os.ReadFile(hist); err != nil || string(b) != "epoch,seconds\n" {
		t.Errorf("history after an interruption in the first epoch: %q, %v", b, err)
	}
	if !strings.Contains(r.stderr, "no epoch finished, so no curves to draw in "+plot) {
		t.Errorf("stderr does not say why there are no curves:\n%s", r.stderr)
	}
	if _, err := saving.Load(model); err != nil {
		t.Errorf("the interrupted recipe's model: %v", err)
	}
}
