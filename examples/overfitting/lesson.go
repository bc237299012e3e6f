package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/goras-ml/goras/plot"
)

// lessonCures are the cures the lesson runs after the plain network, each
// at the setting -measure chose on the validation images (see
// docs/overfitting.md for every setting tried), and 5,000 images for scale:
// 10 epochs of them are the same 500 steps as 50 epochs of 1,000.
func lessonCures(images, epochs int) []Cure {
	c := func(family string) Cure { return Cure{Family: family, Images: images, Epochs: epochs} }
	none, l2, drop, both, stop, aug, augDrop := c("none"), c("L2"), c("dropout"), c("L2 + dropout"), c("early stopping"), c("augmentation"), c("augmentation + dropout")
	l2.L2 = 1e-4
	drop.Dropout = 0.5
	both.L2, both.Dropout = 1e-4, 0.5
	stop.Monitor, stop.Patience = "val_loss", 10
	aug.Augment = 1
	augDrop.Augment, augDrop.Dropout = 1, 0.2
	more := Cure{Family: "more data", Images: 5 * images, Epochs: max(epochs/5, 1)}
	return []Cure{none, l2, drop, both, stop, aug, augDrop, more}
}

// helpMargin is how far, in percentage points of test accuracy, a cure must
// move from the plain run for the lesson to call it a help or a harm: one
// seed's runs of one setting differ by about half a point (docs/
// overfitting.md), so smaller moves are not told apart from luck.
const helpMargin = 0.01

// whyNot says why a cure can fail to help on this problem; the lesson
// prints it only for the cures its own runs found not to help.
var whyNot = map[string]string{
	"L2": "an L2 penalty pulls the weights towards zero, but a network this size still fits all 1,000 images\n" +
		"    (train accuracy 100 %), and it adds no new images. Under Adam its gradient is also rescaled per\n" +
		"    weight like the loss's, so it acts more weakly than weight decay does under SGD (AdamW's point).",
	"dropout": "dropout makes each step noisier: the network still fits all 1,000 images, and 500 steps\n" +
		"    may be too few for the averaging effect to pay off.",
	"L2 + dropout": "the two together inherit both limits: the network still fits all 1,000 images, and\n" +
		"    neither adds what 1,000 images lack, the variety of handwriting.",
	"early stopping": "it holds out 20 % of the 1,000 images to watch (so it trains on 800), and the\n" +
		"    validation loss turns up, from a few over-confident mistakes, epochs before validation\n" +
		"    accuracy stops rising: stopping at the loss's best epoch stops too soon for accuracy.",
	"augmentation":           "the random shifts, turns and zooms may be too weak or too strong for these digits.",
	"augmentation + dropout": "the two may be too much together for 500 steps.",
	"more data":              "500 steps may be too few to use 5,000 images.",
}

// Lesson trains the plain network and each cure once with seed on the
// first images of d, reads the test set once per run, prints the table and
// what it shows, and saves the curves of the plain run and of the cure with
// the best validation accuracy into dir. The first cure is the plain run.
func Lesson(ctx context.Context, d *Data, cures []Cure, seed uint64, dir string, w io.Writer) ([]Row, error) {
	var rows []Row
	var runs []*Run
	for _, c := range cures {
		start := time.Now()
		r, err := Train(ctx, d, c, seed, true, nil)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", c.Family, c.Setting(), err)
		}
		if err := r.ReadTest(); err != nil {
			return nil, err
		}
		r.release()
		fmt.Fprintf(w, "%-22s %-44s train %.4f  val %.4f  test %.4f  (%.1f s)\n",
			c.Family, c.Setting(), r.Train, r.Val, r.Test, time.Since(start).Seconds())
		runs = append(runs, r)
		rows = append(rows, summarize([]*Run{r}))
	}
	fmt.Fprintf(w, "\nSeed %d; accuracies in %%, measured with dropout and augmentation off; gap = train − test:\n\n", seed)
	WriteTable(w, rows)
	fmt.Fprintln(w)
	writeVerdicts(w, rows)
	best := bestCured(runs)
	for _, p := range []struct {
		name string
		r    *Run
	}{{"overfitting-plain.png", runs[0]}, {"overfitting-cured.png", best}} {
		path := filepath.Join(dir, p.name)
		if err := plot.SaveCurves(p.r.History, path); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "\ncurves of %s (%s): %s", p.r.Cure.Family, p.r.Cure.Setting(), path)
	}
	fmt.Fprintln(w, "\n  (train and validation loss and accuracy per epoch; validation: the first 2,000 validation\n   images, or early stopping's own split)")
	return rows, nil
}

// writeVerdicts says, for each cure, what its run did to test accuracy and
// to the gap against the plain run (rows[0]), and for those that did not
// help, why that can happen.
func writeVerdicts(w io.Writer, rows []Row) {
	plain := rows[0]
	for _, r := range rows[1:] {
		dTest, dGap := r.Test.Mean-plain.Test.Mean, r.Gap.Mean-plain.Gap.Mean
		verdict := "no clear change"
		switch {
		case dTest >= helpMargin:
			verdict = "helps"
		case dTest <= -helpMargin:
			verdict = "hurts"
		}
		fmt.Fprintf(w, "%-22s %-16s test %+.2f points, gap %+.2f points\n", r.Family, verdict, 100*dTest, 100*dGap)
		if verdict != "helps" {
			fmt.Fprintf(w, "    Why that can happen: %s\n", whyNot[r.Family])
		}
	}
}

// bestCured is the cure with the best validation accuracy on 1,000 images
// (chosen without the test set), the plain run if none beats it.
func bestCured(runs []*Run) *Run {
	best := runs[0]
	for _, r := range runs[1:] {
		if r.Cure.Images == runs[0].Cure.Images && !math.IsNaN(r.Val) && r.Val > best.Val {
			best = r
		}
	}
	return best
}
