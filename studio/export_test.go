package studio

import (
	"bytes"
	"encoding/csv"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/saving"
)

// getExport GETs the export, checks its headers and parses it back with
// encoding/csv (which also checks that every row has the header's
// columns); rows are keyed by column.
func (ts *testServer) getExport(t *testing.T) (header []string, rows []map[string]string) {
	t.Helper()
	res, err := ts.ts.Client().Get(ts.ts.URL + "/api/export/runs.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /api/export/runs.csv: %s", res.Status)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/csv", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="goras-runs.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(res.Body).ReadAll()
	if err != nil || len(records) == 0 {
		t.Fatalf("the export does not parse as CSV: %v (%d records)", err, len(records))
	}
	header = records[0]
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, c := range header {
			row[c] = rec[i]
		}
		rows = append(rows, row)
	}
	return header, rows
}

// sameNum reports whether a cell reads back as exactly want (NaN as NaN).
func sameNum(cell string, want float64) bool {
	got, err := strconv.ParseFloat(cell, 64)
	return err == nil && (got == want || math.IsNaN(got) && math.IsNaN(want))
}

// TestExportRuns: every run GET /api/runs lists (a studio run, a CLI
// history with a NaN, a CLI checkpoint, an upload, a run whose history
// cannot be read), in its order, one row per epoch with the numbers of the
// histories exactly, the union of the settings and metrics as columns.
func TestExportRuns(t *testing.T) {
	ts := newTestServer(t, Options{})
	ts.trainRun(t, `{"name": "tiny", "network": "mlp", "optimizer": "adam", "learning_rate": 0.01, "loss": "categorical_crossentropy",
		"epochs": 2, "batch_size": 20, "train_size": 100, "validation_size": 50, "seed": 5}`)

	cli := &goras.History{}
	cli.Append(0, goras.Logs{"loss": 1.0 / 3, "accuracy": 0.8, "val_loss": 0.4, "val_accuracy": 0.85, "learning_rate": 0.001}, 1.5)
	cli.Append(1, goras.Logs{"loss": 1e-7, "accuracy": 0.9, "val_loss": 0.35, "val_accuracy": 0.88}, 1.25) // learning_rate NaN
	if err := cli.Save(filepath.Join(ts.dir, "cli.csv")); err != nil {
		t.Fatal(err)
	}
	ck := &goras.History{}
	for e, auc := range []float64{0.7, 0.75, 0.8} {
		ck.Append(e, goras.Logs{"loss": 2 - float64(e)/7, "auc": auc}, 0.5)
	}
	m, model := saveNetwork(t, t.TempDir(), "mlp", "m.safetensors")
	os.Mkdir(filepath.Join(ts.dir, "ckpt"), 0o755)
	if err := saving.SaveCheckpoint(m, saving.CheckpointPath(filepath.Join(ts.dir, "ckpt"), 3), 3, ck); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ts.dir, "broken.csv"), []byte("step,loss\n1,2\n"), 0o644)
	file, _ := os.ReadFile(model)
	if code, b := ts.do(t, "POST", "/api/models?name=up", bytes.NewReader(file)); code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, b)
	}
	tiny, err := readHistory(filepath.Join(ts.dir, "tiny", historyFile))
	if err != nil || len(tiny.Epoch) != 2 {
		t.Fatalf("tiny's history: %v %+v", err, tiny)
	}
	hists := map[string]*goras.History{"tiny": tiny, "cli": cli, "ckpt": ck}

	header, rows := ts.getExport(t)
	want := []string{"run", "source", "state",
		"settings.network", "settings.optimizer", "settings.learning_rate", "settings.loss", "settings.epochs",
		"settings.batch_size", "settings.train_size", "settings.validation_size", "settings.seed",
		"epoch", "accuracy", "auc", "learning_rate", "loss", "val_accuracy", "val_loss", "seconds", "error"}
	if !slices.Equal(header, want) {
		t.Fatalf("header\n %q\nwant\n %q", header, want)
	}

	// The runs in GET /api/runs's order, each one's epochs ascending; one
	// row with no epoch for a run without.
	var runs []runJSON
	ts.getJSON(t, "/api/runs", &runs)
	var wantKeys, gotKeys []string
	for _, r := range runs {
		h := hists[r.Name]
		if h == nil {
			wantKeys = append(wantKeys, r.Name+"@")
			continue
		}
		for _, e := range h.Epoch {
			wantKeys = append(wantKeys, r.Name+"@"+strconv.Itoa(e))
		}
	}
	for _, row := range rows {
		gotKeys = append(gotKeys, row["run"]+"@"+row["epoch"])
	}
	if len(runs) != 5 || !slices.Equal(gotKeys, wantKeys) {
		t.Fatalf("rows (run@epoch) %v, want %v (runs %d)", gotKeys, wantKeys, len(runs))
	}

	metrics := header[13:19] // accuracy … val_loss
	i := map[string]int{}    // each run's next epoch index
	for _, row := range rows {
		name := row["run"]
		h := hists[name]
		if h == nil {
			for _, c := range append([]string{"epoch", "seconds"}, metrics...) {
				if row[c] != "" {
					t.Errorf("%s, a run without epochs, has %s %q", name, c, row[c])
				}
			}
			continue
		}
		k := i[name]
		i[name]++
		for _, c := range metrics {
			series, ok := h.History[c]
			switch {
			case !ok && row[c] != "":
				t.Errorf("%s epoch %d: %s is %q, want empty (the run logs no %s)", name, k, c, row[c], c)
			case ok && !sameNum(row[c], series[k]):
				t.Errorf("%s epoch %d: %s is %q, want %v", name, k, c, row[c], series[k])
			}
		}
		if !sameNum(row["seconds"], h.Seconds[k]) {
			t.Errorf("%s epoch %d: seconds %q, want %v", name, k, row["seconds"], h.Seconds[k])
		}
	}
	if i["tiny"] != 2 || i["cli"] != 2 || i["ckpt"] != 3 {
		t.Errorf("epochs seen by run: %v", i)
	}

	byRun := map[string]map[string]string{}
	for _, row := range rows {
		byRun[row["run"]] = row // the last row of each run
	}
	for c, v := range map[string]string{"source": "studio", "state": "done", "settings.network": "mlp", "settings.optimizer": "adam",
		"settings.learning_rate": "0.01", "settings.loss": "categorical_crossentropy", "settings.epochs": "2", "settings.batch_size": "20",
		"settings.train_size": "100", "settings.validation_size": "50", "settings.seed": "5", "error": ""} {
		if got := byRun["tiny"][c]; got != v {
			t.Errorf("tiny: %s %q, want %q", c, got, v)
		}
	}
	if r := byRun["cli"]; r["source"] != "cli" || r["state"] != "saved" || r["settings.network"] != "" || r["learning_rate"] != "NaN" {
		t.Errorf("cli's last row: %v", r)
	}
	if r := byRun["up"]; r["source"] != "upload" || r["epoch"] != "" || r["error"] != "" {
		t.Errorf("the upload's row: %v", r)
	}
	if r := byRun["broken"]; r["epoch"] != "" || !strings.Contains(r["error"], `history broken.csv: the header starts with "step"`) {
		t.Errorf("the run whose history cannot be read: %v", r)
	}
}

// TestExportColumns: an empty runs folder exports the header alone; a
// history logging a name that is a column already gets "metric:NAME" (in
// the sorted place of NAME); a
// run named like the export is still GET /api/runs/{name}'s.
func TestExportColumns(t *testing.T) {
	ts := newTestServer(t, Options{})
	header, rows := ts.getExport(t)
	if want := []string{"run", "source", "state", "settings.network", "epoch", "seconds", "error"}; !slices.Equal(header, want) || len(rows) != 0 {
		t.Errorf("empty runs folder: header %q, %d rows; want %q and none", header, len(rows), want)
	}

	os.WriteFile(filepath.Join(ts.dir, "odd.csv"), []byte("epoch,run,loss,error\n0,7,0.5,1\n"), 0o644)
	os.Mkdir(filepath.Join(ts.dir, "runs.csv"), 0o755)
	os.WriteFile(filepath.Join(ts.dir, "runs.csv", historyFile), []byte("epoch,loss,seconds\n0,0.25,1.000\n"), 0o644)
	header, rows = ts.getExport(t)
	want := []string{"run", "source", "state", "settings.network", "epoch", "metric:error", "loss", "metric:run", "seconds", "error"}
	if !slices.Equal(header, want) {
		t.Fatalf("header %q, want %q", header, want)
	}
	got := map[string]map[string]string{}
	for _, r := range rows {
		got[r["run"]] = r
	}
	if r := got["odd"]; len(rows) != 2 || r["metric:run"] != "7" || r["metric:error"] != "1" || r["loss"] != "0.5" || r["error"] != "" {
		t.Errorf("rows %v", rows)
	}
	var d runDetail
	ts.getJSON(t, "/api/runs/runs.csv", &d)
	if d.Name != "runs.csv" || d.Epochs != 1 {
		t.Errorf("GET /api/runs/runs.csv answers %+v, want the run named runs.csv", d.runJSON)
	}
	code, b := ts.do(t, "POST", "/api/export/runs.csv", nil)
	wantError(t, "POST to the export", code, b, http.StatusMethodNotAllowed, "takes GET")
}
