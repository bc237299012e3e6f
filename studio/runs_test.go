package studio

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/saving"
)

// runDetail is GET /api/runs/NAME.
type runDetail struct {
	runJSON
	History struct {
		Epoch   []int                 `json:"epoch"`
		Metrics map[string][]*float64 `json:"metrics"`
		Seconds []float64             `json:"seconds"`
	} `json:"history"`
	Batches []struct {
		X    float64            `json:"x"`
		Logs map[string]float64 `json:"logs"`
	} `json:"batches"`
}

func TestTrainingRun(t *testing.T) {
	ts := newTestServer(t, Options{})
	name, events := ts.trainRun(t, `{"name": "tiny", "network": "mlp", "optimizer": "adam", "learning_rate": 0.01,
		"loss": "categorical_crossentropy", "epochs": 2, "batch_size": 20, "train_size": 200, "validation_size": 50}`)
	if name != "tiny" {
		t.Fatalf("run name %q", name)
	}
	// 200 images in batches of 20: 10 steps per epoch, each a batch point.
	count := func(ev string) int {
		return len(slices.DeleteFunc(slices.Clone(events), func(e string) bool { return e != ev }))
	}
	if events[0] != "reset" || events[len(events)-1] != "end" || count("epoch") != 2 || count("batch") != 20 {
		t.Fatalf("events: %v", events)
	}
	var d runDetail
	ts.getJSON(t, "/api/runs/tiny", &d)
	if d.State != stateDone || d.Epochs != 2 || !d.HasModel || d.Settings.Epochs != 2 || d.Source != "studio" {
		t.Fatalf("run: %+v", d.runJSON)
	}
	acc := d.History.Metrics["val_accuracy"]
	if len(acc) != 2 || *acc[1] < 0.5 {
		t.Errorf("val_accuracy %v: the blocks are easy to tell apart, want ≥ 0.5 after 2 epochs", acc)
	}
	// The last batch point of an epoch is Fit's epoch mean: the history's loss.
	last := d.Batches[len(d.Batches)-1]
	if last.X != 2 || math.Abs(last.Logs["loss"]-*d.History.Metrics["loss"][1]) > 1e-9 {
		t.Errorf("last batch point %+v, epoch loss %v", last, *d.History.Metrics["loss"][1])
	}
	// The files a restart reads.
	for _, f := range []string{"run.json", "history.csv", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(ts.dir, "tiny", f)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(ts.dir, "tiny", lockFile)); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
	h, err := readHistory(filepath.Join(ts.dir, "tiny", "history.csv"))
	if err != nil || len(h.Epoch) != 2 || h.History["val_loss"][1] != d.Last["val_loss"].f() {
		t.Errorf("history.csv: %v %+v", err, h)
	}
	var cur map[string]string
	ts.getJSON(t, "/api/current", &cur)
	if cur["model"] != "tiny" {
		t.Errorf("the first run's model is not current: %v", cur)
	}
	// A second studio on the same folder (a restart) shows the run.
	again := newTestServer(t, Options{Dir: ts.dir})
	var runs []runJSON
	again.getJSON(t, "/api/runs", &runs)
	if len(runs) != 1 || runs[0].Name != "tiny" || runs[0].State != stateDone || runs[0].Epochs != 2 {
		t.Errorf("after restart: %+v", runs)
	}
	// The stream of a finished run says so and ends.
	if ev := again.readEvents(t, "tiny"); !slices.Equal(ev, []string{"reset", "state", "end"}) {
		t.Errorf("events of a finished run: %v", ev)
	}
	// One writer per run: the name is taken.
	code, b := ts.do(t, "POST", "/api/runs", strings.NewReader(`{"name": "tiny", "epochs": 1}`))
	wantError(t, "same name", code, b, http.StatusConflict, "exists already")
}

func (n jsonNum) f() float64 { return float64(n) }

func TestBadSettings(t *testing.T) {
	ts := newTestServer(t, Options{})
	for body, says := range map[string]string{
		`{"network": "resnet"}`:                                  "unknown network",
		`{"optimizer": "adabelief"}`:                             "unknown optimizer",
		`{"loss": "hinge2"}`:                                     "unknown loss",
		`{"epochs": -1}`:                                         "epochs must be from 1 to 1000",
		`{"batch_size": 100000}`:                                 "batch_size",
		`{"train_size": 70000}`:                                  "train_size",
		`{"dropout": 1}`:                                         "dropout",
		`{"learning_rate": -0.1}`:                                "learning_rate",
		`{"optimizer": "adam", "momentum": 0.9}`:                 "momentum is SGD's",
		`{"name": "../etc"}`:                                     "not valid",
		`{"network": "mlp", "from_model": "x"}`:                  "not both",
		`{"from_model": "nosuch"}`:                               "nosuch",
		`{"network": "mlp", "loss": "hinge2", "x": 1}`:           "unknown field",
		`{"network": "lenet5", "name": "a b"}`:                   "not valid",
		`{"network": "mlp", "optimizer": "adam", "momentum": 2}`: "momentum",
	} {
		code, b := ts.do(t, "POST", "/api/runs", strings.NewReader(body))
		if code < 400 || code >= 500 {
			t.Errorf("%s: %d %s", body, code, b)
			continue
		}
		wantError(t, body, code, b, code, says)
	}
	var runs []runJSON
	ts.getJSON(t, "/api/runs", &runs)
	if len(runs) != 0 {
		t.Errorf("refused settings left runs: %+v", runs)
	}
}

// A run asked for once Close has begun is refused, and leaves no folder:
// Close waits only for the jobs it found, so a later one would train on
// while the studio shuts down, and the process would exit in its midst.
func TestNoRunAfterClose(t *testing.T) {
	ts := newTestServer(t, Options{})
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}
	code, b := ts.do(t, "POST", "/api/runs", strings.NewReader(`{"name": "late", "epochs": 1, "train_size": 100}`))
	wantError(t, "a run after Close", code, b, http.StatusServiceUnavailable, "the studio is shutting down")
	if _, err := os.Stat(filepath.Join(ts.dir, "late")); !os.IsNotExist(err) {
		t.Errorf("the refused run left its folder: %v", err)
	}
}

func TestStopRun(t *testing.T) {
	// Two slots, so that the second start on the running run's name meets
	// the name's guard, not the limit of runs training at once.
	ts := newTestServer(t, Options{MaxTraining: 2})
	code, b := ts.do(t, "POST", "/api/runs", strings.NewReader(`{"name": "long", "epochs": 1000, "batch_size": 1, "train_size": 300, "validation_size": 10}`))
	if code != http.StatusCreated {
		t.Fatalf("start: %d %s", code, b)
	}
	// A second job on the running run is refused.
	code, b = ts.do(t, "POST", "/api/runs", strings.NewReader(`{"name": "long"}`))
	wantError(t, "second writer", code, b, http.StatusConflict, "exists already")
	// Polled until a batch is recorded and the epoch's progress line is
	// drawn (it is empty for a moment as each epoch begins), each answer
	// read into a new value: omitted fields must not keep an old answer's.
	var d runDetail
	for deadline := time.Now().Add(30 * time.Second); ; {
		d = runDetail{}
		ts.getJSON(t, "/api/runs/long", &d)
		if (len(d.Batches) > 0 && d.Progress != "") || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d.State != stateRunning || !strings.HasSuffix(d.Epoch, "/1000") || !strings.Contains(d.Progress, "/300") {
		t.Errorf("while training: state %q, epoch %q, progress %q", d.State, d.Epoch, d.Progress)
	}
	code, b = ts.do(t, "POST", "/api/runs/long/stop", nil)
	if code != 200 || !strings.Contains(string(b), `"stopped"`) {
		t.Fatalf("stop: %d %s", code, b)
	}
	code, b = ts.do(t, "POST", "/api/runs/long/stop", nil)
	wantError(t, "stop twice", code, b, http.StatusConflict, "not training")
	var meta runMeta
	raw, err := os.ReadFile(filepath.Join(ts.dir, "long", metaFile))
	if err != nil || json.Unmarshal(raw, &meta) != nil || meta.State != stateStopped || meta.Ended == nil {
		t.Errorf("run.json after stop: %v %s", err, raw)
	}
	if _, err := saving.Load(filepath.Join(ts.dir, "long", modelFile)); err != nil {
		t.Errorf("the stopped run's model: %v", err)
	}
}

func TestRunsWrittenByTheCLI(t *testing.T) {
	ts := newTestServer(t, Options{})
	m, _ := saveNetwork(t, ts.dir, "mlp", "cli.safetensors")
	h := &goras.History{History: map[string][]float64{}}
	h.Append(0, goras.Logs{"loss": 0.5, "val_loss": 0.4, "accuracy": 0.8, "val_accuracy": 0.85}, 1.5)
	h.Append(1, goras.Logs{"loss": 0.3, "val_loss": 0.35, "accuracy": 0.9, "val_accuracy": 0.88}, 1.25)
	if err := h.Save(filepath.Join(ts.dir, "cli.csv")); err != nil {
		t.Fatal(err)
	}
	if err := h.Save(filepath.Join(ts.dir, "other.json")); err != nil {
		t.Fatal(err)
	}
	ckdir := filepath.Join(ts.dir, "ckpt")
	os.Mkdir(ckdir, 0o755)
	if err := saving.SaveCheckpoint(m, saving.CheckpointPath(ckdir, 1), 1, h); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ts.dir, "notes.txt"), []byte("x"), 0o644)
	var runs []runJSON
	ts.getJSON(t, "/api/runs", &runs)
	got := map[string]runJSON{}
	for _, r := range runs {
		got[r.Name] = r
	}
	if len(got) != 3 {
		t.Fatalf("runs: %+v", runs)
	}
	for name, hasModel := range map[string]bool{"cli": true, "other": false, "ckpt": true} {
		r := got[name]
		if r.Epochs != 2 || r.HasModel != hasModel || r.Last["val_accuracy"] != 0.88 || r.State != stateSaved || r.Source != "cli" {
			t.Errorf("run %s: %+v", name, r)
		}
	}
	var d runDetail
	ts.getJSON(t, "/api/runs/ckpt", &d)
	if len(d.History.Seconds) != 2 || d.History.Seconds[1] != 1.25 || *d.History.Metrics["loss"][0] != 0.5 {
		t.Errorf("checkpoint history: %+v", d.History)
	}
	var models []modelJSON
	ts.getJSON(t, "/api/models", &models)
	if len(models) != 2 || models[0].Params != 39760 || models[1].Params != 39760 {
		t.Errorf("models: %+v", models)
	}
}

func TestInterruptedRun(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "crashed")
	os.Mkdir(run, 0o755)
	if err := writeMeta(run, &runMeta{Source: "studio", State: stateRunning, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// A lock left by a process that is gone does not make the run alive.
	os.WriteFile(filepath.Join(run, lockFile), []byte("999999999\n"), 0o644)
	ts := newTestServer(t, Options{Dir: dir})
	var runs []runJSON
	ts.getJSON(t, "/api/runs", &runs)
	if len(runs) != 1 || runs[0].State != stateInterrupted {
		t.Errorf("runs: %+v", runs)
	}
	code, b := ts.do(t, "POST", "/api/runs/crashed/stop", nil)
	wantError(t, "stop crashed", code, b, http.StatusConflict, "not training")
}

// TestStopWhileLoading: a run stopped while its data loads keeps no model
// (its weights would be their initial values alone) and none becomes the
// current model.
func TestStopWhileLoading(t *testing.T) {
	loading := make(chan struct{})
	ts := newTestServer(t, Options{LoadData: func(ctx context.Context) (mnist.Dataset, mnist.Dataset, error) {
		close(loading)
		<-ctx.Done()
		return mnist.Dataset{}, mnist.Dataset{}, ctx.Err()
	}})
	code, b := ts.do(t, "POST", "/api/runs", strings.NewReader(`{"name": "early", "epochs": 1}`))
	if code != http.StatusCreated {
		t.Fatalf("start: %d %s", code, b)
	}
	<-loading
	code, b = ts.do(t, "POST", "/api/runs/early/stop", nil)
	if code != 200 || !strings.Contains(string(b), `"stopped"`) {
		t.Fatalf("stop: %d %s", code, b)
	}
	var meta runMeta
	raw, err := os.ReadFile(filepath.Join(ts.dir, "early", metaFile))
	if err != nil || json.Unmarshal(raw, &meta) != nil || meta.State != stateStopped {
		t.Errorf("run.json after stop: %v %s", err, raw)
	}
	if _, err := os.Stat(filepath.Join(ts.dir, "early", modelFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a run stopped before its first batch left a model (%v)", err)
	}
	var cur map[string]string
	ts.getJSON(t, "/api/current", &cur)
	if cur["model"] != "" {
		t.Errorf("current model %q after a run stopped before training", cur["model"])
	}
}
