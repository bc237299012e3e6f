package plot

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/goras-ml/goras"
)

// LoadHistoryCSV reads a training log written by History.Save (or
// WriteCSV): a header "epoch,<names...>,seconds" and one row per epoch. It
// also reads the files of callbacks.CSVLogger, which have no seconds column
// and may hold "NA" for a missing value (read as NaN, and left out of the
// curves). Errors name the file, line and column at fault.
func LoadHistoryCSV(path string) (*goras.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	defer f.Close()
	h, err := ReadHistoryCSV(f)
	if err != nil {
		return nil, fmt.Errorf("plot: %s: %w", path, err)
	}
	return h, nil
}

// ReadHistoryCSV reads a History from CSV, as LoadHistoryCSV does from a
// file. Its errors have no package prefix, so the caller can name the
// source.
func ReadHistoryCSV(r io.Reader) (*goras.History, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: want a header line starting with \"epoch\"")
	}
	if err != nil {
		return nil, err
	}
	if len(header) == 0 || strings.TrimPrefix(header[0], "\ufeff") != "epoch" {
		return nil, fmt.Errorf("the header starts with %q, want \"epoch\" (a History.Save or CSVLogger file)", header[0])
	}
	names := header[1:]
	hasSeconds := len(names) > 0 && names[len(names)-1] == "seconds"
	if hasSeconds {
		names = names[:len(names)-1]
	}
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			return nil, fmt.Errorf("the header has an empty or repeated column name %q", n)
		}
		seen[n] = true
	}
	h := &goras.History{History: map[string][]float64{}}
	for _, n := range names {
		h.History[n] = nil
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err // csv errors name the line
		}
		line, _ := cr.FieldPos(0)
		e, err := strconv.Atoi(rec[0])
		if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(rec[0], "-") {
			return nil, fmt.Errorf("line %d: epoch %s is more than an int of this build holds (%d)", line, rec[0], math.MaxInt)
		}
		if err != nil || e < 0 {
			return nil, fmt.Errorf("line %d: epoch %q is not a whole number ≥ 0", line, rec[0])
		}
		h.Epoch = append(h.Epoch, e)
		for i, n := range names {
			v, err := parseValue(rec[i+1])
			if err != nil {
				return nil, fmt.Errorf("line %d, column %q: %v", line, n, err)
			}
			h.History[n] = append(h.History[n], v)
		}
		if hasSeconds {
			s, err := strconv.ParseFloat(rec[len(rec)-1], 64)
			if err != nil {
				return nil, fmt.Errorf("line %d, column \"seconds\": %q is not a number", line, rec[len(rec)-1])
			}
			h.Seconds = append(h.Seconds, s)
		}
	}
	if len(h.Epoch) == 0 {
		return nil, errors.New("no epochs: the file has a header but no rows")
	}
	return h, nil
}

func parseValue(s string) (float64, error) {
	if s == "NA" || s == "" {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// LoadHistoryJSON reads the JSON file History.Save writes:
//
//	{"epoch": [0, 1], "history": {"loss": [0.5, 0.3], ...}, "seconds": [...], "params": {...}}
//
// A null or "NaN" value reads as NaN (a value that was not logged, or a
// loss that diverged) and is left out of the curves. Errors name the file.
func LoadHistoryJSON(path string) (*goras.History, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	h, err := ReadHistoryJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("plot: %s: %w", path, err)
	}
	return h, nil
}

// jsonValue is a float64 that reads null as NaN, and the strings "NaN",
// "Infinity" and "-Infinity" as History.MarshalJSON writes them.
type jsonValue float64

func (v *jsonValue) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null", `"NaN"`:
		*v = jsonValue(math.NaN())
		return nil
	case `"Infinity"`:
		*v = jsonValue(math.Inf(1))
		return nil
	case `"-Infinity"`:
		*v = jsonValue(math.Inf(-1))
		return nil
	}
	return json.Unmarshal(b, (*float64)(v))
}

// ReadHistoryJSON reads a History from JSON, as LoadHistoryJSON does from a
// file, checking that there are epochs, that none is negative, and that
// every series (and seconds, when present) has one value per epoch. Its
// errors have no package prefix, so the caller can name the source.
func ReadHistoryJSON(r io.Reader) (*goras.History, error) {
	var in struct {
		Epoch   []int                  `json:"epoch"`
		History map[string][]jsonValue `json:"history"`
		Seconds []jsonValue            `json:"seconds"`
		Params  map[string]int         `json:"params"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("not a history as History.Save writes it "+
			`({"epoch": [...], "history": {"loss": [...], ...}, "seconds": [...]}): %v`, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	if len(in.Epoch) == 0 {
		return nil, errors.New(`no epochs: its "epoch" list is empty or missing`)
	}
	for i, e := range in.Epoch {
		if e < 0 {
			return nil, fmt.Errorf("epoch %d at index %d is negative", e, i)
		}
	}
	if len(in.History) == 0 {
		return nil, errors.New(`no metrics: its "history" object is empty or missing`)
	}
	h := &goras.History{Epoch: in.Epoch, History: map[string][]float64{}, Params: in.Params}
	for k, vs := range in.History {
		if len(vs) != len(in.Epoch) {
			return nil, fmt.Errorf("%q has %d values for %d epochs", k, len(vs), len(in.Epoch))
		}
		h.History[k] = floats(vs)
	}
	if n := len(in.Seconds); n != 0 && n != len(in.Epoch) {
		return nil, fmt.Errorf(`"seconds" has %d values for %d epochs`, n, len(in.Epoch))
	}
	h.Seconds = floats(in.Seconds)
	return h, nil
}

func floats(vs []jsonValue) []float64 {
	if vs == nil {
		return nil
	}
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = float64(v)
	}
	return out
}
