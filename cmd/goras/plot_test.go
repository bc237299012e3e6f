package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
)

// The tests of goras plot.

// goras plot draws curves from a CSV, a JSON History and a checkpoint.
func TestPlot(t *testing.T) {
	dir := t.TempDir()
	h := &goras.History{
		Epoch: []int{0, 1, 2},
		History: map[string][]float64{
			"loss": {0.9, 0.5, 0.4}, "accuracy": {0.7, 0.85, 0.9},
			"val_loss": {0.6, 0.45, 0.42}, "val_accuracy": {0.8, 0.86, 0.88},
		},
		Seconds: []float64{1, 1, 1},
		Params:  map[string]int{"epochs": 3, "steps": 10, "verbose": 1},
	}
	csvPath, jsonPath := filepath.Join(dir, "h.csv"), filepath.Join(dir, "h.json")
	for _, p := range []string{csvPath, jsonPath} {
		if err := h.Save(p); err != nil {
			t.Fatal(err)
		}
	}
	png1, svg := filepath.Join(dir, "c1.png"), filepath.Join(dir, "c2.svg")
	r := cliOK(t, "plot", csvPath, "-o", png1)
	if r.stderr != "goras: drew the curves of 3 epochs in "+png1+"\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	readPicture(t, png1, 600, 300)
	cliOK(t, "plot", jsonPath, "--output", svg)
	b, err := os.ReadFile(svg)
	if err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("val_loss")) && !bytes.Contains(b, []byte("validation")) {
		t.Errorf("%s is not an SVG of the curves (%v): %.200s", svg, err, b)
	}
	// The JSON reader gives back the History written.
	got, err := loadHistory(jsonPath)
	if err != nil || !slices.Equal(got.Epoch, h.Epoch) || !slices.Equal(got.History["val_accuracy"], h.History["val_accuracy"]) {
		t.Errorf("loadHistory: %+v, %v", got, err)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"epoch": [0, 1], "history": {"loss": [0.5]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte(`{"epochs": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plot", csvPath}, "plot needs -o FILE, the .png or .svg picture to write"},
		{[]string{"plot", "-o", png1}, "plot takes one HISTORY_FILE, got 0 arguments"},
		{[]string{"plot", csvPath, "-o", filepath.Join(dir, "c.jpg")}, "c.jpg: the file name must end in .png or .svg"},
		{[]string{"plot", filepath.Join(dir, "h.txt"), "-o", png1}, "h.txt: a history file must end in .csv or .json"},
		{[]string{"plot", filepath.Join(dir, "none.csv"), "-o", png1}, "none.csv: no such file or directory"},
		{[]string{"plot", bad, "-o", png1}, bad + `: "loss" has 1 values for 2 epochs`},
		{[]string{"plot", other, "-o", png1}, other + `: not a history as History.Save writes it`},
	}
	for _, c := range cases {
		r := cli(t, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("goras %s: exit %d, stderr %q; want %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
}

// goras plot reads the history a checkpoint keeps.
func TestPlotCheckpoint(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	cliOK(t, "train", "--limit", "200", "--epochs", "2", "--verbose", "0", "--checkpoint-dir", dir)
	out := filepath.Join(dir, "c.png")
	r := cliOK(t, "plot", filepath.Join(dir, "ckpt-0002.safetensors"), "-o", out)
	if !strings.Contains(r.stderr, "curves of 2 epochs") {
		t.Errorf("stderr %q", r.stderr)
	}
	readPicture(t, out, 600, 300)
}

// goras plot on a model file says what to plot instead, in CLI terms.
func TestPlotModelFile(t *testing.T) {
	dir := t.TempDir()
	model, _ := tinyModel(t, dir, "m.safetensors")
	r := wantFail(t, model+" is a model file, not a checkpoint: it holds no training history", "plot", model, "-o", filepath.Join(dir, "c.png"))
	if !strings.Contains(r.stderr, "goras train --history run.csv") || strings.Contains(r.stderr, "saving.Load") {
		t.Errorf("stderr %q", r.stderr)
	}
}
