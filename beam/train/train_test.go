package train

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/ensemble"
	"github.com/goras-ml/goras/recipes"
	"github.com/goras-ml/goras/saving"
)

// tinyHyper shrinks the fast recipe's CNN to 4 and 8 filters and a dense
// layer of 16, one epoch: seconds of training on 2,000 images.
var tinyHyper = map[string]float64{"filters1": 4, "filters2": 8, "dense": 16, "epochs": 3, "peak_rate": 0.03, "warmup_epochs": 0}

// tinyRecipe is the same network written with package recipes alone, for
// the sequential reference.
func tinyRecipe() recipes.Recipe {
	r := recipes.Fast()
	r.Config.Filters, r.Config.Dense, r.Epochs = [2]int{4, 8}, 16, 3
	r.Config.PeakRate, r.Config.WarmupEpochs = 0.03, 0
	return r
}

// sequential trains the tiny recipe from seed on the first n training
// images, validating on the last v, one after another in this goroutine,
// with goras alone: what the pipeline's models must equal bit for bit.
func sequential(t *testing.T, train mnist.Dataset, seed uint64, n, v int) (*goras.Model, *goras.History) {
	t.Helper()
	return sequentialRecipe(t, tinyRecipe(), train, seed, n, v)
}

// sequentialRecipe is sequential for the recipe r.
func sequentialRecipe(t *testing.T, r recipes.Recipe, train mnist.Dataset, seed uint64, n, v int) (*goras.Model, *goras.History) {
	t.Helper()
	m, err := r.Build(seed)
	if err != nil {
		t.Fatal(err)
	}
	x := train.X.WithChannelAxis()
	y, err := mnist.ToCategorical(train.Y[:n], 10)
	if err != nil {
		t.Fatal(err)
	}
	vy, err := mnist.ToCategorical(train.Y[MNISTTrain-v:], 10)
	if err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(context.Background(), x.Slice(0, n), y, goras.Epochs(r.Epochs), goras.BatchSize(r.BatchSize),
		goras.ValidationData(x.Slice(MNISTTrain-v, MNISTTrain), vy), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	return m, h
}

// sameWeights fails unless the two models hold the same weights bit for bit.
func sameWeights(t *testing.T, name string, got, want *goras.Model) {
	t.Helper()
	g, w := got.Params(), want.Params()
	if len(g) != len(w) {
		t.Fatalf("%s: %d weights, want %d", name, len(g), len(w))
	}
	for i := range g {
		gd, wd := g[i].Value.Data(), w[i].Value.Data()
		if len(gd) != len(wd) {
			t.Fatalf("%s: weight %d holds %d values, want %d", name, i, len(gd), len(wd))
		}
		for k := range gd {
			if math.Float32bits(gd[k]) != math.Float32bits(wd[k]) {
				t.Fatalf("%s: weight %d[%d] = %v, sequential training gave %v", name, i, k, gd[k], wd[k])
			}
		}
	}
}

// A 3-seed ensemble trained by the pipeline on prism gives the models that
// training the seeds one after another gives, bit for bit, and the report
// states their validation and test figures as computed here directly.
func TestEnsembleOnPrismEqualsSequentialTraining(t *testing.T) {
	out := t.TempDir()
	const n, v = 2000, 500
	var jobs []Job
	for seed := uint64(1); seed <= 3; seed++ {
		jobs = append(jobs, Job{ID: fmt.Sprintf("tiny-%d", seed), Recipe: "fast", Seed: seed, Hyper: tinyHyper,
			Train: n, Validation: v, Out: out})
	}
	report, err := Run(context.Background(), jobs, out, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + report)
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	var members []ensemble.Model
	for _, j := range jobs {
		want, h := sequential(t, train, j.Seed, n, v)
		got, err := saving.Load(filepath.Join(out, j.ID+".safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		sameWeights(t, j.ID, got, want)
		val, _ := h.Last("val_accuracy")
		acc := testAccuracy(t, []ensemble.Model{want}, test)
		for _, line := range []string{fmt.Sprintf("%.4f", val), fmt.Sprintf("%s.safetensors: test_accuracy: %.4f", j.ID, acc)} {
			if !strings.Contains(report, line) {
				t.Errorf("report lacks %q", line)
			}
		}
		if _, err := os.Stat(filepath.Join(out, j.ID+".history.json")); err != nil {
			t.Error(err)
		}
		members = append(members, want)
	}
	line := fmt.Sprintf("ensemble of 3 models: test_accuracy: %.4f", testAccuracy(t, members, test))
	if !strings.Contains(report, line) {
		t.Errorf("report lacks %q", line)
	}
}

func testAccuracy(t *testing.T, models []ensemble.Model, test mnist.Dataset) float64 {
	t.Helper()
	probs, err := ensemble.Predict(models, test.X.WithChannelAxis(), ensemble.WithBatchSize(1000))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := ensemble.Accuracy(probs, test.Y)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// An output directory that cannot be written (here a path under a regular
// file) used to be found when each job had trained and came to save its
// model: hours of a sweep lost. Run must refuse it before any job starts,
// whether it is the report's directory or one job's.
func TestRunRefusesUnwritableOutBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(file, "out")
	job := func(out string) Job {
		return Job{ID: "tiny-1", Recipe: "fast", Seed: 1, Hyper: tinyHyper, Train: 2000, Validation: 500, Out: out}
	}
	for _, c := range []struct{ reportOut, jobOut string }{{bad, dir}, {dir, bad}} {
		_, err := Run(context.Background(), []Job{job(c.jobOut)}, c.reportOut, false)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "no job was started") {
			t.Errorf("report to %s, job's files to %s: error %v, want one naming %s before any job started", c.reportOut, c.jobOut, err, bad)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the writable directory holds %d files, want only %s (no model, no probe left)", len(ents), file)
	}
}
