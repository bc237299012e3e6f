package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/saving"
)

// The tests of goras train --checkpoint-dir, --keep and --resume, and of
// the run settings written in the checkpoint directory.

// checkpointFiles lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// --checkpoint-dir writes one checkpoint per epoch and keeps the newest
// --keep; each holds the history up to its epoch.
func TestTrainCheckpointDir(t *testing.T) {
	skipShort(t)
	dir := filepath.Join(t.TempDir(), "ckpt") // created by train
	cliOK(t, "train", "--limit", "300", "--epochs", "4", "--verbose", "0", "--checkpoint-dir", dir, "--keep", "2")
	if got, want := dirNames(t, dir), []string{"ckpt-0003.safetensors", "ckpt-0004.safetensors", runFile}; !slices.Equal(got, want) {
		t.Fatalf("checkpoint directory holds %v, want %v", got, want)
	}
	_, ck, err := saving.LoadCheckpoint(filepath.Join(dir, "ckpt-0004.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 3 || !slices.Equal(ck.History.Epoch, []int{0, 1, 2, 3}) || len(ck.History.History["val_loss"]) != 4 {
		t.Errorf("the last checkpoint holds epoch %d and history epochs %v", ck.Epoch, ck.History.Epoch)
	}
	// A new run in the same directory is refused before it starts: it would
	// go on from the earlier run's checkpoints.
	r := cli(t, "train", "--limit", "300", "--epochs", "3", "--verbose", "0", "--checkpoint-dir", dir)
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, dir+" already holds 2 checkpoints of an earlier run (newest ckpt-0004.safetensors); add --resume") {
		t.Errorf("a new run in a used directory: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// --keep 0 keeps them all.
	dir = filepath.Join(filepath.Dir(dir), "all")
	cliOK(t, "train", "--limit", "300", "--epochs", "3", "--verbose", "0", "--checkpoint-dir", dir, "--keep", "0")
	if got, want := dirNames(t, dir), []string{"ckpt-0001.safetensors", "ckpt-0002.safetensors", "ckpt-0003.safetensors", runFile}; !slices.Equal(got, want) {
		t.Errorf("with --keep 0 the directory holds %v, want %v", got, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, runFile))
	if err != nil {
		t.Fatal(err)
	}
	var s runSettings
	if err := json.Unmarshal(b, &s); err != nil || s != (runSettings{Model: "mlp", Epochs: 3, BatchSize: 100, Limit: 300, Seed: 1, Dataset: "mnist"}) {
		t.Errorf("%s: %s (%v)", runFile, b, err)
	}
}

// sameWeights reports whether two model files hold the same tensors, bit
// for bit.
func sameWeights(t *testing.T, a, b string) bool {
	t.Helper()
	ma, err := saving.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := saving.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := ma.Params(), mb.Params()
	if len(pa) != len(pb) || len(pa) == 0 {
		t.Fatalf("%s has %d weights, %s %d", a, len(pa), b, len(pb))
	}
	for i := range pa {
		da, db := pa[i].Value.Data(), pb[i].Value.Data()
		if pa[i].Name != pb[i].Name || len(da) != len(db) {
			t.Fatalf("weight %d: %s vs %s", i, pa[i].Name, pb[i].Name)
		}
		for j := range da {
			if math.Float32bits(da[j]) != math.Float32bits(db[j]) {
				t.Logf("%s[%d]: %v vs %v", pa[i].Name, j, da[j], db[j])
				return false
			}
		}
	}
	return true
}

// One epoch, then --resume with --epochs 2, trains exactly as two epochs
// straight: the same weights bit for bit and the same test line. Adam's
// moments, its step count, the shuffling generator and Dropout's generator
// all have to come back for that. The history and curves cover both
// epochs.
func TestTrainResume(t *testing.T) {
	skipShort(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "ckpt")
	recipe := []string{"--loss", "categorical_crossentropy", "--optimizer", "adam", "--dropout", "0.2", "--limit", "1000", "--verbose", "2"}
	first := cliOK(t, append([]string{"train", "--epochs", "1", "--checkpoint-dir", dir}, recipe...)...)

	resumed, straight := filepath.Join(tmp, "resumed.safetensors"), filepath.Join(tmp, "straight.safetensors")
	hist, curves := filepath.Join(tmp, "h.csv"), filepath.Join(tmp, "curves.png")
	args := append([]string{"train", "--epochs", "2", "--checkpoint-dir", dir, "--resume",
		"--output", resumed, "--history", hist, "--plot", curves}, recipe...)
	r := cliOK(t, args...)
	ckpt1 := filepath.Join(dir, "ckpt-0001.safetensors")
	for _, want := range []string{"goras: resuming from " + ckpt1 + ", saved after epoch 1\n", "model resumed from " + ckpt1,
		"wrote the history of 2 epochs", "drew the curves of 2 epochs in " + curves} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("resuming with the same flags warned:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout, "Epoch 1/2") || strings.Count(r.stdout, "Epoch 2/2\n") != 1 {
		t.Errorf("the resumed run did not train epoch 2 alone:\n%s", r.stdout)
	}
	s := cliOK(t, append([]string{"train", "--epochs", "2", "--output", straight}, recipe...)...)
	if !sameWeights(t, resumed, straight) {
		t.Errorf("resumed weights differ from an uninterrupted run's")
	}
	scores(t, r.stdout)
	scores(t, s.stdout)
	lastLine := func(s string) string { l := strings.Split(strings.TrimSpace(s), "\n"); return l[len(l)-1] }
	if lastLine(r.stdout) != lastLine(s.stdout) {
		t.Errorf("test line resumed %q, straight %q", lastLine(r.stdout), lastLine(s.stdout))
	}
	// Epoch 2's progress line is the same too (but for the timings), and
	// epoch 1's numbers are kept in the history.
	epochLine := regexp.MustCompile(`accuracy: .*`)
	if a, b := epochLine.FindAllString(r.stdout, -1), epochLine.FindAllString(s.stdout, -1); len(a) != 2 || len(b) != 3 || a[0] != b[1] {
		t.Errorf("epoch 2 logged differently: resumed %q, straight %q", a, b)
	}
	header, rows := readCSV(t, hist)
	if len(rows) != 2 {
		t.Fatalf("history has %d epochs, want 2", len(rows))
	}
	valAcc := column(t, header, rows, "val_accuracy")
	first1 := regexp.MustCompile(`val_accuracy: (\d\.\d{4})`).FindStringSubmatch(first.stdout)
	if got := fmt.Sprintf("%.4f", valAcc[0]); first1 == nil || got != first1[1] {
		t.Errorf("history's epoch 1 val_accuracy %s, the first run printed %v", got, first1)
	}
	readPicture(t, curves, 600, 300)

	// Flags describing another model: the checkpoint's goes on, with a
	// warning. Its History, saved in the checkpoint, now has 3 epochs.
	w := cliOK(t, "train", "--epochs", "3", "--checkpoint-dir", dir, "--resume", "--verbose", "0")
	if !strings.Contains(w.stderr, "goras: warning: the flags describe another model, loss or optimizer than "+filepath.Join(dir, "ckpt-0002.safetensors")) ||
		!strings.Contains(w.stderr, "optimizer Adam") {
		t.Errorf("resuming with other flags: stderr\n%s", w.stderr)
	}
	_, ck, err := saving.LatestCheckpoint(dir)
	if err != nil || ck.Epoch != 2 || len(ck.History.Epoch) != 3 {
		t.Fatalf("after the third epoch: %v, %+v", err, ck)
	}
}

// A damaged newest checkpoint is passed over with a warning naming it, and
// training goes on from the one before; the interrupted run's --limit,
// --epochs and --batch-size are recalled. (A run killed before its first
// checkpoint: TestRunSettingsFirst.)
func TestTrainResumeFallbacks(t *testing.T) {
	skipShort(t)
	dir := filepath.Join(t.TempDir(), "ckpt")
	r := cliOK(t, "train", "--limit", "300", "--batch-size", "50", "--epochs", "2", "--checkpoint-dir", dir, "--verbose", "2")
	if !strings.Contains(r.stdout, "Epoch 1/2") {
		t.Errorf("the first run:\n%s\n%s", r.stdout, r.stderr)
	}
	newest := filepath.Join(dir, "ckpt-0002.safetensors")
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newest, b[:len(b)/2], 0o644); err != nil { // as a disk that lost its tail
		t.Fatal(err)
	}
	r = cliOK(t, "train", "--checkpoint-dir", dir, "--resume", "--verbose", "2")
	for _, want := range []string{"goras: warning: passed over a damaged checkpoint: ", newest,
		"resuming from " + filepath.Join(dir, "ckpt-0001.safetensors"), "training on 300 images", "batch_size 50, epochs 2"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "Epoch 2/2\n6/6 - ") || strings.Contains(r.stdout, "Epoch 1/2") {
		t.Errorf("did not train epoch 2 of 6 steps alone:\n%s", r.stdout)
	}
	// Nothing left to train: a note, and the checkpoint's model scored.
	r = cliOK(t, "train", "--checkpoint-dir", dir, "--resume", "--verbose", "2")
	if !strings.Contains(r.stderr, "the checkpoint has trained 2 epochs of 2 already; nothing left to train") || strings.Contains(r.stdout, "Epoch") {
		t.Errorf("resuming a finished run:\n%s\n%s", r.stdout, r.stderr)
	}
	scores(t, r.stdout)
}

// --checkpoint-dir on a looping or dangling symbolic link is refused before
// anything runs, saying what the link is.
func TestCheckpointDirLinks(t *testing.T) {
	dir := t.TempDir()
	a, b, dangling := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "gone")
	for _, l := range [][2]string{{b, a}, {a, b}, {filepath.Join(dir, "nowhere"), dangling}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	wantFail(t, "--checkpoint-dir "+a+" is a symbolic link that loops back on itself", "train", "--checkpoint-dir", a)
	wantFail(t, "--checkpoint-dir "+a+" is a symbolic link that loops back on itself", "train", "--checkpoint-dir", a, "--resume")
	wantFail(t, "--checkpoint-dir "+dangling+" is a symbolic link to "+filepath.Join(dir, "nowhere")+", which does not exist", "train", "--checkpoint-dir", dangling)
}

// failingWriter stands for a run killed at its first output: every write
// fails.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("killed") }

// The run's settings are written before anything else: a run that dies at
// its first line of output can be resumed as itself, and a directory
// without them is refused with --resume instead of training the default
// model.
func TestRunSettingsFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"train", "--model", "lenet5", "--epochs", "3", "--limit", "500", "--checkpoint-dir", dir}, failingWriter{}, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, runFile))
	if err != nil {
		t.Fatalf("no %s after a run that died at its first output: %v", runFile, err)
	}
	if !strings.Contains(string(b), `"model": "lenet5"`) {
		t.Errorf("%s: %s", runFile, b)
	}
	cmd, f := newTrainCmdFlags()
	if err := cmd.ParseFlags([]string{"--checkpoint-dir", dir, "--resume"}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r, ck, err := f.start(cmd.Flags().Changed, &log)
	if err != nil || ck != nil || r.spec.Name != "lenet5" || r.epochs != 3 || r.limit != 500 {
		t.Fatalf("resumed %+v, %v, %v; want lenet5, 3 epochs, limit 500, no checkpoint", r, ck, err)
	}
	if !strings.Contains(log.String(), "no checkpoint in "+dir+" yet; training from scratch") {
		t.Errorf("log: %q", log.String())
	}

	empty := t.TempDir()
	wantFail(t, "--resume: "+empty+" holds no goras-train.json, the settings goras train writes there before anything else, so there is no run to resume",
		"train", "--checkpoint-dir", empty, "--resume")
	wantFail(t, "holds no goras-train.json", "train", "--checkpoint-dir", filepath.Join(empty, "new"), "--resume")
}
