package goras

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// historyJSON is a History whose numbers may be NaN or infinite (a loss
// that diverged), which JSON numbers cannot be.
type historyJSON struct {
	Epoch   []int                  `json:"epoch"`
	History map[string][]jsonFloat `json:"history"`
	Seconds []jsonFloat            `json:"seconds"`
	Params  map[string]int         `json:"params"`
}

// jsonFloat writes NaN and ±Inf as the strings "NaN", "Infinity" and
// "-Infinity", and every other value in the shortest form that reads back
// to the same float64.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch s {
	case "null": // a value not logged, as other writers leave it
		*f = jsonFloat(math.NaN())
		return nil
	case `"NaN"`:
		*f = jsonFloat(math.NaN())
		return nil
	case `"Infinity"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-Infinity"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", s)
	}
	*f = jsonFloat(v)
	return nil
}

func floatsJSON(v []float64) []jsonFloat {
	out := make([]jsonFloat, len(v))
	for i, x := range v {
		out[i] = jsonFloat(x)
	}
	return out
}

func floatsFromJSON(v []jsonFloat) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func toHistoryJSON(h *History) historyJSON {
	hj := historyJSON{History: map[string][]jsonFloat{}}
	if h == nil {
		return hj
	}
	hj.Epoch = h.Epoch
	for k, v := range h.History {
		hj.History[k] = floatsJSON(v)
	}
	hj.Seconds = floatsJSON(h.Seconds)
	hj.Params = h.Params
	return hj
}

func (hj historyJSON) history() *History {
	h := &History{Epoch: hj.Epoch, History: map[string][]float64{}, Seconds: floatsFromJSON(hj.Seconds), Params: hj.Params}
	for k, v := range hj.History {
		h.History[k] = floatsFromJSON(v)
	}
	return h
}

// MarshalJSON writes the History as {"epoch", "history", "seconds",
// "params"}, with NaN and ±Inf (a loss that diverged) as the strings
// "NaN", "Infinity" and "-Infinity", which JSON numbers cannot be.
func (h *History) MarshalJSON() ([]byte, error) { return json.Marshal(toHistoryJSON(h)) }

// UnmarshalJSON reads what MarshalJSON writes; null reads as NaN.
func (h *History) UnmarshalJSON(b []byte) error {
	var hj historyJSON
	if err := json.Unmarshal(b, &hj); err != nil {
		return err
	}
	*h = *hj.history()
	return nil
}
