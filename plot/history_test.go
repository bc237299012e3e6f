package plot

import (
	"bytes"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"gonum.org/v1/plot/vg/draw"
)

func TestLoadHistoryJSONRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "history.json")
	h := history()
	h.Params = map[string]int{"epochs": 4, "steps": 10, "verbose": 1}
	if err := h.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := LoadHistoryJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Epoch) != 4 || got.Epoch[3] != 3 || len(got.History) != len(h.History) || got.Params["steps"] != 10 {
		t.Fatalf("read %+v", got)
	}
	for k, want := range h.History {
		for i, v := range want {
			if got.History[k][i] != v {
				t.Errorf("%s[%d] = %v, want %v", k, i, got.History[k][i], v)
			}
		}
	}
	for i, s := range h.Seconds {
		if got.Seconds[i] != s {
			t.Errorf("seconds %v, want %v", got.Seconds, h.Seconds)
			break
		}
	}
}

func TestReadHistoryJSONNull(t *testing.T) {
	h, err := ReadHistoryJSON(strings.NewReader(`{"epoch":[0,1],"history":{"loss":[null,0.5]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(h.History["loss"][0]) || h.History["loss"][1] != 0.5 || h.Seconds != nil {
		t.Errorf("read %+v, want loss [NaN 0.5] and no seconds", h)
	}
}

func TestLoadHistoryJSONErrors(t *testing.T) {
	cases := map[string]string{
		``:                                   "not a history as History.Save writes it",
		`[1]`:                                "not a history",
		`{"epoch":[0],"loss":[1]}`:           `unknown field "loss"`,
		`{"epoch":[],"history":{"loss":[]}}`: "no epochs",
		`{"epoch":[0,-1],"history":{"loss":[1,2]}}`:               "epoch -1 at index 1 is negative",
		`{"epoch":[0],"history":{}}`:                              "no metrics",
		`{"epoch":[0,1],"history":{"loss":[1]}}`:                  `"loss" has 1 values for 2 epochs`,
		`{"epoch":[0],"history":{"loss":[1]},"seconds":[1,2]}`:    `"seconds" has 2 values for 1 epochs`,
		`{"epoch":[0],"history":{"loss":["a"]}}`:                  "cannot unmarshal string",
		`{"epoch":[1e12],"history":{"loss":[1]}}`:                 "cannot unmarshal number 1e12",
		`{"epoch":[0],"history":{"loss":[1]}} {}`:                 "unexpected data after the JSON object",
		`{"epoch":[99999999999999999999],"history":{"loss":[1]}}`: "cannot unmarshal number",
	}
	for in, want := range cases {
		_, err := ReadHistoryJSON(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one mentioning %q", in, err, want)
		}
	}
	_, err := LoadHistoryJSON(filepath.Join(t.TempDir(), "none.json"))
	if err == nil || !strings.HasPrefix(err.Error(), "plot: ") || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("missing file: %v", err)
	}
}

// A history read from a file draws whatever its numbers are.
func TestReadHistoryHugeEpochDraws(t *testing.T) {
	h, err := ReadHistoryCSV(strings.NewReader("epoch,loss\n0,1e308\n1000000000000,-1e308\n"))
	if strconv.IntSize == 32 { // History.Epoch is []int
		if err == nil || !strings.Contains(err.Error(), "line 3: epoch 1000000000000 is more than an int of this build holds (2147483647)") {
			t.Errorf("on a 32-bit build: error %v, want epoch 1e12 named too large", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	drawHistory(t, h)
}

// drawHistory draws h's curves in memory, as SaveCurves would to an SVG.
func drawHistory(t *testing.T, h *goras.History) {
	t.Helper()
	w, ht, paint, err := curvesPicture(h)
	if err != nil {
		return // nothing to draw is an answer too
	}
	c, err := newCanvas("x.svg", w, ht)
	if err != nil {
		t.Fatal(err)
	}
	if err := paint(draw.New(c)); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil || b.Len() == 0 {
		t.Fatalf("writing the picture: %v (%d bytes)", err, b.Len())
	}
}
