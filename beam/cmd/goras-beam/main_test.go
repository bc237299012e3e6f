package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/ensemble"
)

// TestMain initializes Beam; its pipelines run on prism, in this process.
func TestMain(m *testing.M) { ptest.Main(m) }

func runCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// goras-beam ensemble trains the seeds, prints the report ending in goras
// ensemble's line, whose figure is the models' average on the test set;
// goras-beam predict then reads pictures with one of them, reporting one
// that is not a picture with exit status 1.
func TestEnsembleThenPredict(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ens")
	code, stdout, stderr := runCmd("ensemble", "--recipe", "fast", "--seeds", "1-2", "--train", "2000", "--validation", "500",
		"--hyper", "filters1=4,filters2=8,dense=16,epochs=2,peak_rate=0.03,warmup_epochs=0", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	paths := []string{filepath.Join(out, "fast-1.safetensors"), filepath.Join(out, "fast-2.safetensors")}
	models, err := ensemble.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	_, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	probs, err := ensemble.Predict(models, test.X.WithChannelAxis())
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := ensemble.Accuracy(probs, test.Y)
	last := strings.Split(strings.TrimSpace(stdout), "\n")
	if want := fmt.Sprintf("ensemble of 2 models: test_accuracy: %.4f", acc); last[len(last)-1] != want {
		t.Errorf("last line %q, want %q", last[len(last)-1], want)
	}

	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("no"), 0o644)
	jsonl := filepath.Join(dir, "p.jsonl")
	code, _, stderr = runCmd("predict", "--model", paths[0], "--out", jsonl, bad, "--top", "2")
	if code != 1 || !strings.Contains(stderr, "bad.png is not a readable PNG, JPEG or GIF image") ||
		!strings.Contains(stderr, "1 pictures could not be read") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// Mistakes in the command line are refused before anything runs, saying
// what was expected.
func TestCommandLineMistakes(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"train"}, 2, `unknown command "train"; the commands are ensemble, kfold, predict, sweep`},
		{[]string{"ensemble", "--recipe", "fast"}, 1, "--out is required"},
		{[]string{"ensemble", "--recipe", "fast", "--seeds", "3-1", "--out", "x"}, 1, `want numbers and ranges like 1-5`},
		{[]string{"ensemble", "--recipe", "fast", "--hyper", "epochs:2", "--out", "x"}, 1, "--hyper takes KEY=VALUE pairs"},
		{[]string{"sweep", "--out", "x"}, 1, "sweep takes one sweep file, got 0 arguments"},
		{[]string{"kfold", "--recipe", "fast", "--folds", "1", "--out", "x"}, 1, "k-fold needs 2 ≤ Folds"},
		{[]string{"predict", "--model", "m.safetensors", "--out", "p.jsonl"}, 1, "nothing to predict"},
		{[]string{"ensemble", "--epochs", "3"}, 2, "flag provided but not defined: -epochs"},
	} {
		code, _, stderr := runCmd(c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d saying %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if code, stdout, _ := runCmd("help"); code != 0 || !strings.Contains(stdout, "ensemble  train one recipe") {
		t.Errorf("help: exit %d, %q", code, stdout)
	}
}
