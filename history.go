package goras

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/internal/atomicfile"
)

// History is what Fit returns, as Keras's History callback: the epochs run
// and, for each logged name ("loss", "accuracy", "val_loss", ...), one value
// per epoch. Seconds holds each epoch's wall time.
type History struct {
	Epoch   []int                `json:"epoch"`
	History map[string][]float64 `json:"history"`
	Seconds []float64            `json:"seconds"`
	Params  map[string]int       `json:"params"` // verbose, epochs, steps
}

func newHistory(epochs, steps, verbose int) *History {
	return &History{
		History: map[string][]float64{},
		Params:  map[string]int{"epochs": epochs, "steps": steps, "verbose": verbose},
	}
}

// Append records an epoch: its number, its logs and its wall time, keeping
// every series one value per epoch (NaN where a name was not logged in some
// epoch). It is the one place a History grows: Fit and the backup callback
// both append through it.
func (h *History) Append(epoch int, logs Logs, seconds float64) {
	if h.History == nil {
		h.History = map[string][]float64{}
	}
	n := len(h.Epoch)
	for k, v := range logs {
		s := h.History[k]
		for len(s) < n {
			s = append(s, math.NaN())
		}
		h.History[k] = append(s, v)
	}
	for k, s := range h.History {
		for len(s) < n+1 {
			s = append(s, math.NaN())
		}
		h.History[k] = s
	}
	h.Epoch = append(h.Epoch, epoch)
	h.Seconds = append(h.Seconds, seconds)
}

func sortedKeys(l Logs) []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Keys lists the logged names in Keras's CSVLogger order (sorted).
func (h *History) Keys() []string {
	keys := make([]string, 0, len(h.History))
	for k := range h.History {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Last returns the final value logged under name, and whether there is one.
func (h *History) Last(name string) (float64, bool) {
	v := h.History[name]
	if len(v) == 0 {
		return 0, false
	}
	return v[len(v)-1], true
}

// WriteCSV writes one row per epoch: epoch, the sorted metric names (as
// Keras's CSVLogger), then seconds.
func (h *History) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	keys := h.Keys()
	if err := cw.Write(append(append([]string{"epoch"}, keys...), "seconds")); err != nil {
		return err
	}
	at := func(s []float64, i int) float64 { // a series shorter than Epoch reads as NaN
		if i < len(s) {
			return s[i]
		}
		return math.NaN()
	}
	for i, e := range h.Epoch {
		row := []string{strconv.Itoa(e)}
		for _, k := range keys {
			row = append(row, strconv.FormatFloat(at(h.History[k], i), 'g', -1, 64))
		}
		row = append(row, strconv.FormatFloat(at(h.Seconds, i), 'f', 3, 64))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the History as one JSON object (see MarshalJSON).
func (h *History) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(h)
}

// Save writes the History to path, as CSV or JSON by its extension
// (.csv, .json). The file is replaced atomically.
func (h *History) Save(path string) error {
	var write func(io.Writer) error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		write = h.WriteCSV
	case ".json":
		write = h.WriteJSON
	default:
		return fmt.Errorf("goras: history file %q: the extension must be .csv or .json", path)
	}
	return atomicfile.Write(path, write)
}

// Concat returns the History of h's epochs followed by later's, as a
// resumed run continues a checkpoint's: ck.History.Concat(fitHistory).
// Params are later's (the resumed Fit's epochs and steps). A name logged in
// only one part gets NaN for the other part's epochs, so that every series
// keeps one value per epoch. Neither h nor later is changed.
func (h *History) Concat(later *History) *History {
	out := &History{History: map[string][]float64{}}
	parts := []*History{h, later}
	for _, p := range parts {
		if p == nil {
			continue
		}
		out.Epoch = append(out.Epoch, p.Epoch...)
		out.Seconds = append(out.Seconds, p.Seconds...)
		if p.Params != nil {
			out.Params = map[string]int{}
			for k, v := range p.Params {
				out.Params[k] = v
			}
		}
	}
	keys := map[string]bool{}
	for _, p := range parts {
		if p != nil {
			for k := range p.History {
				keys[k] = true
			}
		}
	}
	for k := range keys {
		var series []float64
		for _, p := range parts {
			if p == nil {
				continue
			}
			v := p.History[k]
			for range len(p.Epoch) - len(v) { // missing early epochs
				series = append(series, math.NaN())
			}
			series = append(series, v...)
		}
		out.History[k] = series
	}
	return out
}
