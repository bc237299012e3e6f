package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras/plot"
)

// lessonCures are the cures the lesson runs after the plain network, with
// p's images and epochs, each at the setting `-measure` chose on the
// validation images (docs/overfitting.md lists every setting tried), then
// p's more-data runs for scale.
func lessonCures(p Plan) []Cure {
	c := func(family string) Cure { return Cure{Family: family, Images: p.Images, Epochs: p.Epochs} }
	none, l2, drop, both := c("none"), c("L2"), c("dropout"), c("L2 + dropout")
	stop, aug, augDrop := c("early stopping"), c("augmentation"), c("augmentation + dropout")
	l2.L2 = 1e-5 // the weakest tried; every stronger one did worse on validation
	drop.Dropout = 0.5
	both.L2, both.Dropout = 1e-5, 0.5
	stop.Monitor, stop.Patience = "val_accuracy", 20
	aug.Augment = 1
	augDrop.Augment, augDrop.Dropout = 1, 0.35
	return append([]Cure{none, l2, drop, both, stop, aug, augDrop}, p.More...)
}

// soleMargin is how far, in test accuracy, a cure must move from the plain
// run to be called a help or a harm when either row has one seed, and so no
// spread to go by: 1 point is about twice the spread of the difference of
// two single runs (docs/overfitting.md: standard deviations of 0.1–0.5
// points per row).
const soleMargin = 0.01

// whyNot says why a cure can fail to help on this problem; the lesson
// prints it only for the cures its own runs found not to help.
var whyNot = map[string]string{
	"L2": "the network fits all 1,000 images with or without the penalty (train accuracy 100 %), and " +
		"the gap comes from what 1,000 images do not show (other hands, slants, sizes), which more images " +
		"and augmentation supply and a penalty on the weights does not. Under Adam the penalty's gradient " +
		"is also divided, weight by weight, by the size of that weight's past gradients, like the loss's: " +
		"the weights the loss pushes hardest are held back least, which is why AdamW applies weight decay " +
		"apart from the gradient.",
	"dropout": "dropout changes how the network fits the same 1,000 images, not what they show: it still " +
		"fits them all (train accuracy 100 %), and in 500 steps its gain, if any, is small next to the " +
		"spread between seeds (docs/overfitting.md: +0.56 points over 10 seeds).",
	"L2 + dropout": "neither adds what 1,000 images lack, the variety of handwriting, and the network still " +
		"fits all of them.",
	"early stopping": "it holds out 20 % of the 1,000 images to watch, so it trains on 800 (its train " +
		"accuracy is on those), and a split of 200 images is a noisy guide: one image is half a point, and " +
		"the epoch it keeps only looked best on those 200 (docs/overfitting.md: the plain network on those " +
		"800 images loses 0.76 of its 1.21 points).",
	"augmentation": "the random turns, zooms and shifts may be too weak or too strong for these digits, " +
		"or need more epochs than these.",
	"augmentation + dropout": "the two together may slow fitting too much for this many epochs.",
	"more data":              "this many epochs may be too few to use the extra images.",
}

// Lesson trains each cure (the first one is the plain network) with every
// seed on d, the runs on more images than precede the validation images
// (all 60,000) with the first seed only for their cost; reads the test set
// once per run; prints the table and what it shows; and saves the curves of
// the plain run and of the cure with the best validation accuracy into dir.
// Only each cure's first seed is validated every epoch, for its curves.
func Lesson(ctx context.Context, d *Data, cures []Cure, seeds []uint64, dir string, w io.Writer) ([]Row, error) {
	var rows []Row
	var first []*Run // each cure's first seed, for the curves
	for _, c := range cures {
		ss := seeds
		if c.Images > d.ValStart {
			ss = seeds[:1]
		}
		runs, err := trainSeeds(ctx, d, c, ss, true, w)
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if err := r.ReadTest(); err != nil {
				return nil, err
			}
			r.release()
		}
		rows = append(rows, summarize(runs))
		first = append(first, runs[0])
	}
	fmt.Fprintf(w, "\nAccuracies in %% (mean ± standard deviation over the seeds), measured with dropout and\naugmentation off; gap = train − test, in points:\n\n")
	WriteTable(w, rows)
	fmt.Fprintln(w)
	fmt.Fprint(w, wrap(curveSigns(first[0]), "", 100))
	fmt.Fprintln(w)
	writeVerdicts(w, rows)
	best := bestCured(rows, cures)
	for _, p := range []struct {
		name string
		i    int
	}{{"overfitting-plain.png", 0}, {"overfitting-cured.png", best}} {
		path := filepath.Join(dir, p.name)
		if err := plot.SaveCurves(first[p.i].History, path); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "\nCurves of %s (%s), seed %d: %s", rows[p.i].Family, rows[p.i].Setting, first[p.i].Seed, path)
	}
	fmt.Fprintf(w, "\n(loss and accuracy per epoch, on the training images and on %s validation images)\n", thousands(curveImages))
	return rows, nil
}

// writeVerdicts says, for each cure, what it did to test accuracy and to
// the gap against the plain run (rows[0]), whether that is more than the
// spread between seeds can explain, and for the cures that did not help,
// why that can happen.
func writeVerdicts(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "Against no cure: a cure helps (or hurts) when it moves mean test accuracy by more than twice\n"+
		"the standard error of that difference (from the spread between seeds), or by more than %.0f point\n"+
		"when a row has one seed.\n\n", 100*soleMargin)
	plain := rows[0]
	for _, r := range rows[1:] {
		dTest, dGap := r.Test.Mean-plain.Test.Mean, r.Gap.Mean-plain.Gap.Mean
		margin, se := soleMargin, diffError(plain, r)
		err := "one seed"
		if !math.IsNaN(se) {
			margin, err = 2*se, fmt.Sprintf("standard error %.2f", 100*se)
		}
		verdict := "no clear change"
		switch {
		case dTest > margin:
			verdict = "helps"
		case dTest < -margin:
			verdict = "hurts"
		}
		fmt.Fprintf(w, "%-22s %-15s test %+.2f points (%s), gap %+.2f points\n", label(r), verdict, 100*dTest, err, 100*dGap)
		if verdict != "helps" {
			fmt.Fprint(w, wrap("Why that can happen: "+whyNot[r.Family], "    ", 100))
		}
	}
}

// diffError is the standard error of the difference of two rows' mean test
// accuracies, NaN unless both have a spread (two seeds or more).
func diffError(a, b Row) float64 {
	if a.Seeds < 2 || b.Seeds < 2 {
		return math.NaN()
	}
	return math.Sqrt(a.Test.SD*a.Test.SD/float64(a.Seeds) + b.Test.SD*b.Test.SD/float64(b.Seeds))
}

// bestCured is the index of the cure on as many images as the plain run
// (rows[0]) with the best mean validation accuracy (chosen without the test
// set); 0 if none beats the plain run.
func bestCured(rows []Row, cures []Cure) int {
	best := 0
	for i, r := range rows {
		if cures[i].Images == cures[0].Images && r.Val.Mean > rows[best].Val.Mean {
			best = i
		}
	}
	return best
}

// label names a row in the verdicts: its cure, or for more data its number
// of images.
func label(r Row) string {
	if r.Family == "more data" {
		return r.Setting
	}
	return r.Family
}

// wrap breaks text into lines of at most width characters (words longer
// than that stand alone), each starting with indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len([]rune(line))+1+len([]rune(word)) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}

// curveSigns tells what the plain run's curves show: where its validation
// loss was lowest and where it ended, against its training loss and its
// validation accuracy over the same epochs.
func curveSigns(r *Run) string {
	h := r.History.History
	loss, vloss, vacc := h["loss"], h["val_loss"], h["val_accuracy"]
	n := len(vloss)
	if n == 0 || len(loss) != n || len(vacc) != n {
		return "The plain run logged no validation curves."
	}
	best := 0
	for i, v := range vloss {
		if v < vloss[best] {
			best = i
		}
	}
	signs := fmt.Sprintf("The plain run's curves (seed %d): training loss fell from %.3f to %.4f over %d epochs; "+
		"validation loss was lowest at epoch %d (%.3f) and ended at %.3f, while validation accuracy went from "+
		"%.2f %% at epoch %d to %.2f %% at the end.",
		r.Seed, loss[0], loss[n-1], n, best+1, vloss[best], vloss[n-1], 100*vacc[best], best+1, 100*vacc[n-1])
	if vloss[n-1] > vloss[best] && loss[n-1] < loss[best] {
		return signs + " A validation loss that rises while the training loss keeps falling is the mark of over-fitting."
	}
	return signs + " The validation loss did not rise again: no sign of over-fitting in the loss."
}
