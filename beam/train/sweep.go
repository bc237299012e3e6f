package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Sweep describes a set of trainings: a recipe or network, a grid of
// hyper-parameters, seeds and, for cross validation, folds. Its JSON is the
// sweep file `goras-beam sweep` reads:
//
//	{
//	  "recipe": "fast",
//	  "seeds": "1-3",
//	  "grid": {"dense": [64, 128], "peak_rate": [0.002, 0.003]},
//	  "hyper": {"epochs": 2}
//	}
//
// An ensemble is a Sweep with no grid and several seeds; k-fold sets Folds.
type Sweep struct {
	// Recipe or Model: as Job's, exactly one.
	Recipe string `json:"recipe,omitempty"`
	Model  string `json:"model,omitempty"`
	// Seeds are the seeds each point is trained from: a list of numbers
	// or a string of numbers and ranges, "1-5" or "1,3,7-9". Default 1.
	Seeds Seeds `json:"seeds,omitempty"`
	// Grid lists values per hyper-parameter (HyperNames); every
	// combination is a point of the sweep. Hyper sets the same value for
	// all points.
	Grid  map[string][]float64 `json:"grid,omitempty"`
	Hyper map[string]float64   `json:"hyper,omitempty"`
	// Data, Train, Validation, Folds: as Job's.
	Data       string `json:"data,omitempty"`
	Train      int    `json:"train,omitempty"`
	Validation int    `json:"validation,omitempty"`
	Folds      int    `json:"folds,omitempty"`
}

// ReadSweep reads a sweep file; a key it does not know is an error, so that
// a misspelt setting is not silently left out.
func ReadSweep(path string) (Sweep, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Sweep{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Sweep
	if err := dec.Decode(&s); err != nil {
		return Sweep{}, fmt.Errorf("%s: %w (see goras-beam sweep --help for the keys)", path, err)
	}
	return s, nil
}

// Jobs expands the sweep into jobs writing to out, one per point, seed and
// fold, each checked by Validate. IDs read NAME[-KEYVALUE...]-SEED[-foldF]:
// best-long-1 for an ensemble member (as docs/bounty.md names the files),
// fast-dense64-peak_rate0.003-2, fast-1-fold3.
func (s Sweep) Jobs(out string) ([]Job, error) {
	seeds := s.Seeds
	if len(seeds) == 0 {
		seeds = Seeds{1}
	}
	points, err := s.points()
	if err != nil {
		return nil, err
	}
	var jobs []Job
	for _, p := range points {
		for _, seed := range seeds {
			folds := max(s.Folds, 1)
			for f := 0; f < folds; f++ {
				j := Job{Recipe: s.Recipe, Model: s.Model, Seed: seed, Hyper: p.hyper, Data: s.Data, Train: s.Train,
					Validation: s.Validation, Out: out}
				j.ID = fmt.Sprintf("%s%s-%d", s.Recipe+s.Model, p.id, seed)
				if s.Folds > 0 {
					j.Folds, j.Fold = s.Folds, f
					j.ID += fmt.Sprintf("-fold%d", f+1)
				}
				if err := j.Validate(); err != nil {
					return nil, err
				}
				jobs = append(jobs, j)
			}
		}
	}
	return jobs, nil
}

type point struct {
	id    string
	hyper map[string]float64
}

// points is the grid's cartesian product, keys in sorted order, each
// point with Hyper's fixed values too.
func (s Sweep) points() ([]point, error) {
	base := map[string]float64{}
	for k, v := range s.Hyper {
		base[k] = v
	}
	points := []point{{hyper: base}}
	for _, k := range sortedKeys(gridKeys(s.Grid)) {
		vals := s.Grid[k]
		if len(vals) == 0 {
			return nil, fmt.Errorf("grid %s lists no values; give at least one, e.g. \"%s\": [0.1, 0.2]", k, k)
		}
		if _, fixed := s.Hyper[k]; fixed {
			return nil, fmt.Errorf("%s is both in the grid and in hyper; keep it in one", k)
		}
		var next []point
		for _, p := range points {
			for _, v := range vals {
				h := map[string]float64{k: v}
				for k2, v2 := range p.hyper {
					h[k2] = v2
				}
				next = append(next, point{id: p.id + "-" + k + strconv.FormatFloat(v, 'g', -1, 64), hyper: h})
			}
		}
		points = next
	}
	return points, nil
}

func gridKeys(g map[string][]float64) map[string]float64 {
	m := map[string]float64{}
	for k := range g {
		m[k] = 0
	}
	return m
}

// Seeds is a list of seeds that reads, from JSON or a flag, either a list of
// numbers or a string of numbers and ranges: "1-5", "1,3,7-9".
type Seeds []uint64

// ParseSeeds reads "1-5", "1,3,7-9" or "4".
func ParseSeeds(s string) (Seeds, error) {
	var out Seeds
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.ParseUint(lo, 10, 64)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.ParseUint(hi, 10, 64)
		}
		if err1 != nil || err2 != nil || b < a || b-a >= 10000 {
			return nil, fmt.Errorf("seeds %q: want numbers and ranges like 1-5 or 1,3,7-9, got %q", s, part)
		}
		for i := uint64(0); i <= b-a; i++ {
			out = append(out, a+i)
		}
	}
	return out, nil
}

// UnmarshalJSON reads a list of numbers or a string for ParseSeeds.
func (s *Seeds) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		v, err := ParseSeeds(str)
		*s = v
		return err
	}
	var list []uint64
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("seeds must be a list of numbers or a string like \"1-5\", got %s", b)
	}
	*s = list
	return nil
}
