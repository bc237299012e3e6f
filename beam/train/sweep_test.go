package train

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	// memfs stands for a remote file system (gs://, s3://) in the tests.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"
	"github.com/goras-ml/goras/beam/internal/beamfs"
	"github.com/goras-ml/goras/crossval"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/recipes"
)

func TestParseSeeds(t *testing.T) {
	for in, want := range map[string]Seeds{"1-5": {1, 2, 3, 4, 5}, "4": {4}, "1,3,7-9": {1, 3, 7, 8, 9}, " 2 , 0": {2, 0}} {
		got, err := ParseSeeds(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseSeeds(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5-1", "a", "1-", "-3", "1-100000"} {
		if _, err := ParseSeeds(in); err == nil {
			t.Errorf("ParseSeeds(%q) gave no error", in)
		}
	}
}

// A sweep file expands into the grid's product × seeds, IDs naming the
// point, in a fixed order; unknown keys and hyper-parameters are refused.
func TestSweepJobs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweep.json")
	os.WriteFile(path, []byte(`{"recipe": "fast", "seeds": "1-2", "grid": {"peak_rate": [0.002, 0.003], "dense": [64]},
		"hyper": {"epochs": 2}}`), 0o644)
	s, err := ReadSweep(path)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := s.Jobs("out")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID)
	}
	want := []string{"fast-dense64-peak_rate0.002-1", "fast-dense64-peak_rate0.002-2", "fast-dense64-peak_rate0.003-1", "fast-dense64-peak_rate0.003-2"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("IDs %v, want %v", ids, want)
	}
	if h := jobs[3].Hyper; !reflect.DeepEqual(h, map[string]float64{"epochs": 2, "dense": 64, "peak_rate": 0.003}) {
		t.Errorf("last job's hyper-parameters %v", h)
	}
	if c := jobs[3].Config(); c != "fast dense=64 epochs=2 peak_rate=0.003" {
		t.Errorf("Config %q", c)
	}
	ens, _ := Sweep{Recipe: "best-long", Seeds: Seeds{1, 2}}.Jobs("o")
	if ens[1].ID != "best-long-2" || ens[1].Train != 0 {
		t.Errorf("ensemble job %+v, want ID best-long-2 on the protocol's split", ens[1])
	}
	for body, msg := range map[string]string{
		`{"recipe": "fast", "grids": {}}`:                 `unknown field "grids"`,
		`{"recipe": "fast", "grid": {"lr": [1]}}`:         `unknown hyper-parameter "lr" for a recipe`,
		`{"model": "mlp", "hyper": {"dense": 3}}`:         `unknown hyper-parameter "dense" for a network`,
		`{"recipe": "fast", "hyper": {"epochs": 1.5}}`:    `must be a whole number, got 1.5`,
		`{"recipe": "fastest"}`:                           `no recipe "fastest"`,
		`{"model": "best"}`:                               `best is a recipe`,
		`{"recipe": "fast", "train": 58000}`:              `together at most 60000`,
		`{"recipe": "fast", "folds": 3, "validation": 9}`: `leave Validation 0`,
		`{"recipe": "fashion"}`:                           `recipe fashion trains on fashion_mnist, and goras-beam's jobs read MNIST only`,
	} {
		os.WriteFile(path, []byte(body), 0o644)
		s, err := ReadSweep(path)
		if err == nil {
			_, err = s.Jobs("out")
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one saying %q", body, err, msg)
		}
	}
}

// A k-fold job's validation images are crossval's held-out fold and its
// training images the other folds, in order.
func TestFoldSplitIsCrossval(t *testing.T) {
	folds, err := crossval.Splitter{K: 4}.Split(1001)
	if err != nil {
		t.Fatal(err)
	}
	for f := range folds {
		sp, err := Job{ID: "x", Folds: 4, Fold: f, Train: 1001}.split()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sp.val, folds[f].Test) || !reflect.DeepEqual(sp.train, folds[f].Train) {
			t.Errorf("fold %d differs from crossval's", f)
		}
	}
	d := mnist.Dataset{X: &mnist.Images{N: 3, Rows: 1, Cols: 2, Pixels: []uint8{1, 2, 3, 4, 5, 6}}, Y: mnist.Labels{7, 8, 9}}
	g := gather(d, []int{2, 0})
	if !reflect.DeepEqual(g.X.Pixels, []uint8{5, 6, 1, 2}) || !reflect.DeepEqual(g.Y, mnist.Labels{9, 7}) {
		t.Errorf("gather gave %v %v", g.X.Pixels, g.Y)
	}
}

// With the protocol's split (the first 55,000 images, validation on the
// last 5,000), a job's model is the one recipes.Recipe.Run trains from the
// same seed, bit for bit, and so is `goras train --model NAME --seed N`'s.
func TestFitFollowsRecipeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice on 55,000 images")
	}
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	hyper := map[string]float64{}
	for k, v := range tinyHyper {
		hyper[k] = v
	}
	hyper["epochs"] = 1
	got, err := Fit(context.Background(), Job{ID: "p", Recipe: "fast", Seed: 9, Hyper: hyper, Out: "unused"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := tinyRecipe()
	r.Epochs = 1
	want, err := r.Run(context.Background(), 9, train, test, recipes.RunOptions{SkipTest: true, Output: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sameWeights(t, "protocol", got.Model, want.Model)
	if v, _ := want.History.Last("val_accuracy"); got.Result.ValAccuracy != v {
		t.Errorf("val_accuracy %v, Recipe.Run's %v", got.Result.ValAccuracy, v)
	}
}

// A sweep on prism chooses the point with the best validation accuracy and
// scores only its model on the test set; a k-fold run validates each fold
// model on its own fold and scores the chosen point's fold models.
func TestSweepAndKFoldOnPrism(t *testing.T) {
	out := t.TempDir()
	s := Sweep{Recipe: "fast", Seeds: Seeds{1}, Hyper: tinyHyper, Train: 1500, Validation: 500,
		Grid: map[string][]float64{"dense": {8, 16}}}
	s.Hyper = copyHyper(tinyHyper, "dense") // the grid sets dense
	jobs, err := s.Jobs(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), jobs, out, false); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(out, ResultsFile))
	best, tested := "", 0
	bestVal := -1.0
	for _, r := range rows {
		v, _ := strconv.ParseFloat(r["val_accuracy"], 64)
		if v > bestVal {
			best, bestVal = r["id"], v
		}
		if r["test_accuracy"] != "" {
			tested++
		}
	}
	for _, r := range rows {
		if (r["test_accuracy"] != "") != (r["id"] == best) || tested != 1 {
			t.Errorf("row %s has test accuracy %q; only the best on validation, %s, may be tested", r["id"], r["test_accuracy"], best)
		}
	}

	kout := t.TempDir()
	k := Sweep{Recipe: "fast", Seeds: Seeds{2}, Hyper: tinyHyper, Train: 1500, Folds: 3}
	if jobs, err = k.Jobs(kout); err != nil {
		t.Fatal(err)
	}
	report, err := Run(context.Background(), jobs, kout, false)
	if err != nil {
		t.Fatal(err)
	}
	rows = readCSV(t, filepath.Join(kout, ResultsFile))
	if len(rows) != 3 || !strings.Contains(report, "ensemble of 3 models: test_accuracy:") || strings.Contains(report, "val_accuracy: ") {
		t.Errorf("k-fold report:\n%s", report)
	}
	for f, r := range rows {
		if r["fold"] != strconv.Itoa(f) || r["test_accuracy"] == "" {
			t.Errorf("fold row %v", r)
		}
	}
}

func copyHyper(h map[string]float64, without string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range h {
		if k != without {
			out[k] = v
		}
	}
	return out
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, k := range recs[0] {
			row[k] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// A job whose data and output live on a remote file system (memfs, Beam's
// in-memory one, standing for gs:// or s3://) reads MNIST and writes its
// model and report through Beam's file systems, and trains the same model.
func TestRemoteDataAndOutput(t *testing.T) {
	ctx := context.Background()
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	files := mnist.Files()
	for i, d := range []mnist.Dataset{train, test} {
		if err := beamfs.WriteBytes(ctx, "memfs://mnist/"+files[2*i].RawName(), idxImages(d.X)); err != nil {
			t.Fatal(err)
		}
		if err := beamfs.WriteBytes(ctx, "memfs://mnist/"+files[2*i+1].RawName(), idxLabels(d.Y)); err != nil {
			t.Fatal(err)
		}
	}
	j := Job{ID: "remote", Recipe: "fast", Seed: 4, Hyper: tinyHyper, Train: 2000, Validation: 500,
		Data: "memfs://mnist", Out: "memfs://runs"}
	report, err := Run(ctx, []Job{j}, "memfs://runs", false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report, "memfs://runs/remote.safetensors: test_accuracy: ") {
		t.Errorf("report:\n%s", report)
	}
	got, err := loadModel(ctx, "memfs://runs/remote.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := sequential(t, train, 4, 2000, 500)
	sameWeights(t, "remote", got, want)
}

// idxImages and idxLabels encode a data set as the canonical raw IDX files,
// whose SHA-256 mnist.LoadData checks.
func idxImages(im *mnist.Images) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0x803)
	for _, v := range []int{im.N, im.Rows, im.Cols} {
		b = binary.BigEndian.AppendUint32(b, uint32(v))
	}
	return append(b, im.Pixels...)
}

func idxLabels(y mnist.Labels) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0x801)
	b = binary.BigEndian.AppendUint32(b, uint32(len(y)))
	return append(b, y...)
}
