package main

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/saving"
)

// The tests of the NaN guard and of models whose weights are not finite
// (issue 14).

// The NaN guard stops at a non-finite loss, naming the epoch and step, and
// at the end of an epoch whose weights are no longer finite although the
// loss was; an epoch so stopped is not backed up.
func TestNaNGuard(t *testing.T) {
	_, m := tinyModel(t, t.TempDir(), "m.safetensors")
	var out bytes.Buffer
	g := newNaNGuard(&out, 5, 10)
	g.SetModel(m)
	g.OnTrainBegin(nil)
	g.OnEpochBegin(1, nil)
	g.OnTrainBatchEnd(5, goras.Logs{"loss": 0.3})
	g.OnEpochEnd(1, goras.Logs{"loss": 0.3})
	if g.Err() != nil || m.StopTraining {
		t.Fatalf("finite run stopped: %v", g.Err())
	}
	g.OnTrainBatchEnd(6, goras.Logs{"loss": math.NaN()})
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "training stopped at epoch 2/5, step 7/10: the loss became NaN") || !m.StopTraining {
		t.Errorf("NaN loss: %v, StopTraining %v", err, m.StopTraining)
	}
	if out.String() != "Batch 6: Invalid loss, terminating training\n" {
		t.Errorf("TerminateOnNaN's message: %q", out.String())
	}

	dir := t.TempDir()
	_, m = tinyModel(t, dir, "m.safetensors")
	g = newNaNGuard(io.Discard, 5, 10)
	backup, err := callbacks.NewBackupAndRestore(filepath.Join(dir, "ckpt"), callbacks.BackupAndRestoreConfig{Keep: -1})
	if err != nil {
		t.Fatal(err)
	}
	cbs := []goras.Callback{g, noNaNBackup{backup, g}}
	for _, c := range cbs {
		c.SetModel(m)
		c.OnTrainBegin(nil)
		c.OnEpochBegin(0, nil)
	}
	for _, c := range cbs {
		c.OnEpochEnd(0, goras.Logs{"loss": 0.3})
	}
	m.Params()[1].Value.Data()[3] = float32(math.Inf(-1))
	for _, c := range cbs {
		c.OnEpochBegin(1, nil)
		c.OnTrainBatchEnd(9, goras.Logs{"loss": 0.3})
	}
	for _, c := range cbs {
		c.OnEpochEnd(1, goras.Logs{"loss": 0.3})
	}
	want := "training stopped at the end of epoch 2/5 (step 10/10): weight " + m.Params()[1].Name + " holds -Inf although the loss stayed finite"
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), want) || !m.StopTraining {
		t.Errorf("non-finite weight: %v; want %q", err, want)
	}
	if got := dirNames(t, filepath.Join(dir, "ckpt")); !slices.Equal(got, []string{"ckpt-0001.safetensors"}) {
		t.Errorf("backups %v; want epoch 1's only", got)
	}
}

// predict and evaluate call a model with NaN weights broken, not a model
// without softmax.
func TestNaNModelIsBroken(t *testing.T) {
	dir := t.TempDir()
	_, m := tinyModel(t, dir, "ok.safetensors")
	m.Params()[0].Value.Data()[100] = float32(math.NaN())
	broken := filepath.Join(dir, "nan.safetensors")
	if err := saving.Save(m, broken); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(dir, "one.png")
	barPicture(t, pic)
	want := broken + " is broken: its weight " + m.Params()[0].Name + " holds NaN"
	wantFail(t, want, "predict", broken, pic)
	wantFail(t, want, "evaluate", broken)
}

// A learning rate of 1e30 makes the loss NaN within the first epoch:
// training stops there, says where, exits 1 and does not save the model;
// the history, which shows the divergence, is written.
func TestTrainStopsAtNaN(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	out, hist := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "h.csv")
	r := cli(t, "train", "--learning-rate", "1e30", "--limit", "500", "--epochs", "3", "--verbose", "0", "--output", out, "--history", hist)
	stop := regexp.MustCompile(`goras: training stopped at epoch 1/3, step [1-5]/5: the loss became (NaN|[+-]Inf)`)
	if r.code != 1 || !stop.MatchString(r.stderr) || !strings.Contains(r.stderr, "The model was not saved to "+out) {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "test_loss") || !strings.Contains(r.stdout, "Invalid loss, terminating training") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the NaN model was saved: %v", err)
	}
	if _, err := os.Stat(hist); err != nil {
		t.Errorf("no history: %v", err)
	}
}
