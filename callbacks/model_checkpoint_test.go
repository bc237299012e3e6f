package callbacks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
)

func TestModelCheckpointSavesTheBest(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	c, err := callbacks.NewModelCheckpoint(filepath.Join(dir, "ck", "m-{epoch:02d}-{val_loss:.2f}.safetensors"),
		callbacks.ModelCheckpointConfig{SaveBestOnly: true, Verbose: 1, Output: &out})
	if err != nil {
		t.Fatal(err)
	}
	m := tinyModel(t, 0.1)
	drive(m, c, "val_loss", []float64{0.5, 0.4, 0.6, 0.3})
	want := []string{"m-01-0.50", "m-02-0.40", "m-04-0.30"}
	var got []string
	for _, p := range c.Saved() {
		got = append(got, strings.TrimSuffix(filepath.Base(p), ".safetensors"))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || c.Err() != nil {
		t.Fatalf("saved %v (err %v), want %v", got, c.Err(), want)
	}
	// Each file holds the weights of its epoch (drive sets seed 100+e).
	for i, e := range []uint64{0, 1, 3} {
		loaded, err := saving.Load(c.Saved()[i])
		if err != nil {
			t.Fatal(err)
		}
		setWeights(m, 100+e)
		if !sameBits(weights(loaded), weights(m)) {
			t.Errorf("%s does not hold epoch %d's weights", want[i], e)
		}
	}
	p := c.Saved()
	msgs := "\nEpoch 1: val_loss improved from inf to 0.50000, saving model to " + p[0] + "\n" +
		"\nEpoch 1: finished saving model to " + p[0] + "\n" +
		"\nEpoch 2: val_loss improved from 0.50000 to 0.40000, saving model to " + p[1] + "\n" +
		"\nEpoch 2: finished saving model to " + p[1] + "\n" +
		"\nEpoch 3: val_loss did not improve from 0.40000\n" +
		"\nEpoch 4: val_loss improved from 0.40000 to 0.30000, saving model to " + p[2] + "\n" +
		"\nEpoch 4: finished saving model to " + p[2] + "\n"
	if out.String() != msgs {
		t.Errorf("messages\n%q\nwant\n%q", out.String(), msgs)
	}
	// The best is kept between fits: a worse model never overwrites.
	drive(m, c, "val_loss", []float64{0.35})
	if len(c.Saved()) != 3 {
		t.Errorf("a second fit saved a worse model: %v", c.Saved())
	}
}

func TestModelCheckpointEveryEpochAndThreshold(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "last.weights.safetensors")
	c, _ := callbacks.NewModelCheckpoint(path, callbacks.ModelCheckpointConfig{SaveWeightsOnly: true})
	m := tinyModel(t, 0.1)
	drive(m, c, "val_loss", []float64{0.5, 0.4, 0.6})
	if len(c.Saved()) != 3 {
		t.Errorf("saved %d times, want every epoch", len(c.Saved()))
	}
	last := weights(m)
	setWeights(m, 7)
	if err := saving.LoadWeights(m, path); err != nil {
		t.Fatal(err)
	}
	if !sameBits(weights(m), last) {
		t.Error("the file does not hold the last epoch's weights")
	}
	// Max mode with a threshold: only 0.95 beats 0.9.
	c, _ = callbacks.NewModelCheckpoint(filepath.Join(dir, "{epoch}-{val_accuracy:.3f}.safetensors"),
		callbacks.ModelCheckpointConfig{Monitor: "val_accuracy", SaveBestOnly: true, InitialValueThreshold: new(0.9)})
	drive(m, c, "val_accuracy", []float64{0.5, 0.9, 0.95, 0.93})
	if len(c.Saved()) != 1 || filepath.Base(c.Saved()[0]) != "3-0.950.safetensors" {
		t.Errorf("saved %v, want only 3-0.950.safetensors", c.Saved())
	}
}

func TestModelCheckpointErrors(t *testing.T) {
	for path, want := range map[string]string{
		"model.keras":               "must end in .safetensors",
		"m-{epoch:02x}.safetensors": "unsupported format spec",
		"m-{epoch.safetensors":      "unclosed",
	} {
		if _, err := callbacks.NewModelCheckpoint(path, callbacks.ModelCheckpointConfig{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", path, err, want)
		}
	}
	if _, err := callbacks.NewModelCheckpoint("m.safetensors", callbacks.ModelCheckpointConfig{Monitor: "val_thing"}); err == nil {
		t.Error("undecidable monitor accepted in auto mode")
	}
	// A placeholder with no value: the error names what is available,
	// and training stops.
	var warn bytes.Buffer
	c, _ := callbacks.NewModelCheckpoint(filepath.Join(t.TempDir(), "{val_acc:.2f}.safetensors"), callbacks.ModelCheckpointConfig{Warnings: &warn})
	m := tinyModel(t, 0.1)
	if run := drive(m, c, "val_loss", []float64{1, 2, 3}); run != 1 || c.Err() == nil {
		t.Fatalf("ran %d epochs, err %v; want a stop after the first", run, c.Err())
	}
	if !strings.Contains(warn.String(), "field {val_acc}: no such value; available: epoch, other, val_loss") {
		t.Errorf("message %q", warn.String())
	}
	// A directory in the way, found before the first epoch.
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "x.safetensors"), 0o755)
	c, _ = callbacks.NewModelCheckpoint(filepath.Join(dir, "x.safetensors"), callbacks.ModelCheckpointConfig{Warnings: io.Discard})
	if run := drive(m, c, "val_loss", []float64{1}); run != 0 || c.Err() == nil || !strings.Contains(c.Err().Error(), "is a directory") {
		t.Errorf("ran %d epochs, err %v; want a stop before the first", run, c.Err())
	}
	// A folder that cannot be made (a file in the way), found before the
	// first epoch whether or not the name has placeholders; a folder with
	// placeholders is known only when the epoch ends.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, path := range []string{filepath.Join(file, "m.safetensors"), filepath.Join(file, "m-{epoch:02d}.safetensors")} {
		c, _ = callbacks.NewModelCheckpoint(path, callbacks.ModelCheckpointConfig{Warnings: io.Discard})
		if run := drive(m, c, "val_loss", []float64{1, 2}); run != 0 || c.Err() == nil || !strings.Contains(c.Err().Error(), "not a directory") {
			t.Errorf("%s: ran %d epochs, err %v; want a stop before the first", path, run, c.Err())
		}
	}
	c, _ = callbacks.NewModelCheckpoint(filepath.Join(file, "{epoch}", "m.safetensors"), callbacks.ModelCheckpointConfig{Warnings: io.Discard})
	if run := drive(m, c, "val_loss", []float64{1, 2}); run != 1 || c.Err() == nil {
		t.Errorf("a folder named by the epoch: ran %d epochs, err %v; want a stop after the first", run, c.Err())
	}
	// The probe leaves nothing behind.
	c, _ = callbacks.NewModelCheckpoint(filepath.Join(dir, "new", "m-{epoch:02d}.safetensors"), callbacks.ModelCheckpointConfig{Warnings: io.Discard})
	c.SetModel(m)
	c.OnTrainBegin(goras.Logs{})
	if entries, err := os.ReadDir(filepath.Join(dir, "new")); err != nil || len(entries) != 0 || c.Err() != nil {
		t.Errorf("after OnTrainBegin the folder holds %v (%v), err %v; want it made and empty", entries, err, c.Err())
	}
}

// TestCheckpointAndEarlyStoppingAgree trains for real: the best checkpoint
// (SaveBestOnly on val_loss) and the weights EarlyStopping restores are the
// same epoch's, bit for bit.
func TestCheckpointAndEarlyStoppingAgree(t *testing.T) {
	x, y := blobs(120, 2)
	m := goras.NewSequential(layers.Input(4), layers.Dense(8, layers.WithActivation("relu")),
		layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(5)
	opt, _ := optimizers.NewSGD(optimizers.LearningRate(10))
	if err := m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	es, _ := callbacks.NewEarlyStopping(callbacks.EarlyStoppingConfig{Patience: 2, RestoreBestWeights: true})
	ck, _ := callbacks.NewModelCheckpoint(filepath.Join(t.TempDir(), "best-{epoch}.safetensors"), callbacks.ModelCheckpointConfig{SaveBestOnly: true})
	h, err := m.Fit(context.Background(), x, y, goras.Epochs(20), goras.BatchSize(8), goras.ValidationSplit(0.25),
		goras.Verbose(0), goras.Warnings(io.Discard), goras.Callbacks(ck, es))
	if err != nil {
		t.Fatal(err)
	}
	saved := ck.Saved()
	t.Logf("val_loss %v; saved %v; best epoch %d", h.History["val_loss"], saved, es.BestEpoch())
	if want := fmt.Sprintf("best-%d.safetensors", es.BestEpoch()+1); filepath.Base(saved[len(saved)-1]) != want {
		t.Fatalf("last checkpoint %s, want %s", saved[len(saved)-1], want)
	}
	best, err := saving.Load(saved[len(saved)-1])
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(weights(best), weights(m)) {
		t.Error("restored weights differ from the best checkpoint's")
	}
}
