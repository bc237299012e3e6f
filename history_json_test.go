package goras

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// A History whose loss diverged writes as JSON ("NaN", "Infinity") and
// as CSV, and the JSON reads back to the same numbers; a series shorter
// than the epochs writes NaN instead of panicking.
func TestHistoryWithNaNWritesAndReads(t *testing.T) {
	h := &History{}
	h.Append(0, Logs{"loss": 0.5, "accuracy": 0.8}, 1.5)
	h.Append(1, Logs{"loss": math.NaN(), "accuracy": 0.1}, 1.25)
	h.Append(2, Logs{"loss": math.Inf(1)}, 1)
	var b bytes.Buffer
	if err := h.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"NaN"`) || !strings.Contains(b.String(), `"Infinity"`) {
		t.Errorf("JSON lacks the NaN and Infinity strings:\n%s", b.String())
	}
	var back History
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	loss, acc := back.History["loss"], back.History["accuracy"]
	if loss[0] != 0.5 || !math.IsNaN(loss[1]) || !math.IsInf(loss[2], 1) || acc[1] != 0.1 || !math.IsNaN(acc[2]) {
		t.Errorf("read back loss %v accuracy %v", loss, acc)
	}
	h.Seconds = h.Seconds[:1] // as a history read from a CSVLogger file may be
	b.Reset()
	if err := h.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if want := "2,NaN,+Inf,NaN\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("CSV ends %q, want %q", b.String(), want)
	}
}
