package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"
)

// Family is one cure and the settings it is chosen among, each trained once
// per seed. A family of one setting (no cure, more data) has nothing to
// choose.
type Family struct {
	Name     string
	Settings []Cure
	Seeds    []uint64
}

// Plan is what -measure trains: the seeds and epochs of the 1,000-image
// runs, the settings each cure is chosen among, and the more-data runs,
// which get fewer epochs (and, on 60,000 images, fewer seeds) for their
// cost.
type Plan struct {
	Images, Epochs int
	Seeds          []uint64
	// More lists the more-data runs, each with its own epochs and seeds.
	More []Cure
	// The settings each cure is chosen among.
	L2s, Dropouts []float64
	Both          [][2]float64 // (L2, dropout) pairs
	Stops         []Cure       // Monitor and Patience of early stopping
	Augments      []float64
	AugDropouts   [][2]float64 // (augmentation, dropout) pairs
	// Controls are plain runs that explain a cure's result, placed after
	// early stopping: 800 images, what early stopping trains on.
	Controls []Cure
	// FullSeeds are the seeds of the more-data runs on all 60,000 images,
	// 60 times as costly per epoch as the 1,000-image runs.
	FullSeeds []uint64
}

// DefaultPlan is the measurement docs/overfitting.md reports. 50 epochs of
// 1,000 images and 10 epochs of 5,000 are the same 500 steps of 100 images.
func DefaultPlan() Plan {
	return Plan{
		Images: 1000, Epochs: 50, Seeds: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		L2s:      []float64{1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3},
		Dropouts: []float64{0.2, 0.35, 0.5, 0.65},
		Both:     [][2]float64{{1e-5, 0.5}, {1e-4, 0.35}, {1e-4, 0.5}, {1e-3, 0.5}},
		Stops: []Cure{
			{Monitor: "val_loss", Patience: 3}, {Monitor: "val_loss", Patience: 10},
			{Monitor: "val_accuracy", Patience: 10}, {Monitor: "val_accuracy", Patience: 20},
		},
		Augments:    []float64{0.5, 1, 1.5},
		AugDropouts: [][2]float64{{1, 0.2}, {1, 0.35}, {1, 0.5}},
		Controls:    []Cure{{Family: "control", Images: 800, Epochs: 50}},
		More:        []Cure{{Family: "more data", Images: 5000, Epochs: 10}, {Family: "more data", Images: 60000, Epochs: 10}},
		FullSeeds:   []uint64{1, 2, 3},
	}
}

// Families lays the plan out as families of settings, in the order of the
// tables; a cure with no settings is left out.
func (p Plan) Families() []Family {
	fs := []Family{{Name: "none", Settings: []Cure{p.cure("none")}}}
	add := func(name string, n int, set func(c *Cure, i int)) {
		if n == 0 {
			return
		}
		f := Family{Name: name}
		for i := range n {
			c := p.cure(name)
			set(&c, i)
			f.Settings = append(f.Settings, c)
		}
		fs = append(fs, f)
	}
	add("L2", len(p.L2s), func(c *Cure, i int) { c.L2 = p.L2s[i] })
	add("dropout", len(p.Dropouts), func(c *Cure, i int) { c.Dropout = p.Dropouts[i] })
	add("L2 + dropout", len(p.Both), func(c *Cure, i int) { c.L2, c.Dropout = p.Both[i][0], p.Both[i][1] })
	add("early stopping", len(p.Stops), func(c *Cure, i int) { c.Monitor, c.Patience = p.Stops[i].Monitor, p.Stops[i].Patience })
	for _, c := range p.Controls {
		fs = append(fs, Family{Name: c.Family, Settings: []Cure{c}})
	}
	add("augmentation", len(p.Augments), func(c *Cure, i int) { c.Augment = p.Augments[i] })
	add("augmentation + dropout", len(p.AugDropouts), func(c *Cure, i int) { c.Augment, c.Dropout = p.AugDropouts[i][0], p.AugDropouts[i][1] })
	for i := range fs {
		fs[i].Seeds = p.Seeds
	}
	for _, c := range p.More {
		seeds := p.Seeds
		if c.Images >= 60000 {
			seeds = p.FullSeeds
		}
		if len(seeds) > 0 {
			fs = append(fs, Family{Name: c.Family, Settings: []Cure{c}, Seeds: seeds})
		}
	}
	return fs
}

// cure is the plan's 1,000-image training, of the named family, with no
// cure set yet.
func (p Plan) cure(family string) Cure {
	return Cure{Family: family, Images: p.Images, Epochs: p.Epochs}
}

// Candidate is one setting's mean validation accuracy, what it was chosen
// by.
type Candidate struct {
	Family, Setting string
	Val             Stat
	Chosen          bool
}

// Measure trains every setting of every family with every seed, chooses
// each family's setting by its mean validation accuracy, and reads the test
// set for the chosen setting's runs only. progress, when not nil, gets one
// line per run.
func Measure(ctx context.Context, d *Data, fs []Family, progress io.Writer) (rows []Row, cands []Candidate, err error) {
	for _, f := range fs {
		var best []*Run
		bestVal := -1.0
		first := len(cands)
		for _, c := range f.Settings {
			runs, err := trainSeeds(ctx, d, c, f.Seeds, false, progress)
			if err != nil {
				return nil, nil, err
			}
			val := statOf(runs, func(r *Run) float64 { return r.Val })
			cands = append(cands, Candidate{Family: f.Name, Setting: c.Setting(), Val: val})
			// A single setting is chosen whatever its validation says (the
			// 60,000-image run trained on the validation images).
			if len(f.Settings) == 1 || val.Mean > bestVal {
				best, bestVal = runs, val.Mean
				for i := first; i < len(cands); i++ {
					cands[i].Chosen = i == len(cands)-1
				}
			}
		}
		for _, r := range best {
			if err := r.ReadTest(); err != nil {
				return nil, nil, err
			}
			r.release()
		}
		rows = append(rows, summarize(best))
	}
	return rows, cands, nil
}

// trainSeeds trains c once per seed and keeps the runs, weights included,
// so that the chosen setting's test accuracy can be read afterwards. With
// curves, the first seed's run is validated every epoch (see Train); the
// others are not, to save the time.
func trainSeeds(ctx context.Context, d *Data, c Cure, seeds []uint64, curves bool, progress io.Writer) ([]*Run, error) {
	var runs []*Run
	for i, s := range seeds {
		start := time.Now()
		r, err := Train(ctx, d, c, s, curves && i == 0)
		if err != nil {
			return nil, fmt.Errorf("%s (%s), seed %d: %w", c.Family, c.Setting(), s, err)
		}
		if progress != nil {
			val := "  —   "
			if !math.IsNaN(r.Val) {
				val = fmt.Sprintf("%.4f", r.Val)
			}
			fmt.Fprintf(progress, "%-22s seed %2d  train %.4f  val %s  %2d/%d epochs  %5.1f s  %s\n",
				c.Family, s, r.Train, val, r.Epochs, c.Epochs, time.Since(start).Seconds(), c.Setting())
		}
		runs = append(runs, r)
	}
	return runs, nil
}
