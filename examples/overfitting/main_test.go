package main

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
)

// tinyData is a stand-in for MNIST that trains in milliseconds: digit c is
// a bright 7×7 square at one of ten places, over faint noise. The first
// valStart training images are for training, the rest for validation.
func tinyData(train, valStart, test int) *Data {
	r := rand.New(rand.NewPCG(7, 11))
	set := func(n int) mnist.Dataset {
		x := &mnist.Images{N: n, Rows: 28, Cols: 28, Pixels: make([]uint8, n*28*28)}
		y := make(mnist.Labels, n)
		for i := range n {
			c := r.IntN(10)
			y[i] = uint8(c)
			px := x.Pixels[i*784 : (i+1)*784]
			for j := range px {
				px[j] = uint8(r.IntN(40))
			}
			top, left := 3+(c/5)*12+r.IntN(3), 1+(c%5)*5
			for dy := range 7 {
				for dx := range 4 {
					px[(top+dy)*28+left+dx] = 255
				}
			}
		}
		return mnist.Dataset{X: x, Y: y}
	}
	return &Data{Train: set(train), ValStart: valStart, Test: set(test)}
}

// tinyCures are the lesson's cures on 100 images for 3 epochs, and 250
// images (more than precede the validation images) for more data.
func tinyCures() []Cure {
	return lessonCures(Plan{Images: 100, Epochs: 3, More: []Cure{{Family: "more data", Images: 250, Epochs: 2}}})
}

// The lesson's logic on a tiny data set, two seeds: one row per cure in the
// printed table, every gap the row's train minus test, every accuracy a
// whole number of images, the more-data run (on the validation images too)
// with one seed and no validation accuracy, and the two pictures written.
func TestLessonTable(t *testing.T) {
	d := tinyData(300, 200, 120)
	dir := t.TempDir()
	var out bytes.Buffer
	cures := tinyCures()
	rows, err := Lesson(context.Background(), d, cures, []uint64{1, 2}, dir, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(cures) {
		t.Fatalf("%d rows for %d cures", len(rows), len(cures))
	}
	for i, r := range rows {
		seeds := 2 // the run on the validation images takes the first seed only
		if cures[i].Images > d.ValStart {
			seeds = 1
		}
		if r.Family != cures[i].Family || r.Seeds != seeds {
			t.Errorf("row %d: %s with %d seeds, want %s with %d", i, r.Family, r.Seeds, cures[i].Family, seeds)
		}
		if got := r.Train.Mean - r.Test.Mean; math.Abs(r.Gap.Mean-got) > 1e-12 {
			t.Errorf("%s: gap %g, train − test %g", r.Family, r.Gap.Mean, got)
		}
		fitted := cures[i].Images
		if cures[i].Patience > 0 {
			fitted -= int(float64(fitted) * splitFraction)
		}
		// A mean over seeds counts right answers out of seeds × images.
		wholeImages(t, r.Family+" train", r.Train.Mean, seeds*fitted)
		wholeImages(t, r.Family+" test", r.Test.Mean, seeds*120)
		if cures[i].Images <= d.ValStart {
			wholeImages(t, r.Family+" val", r.Val.Mean, seeds*100)
		} else if !math.IsNaN(r.Val.Mean) {
			t.Errorf("%s trained on the validation images, yet reports val accuracy %g", r.Family, r.Val.Mean)
		}
		if r.Epochs.Mean < 1 || r.Epochs.Mean > float64(r.MaxEpochs) || r.MaxEpochs != cures[i].Epochs {
			t.Errorf("%s: %g of %d epochs run, at most %d allowed", r.Family, r.Epochs.Mean, r.MaxEpochs, cures[i].Epochs)
		}
	}
	checkPrinted(t, out.String(), rows)
	for _, name := range []string{"overfitting-plain.png", "overfitting-cured.png"} {
		path := filepath.Join(dir, name)
		if !strings.Contains(out.String(), path) {
			t.Errorf("the lesson does not print where it wrote %s", path)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 100 || cfg.Height < 100 {
			t.Errorf("%s: %d×%d, %v; want a PNG of curves", name, cfg.Width, cfg.Height, err)
		}
	}
}

// wholeImages fails unless acc is k/n for a whole k: a count of right
// answers among n images.
func wholeImages(t *testing.T, what string, acc float64, n int) {
	t.Helper()
	k := acc * float64(n)
	if acc < 0 || acc > 1 || math.Abs(k-math.Round(k)) > 1e-3 {
		t.Errorf("%s accuracy %g is not a count of right answers out of %d", what, acc, n)
	}
}

// checkPrinted reads the Markdown table back from the lesson's output: the
// printed numbers are the rows' (to the printed 0.01 %), gap = train − test
// and "test vs none" = test − the first row's test, up to rounding.
func checkPrinted(t *testing.T, out string, rows []Row) {
	t.Helper()
	var cells [][]string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| cure ") {
			f := strings.Split(strings.Trim(line, "| "), " | ")
			if len(f) != len(tableHeader) {
				t.Fatalf("table line %q has %d columns, want %d", line, len(f), len(tableHeader))
			}
			cells = append(cells, f)
		}
	}
	if len(cells) != len(rows) {
		t.Fatalf("the printed table has %d rows, want %d:\n%s", len(cells), len(rows), out)
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(strings.Fields(s)[0], 64)
		if err != nil {
			t.Fatalf("cell %q is not a number", s)
		}
		return v
	}
	test0 := num(cells[0][5])
	for i, c := range cells {
		train, test, gap := num(c[3]), num(c[5]), num(c[6])
		if math.Abs(train-100*rows[i].Train.Mean) > 0.005+1e-9 || math.Abs(test-100*rows[i].Test.Mean) > 0.005+1e-9 {
			t.Errorf("row %d prints train %s, test %s; the run measured %g, %g", i, c[3], c[5], rows[i].Train.Mean, rows[i].Test.Mean)
		}
		if math.Abs(gap-(train-test)) > 0.011 {
			t.Errorf("row %d: gap %s, but train − test = %.2f", i, c[6], train-test)
		}
		if i > 0 && math.Abs(num(c[7])-(test-test0)) > 0.011 {
			t.Errorf("row %d: test vs none %s, but %.2f − %.2f = %.2f", i, c[7], test, test0, test-test0)
		}
	}
}

// statOf: the mean and the sample standard deviation (n − 1), by hand.
func TestStat(t *testing.T) {
	runs := []*Run{{Train: 0.90}, {Train: 0.92}, {Train: 0.97}}
	s := statOf(runs, func(r *Run) float64 { return r.Train })
	// mean 0.93; squares 0.0009 + 0.0001 + 0.0016 = 0.0026, /2 → sd √0.0013.
	if math.Abs(s.Mean-0.93) > 1e-12 || math.Abs(s.SD-math.Sqrt(0.0013)) > 1e-12 {
		t.Errorf("got %+v, want mean 0.93, sd %g", s, math.Sqrt(0.0013))
	}
	if got := percent(s); got != "93.00 ± 3.61" {
		t.Errorf("percent = %q, want 93.00 ± 3.61", got)
	}
	one := statOf(runs[:1], func(r *Run) float64 { return r.Train })
	if !math.IsNaN(one.SD) || percent(one) != "90.00" || percent(Stat{math.NaN(), math.NaN()}) != "—" {
		t.Errorf("one seed: %+v shown %q; want no spread, 90.00", one, percent(one))
	}
}

// Measure chooses each family's setting by mean validation accuracy and
// reads the test set for that setting's runs only.
func TestMeasureChoosesOnValidation(t *testing.T) {
	d := tinyData(300, 200, 120)
	p := Plan{Images: 100, Epochs: 2, Seeds: []uint64{1, 2}, Dropouts: []float64{0.1, 0.9}}
	fs := p.Families()
	if len(fs) != 2 || fs[0].Name != "none" || fs[1].Name != "dropout" || len(fs[1].Settings) != 2 {
		t.Fatalf("families %+v; want none and dropout with 2 settings", fs)
	}
	var log bytes.Buffer
	rows, cands, err := Measure(context.Background(), d, fs, &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(cands) != 3 {
		t.Fatalf("%d rows and %d candidates, want 2 and 3", len(rows), len(cands))
	}
	if got := strings.Count(log.String(), "\n"); got != 6 {
		t.Errorf("%d progress lines, want 6 (3 settings × 2 seeds)", got)
	}
	win := 1
	if cands[2].Val.Mean > cands[1].Val.Mean {
		win = 2
	}
	if !cands[0].Chosen || cands[win].Chosen == cands[3-win].Chosen || !cands[win].Chosen {
		t.Errorf("chosen %v, %v, %v; want none and dropout's best by validation (%d)", cands[0].Chosen, cands[1].Chosen, cands[2].Chosen, win)
	}
	if rows[1].Setting != cands[win].Setting || rows[1].Val != cands[win].Val {
		t.Errorf("row %q val %v, want the chosen %q val %v", rows[1].Setting, rows[1].Val, cands[win].Setting, cands[win].Val)
	}
	for _, r := range rows {
		if math.IsNaN(r.Test.Mean) || r.Seeds != 2 {
			t.Errorf("%s: test %v over %d seeds; want it read for both seeds", r.Family, r.Test, r.Seeds)
		}
	}
}

// A seed gives the same run twice, so that the tables can be reproduced.
func TestTrainIsReproducible(t *testing.T) {
	d := tinyData(300, 200, 120)
	c := Cure{Family: "dropout", Dropout: 0.5, Augment: 1, Images: 100, Epochs: 2}
	a, err := Train(context.Background(), d, c, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(context.Background(), d, c, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if a.Train != b.Train || a.Val != b.Val {
		t.Errorf("seed 3 twice: train %g, %g; val %g, %g", a.Train, b.Train, a.Val, b.Val)
	}
}

// The verdicts follow the numbers: with seeds, a cure helps or hurts when
// it moves mean test accuracy by more than twice the standard error of the
// difference; with one seed, by more than soleMargin. Only the cures that
// did not help get a reason.
func TestVerdicts(t *testing.T) {
	row := func(family string, seeds int, test, sd float64) Row {
		return Row{Family: family, Seeds: seeds, Train: Stat{1, 0}, Test: Stat{test, sd}, Gap: Stat{1 - test, sd}}
	}
	// Three seeds, sd 0.3 points each: standard error √(2·0.003²/3) = 0.245
	// points, so the margin is 0.49 points.
	var out bytes.Buffer
	writeVerdicts(&out, []Row{
		row("none", 3, 0.90, 0.003),
		row("augmentation", 3, 0.905, 0.003),   // +0.50: helps
		row("dropout", 3, 0.9045, 0.003),       // +0.45: within the margin
		row("early stopping", 3, 0.895, 0.003), // −0.50: hurts
		{Family: "more data", Setting: "60,000 images", Seeds: 1, Train: Stat{1, 0}, Test: Stat{0.90 + soleMargin + 0.001, math.NaN()}, Gap: Stat{0.1 - soleMargin - 0.001, math.NaN()}},
		row("L2", 1, 0.90+soleMargin-0.001, math.NaN()),
	})
	got := out.String()
	for _, want := range []string{
		"augmentation           helps           test +0.50 points (standard error 0.24), gap -0.50 points",
		"dropout                no clear change test +0.45 points (standard error 0.24), gap -0.45 points",
		"early stopping         hurts           test -0.50 points",
		"60,000 images          helps           test +1.10 points (one seed)",
		"L2                     no clear change test +0.90 points (one seed)",
		wrap("Why that can happen: "+whyNot["L2"], "    ", 100),
		wrap("Why that can happen: "+whyNot["early stopping"], "    ", 100),
		wrap("Why that can happen: "+whyNot["dropout"], "    ", 100),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("verdicts lack %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "Why that can happen"); n != 3 {
		t.Errorf("%d reasons given, want 3 (the cures that did not help):\n%s", n, got)
	}
}

// curveSigns reads the plain run's History: the epoch of the lowest
// validation loss and the values at it and at the end.
func TestCurveSigns(t *testing.T) {
	h := &goras.History{History: map[string][]float64{
		"loss":         {1.5, 0.5, 0.1, 0.01},
		"val_loss":     {0.9, 0.4, 0.5, 0.6},
		"val_accuracy": {0.80, 0.88, 0.89, 0.9},
	}}
	got := curveSigns(&Run{Seed: 2, History: h})
	want := "The plain run's curves (seed 2): training loss fell from 1.500 to 0.0100 over 4 epochs; " +
		"validation loss was lowest at epoch 2 (0.400) and ended at 0.600, while validation accuracy went " +
		"from 88.00 % at epoch 2 to 90.00 % at the end. A validation loss that rises while the training " +
		"loss keeps falling is the mark of over-fitting."
	if got != want {
		t.Errorf("curveSigns =\n%s\nwant\n%s", got, want)
	}
	h.History["val_loss"] = []float64{0.9, 0.4, 0.3, 0.3}
	if got := curveSigns(&Run{Seed: 2, History: h}); !strings.Contains(got, "lowest at epoch 3 (0.300)") ||
		!strings.HasSuffix(got, "did not rise again: no sign of over-fitting in the loss.") {
		t.Errorf("with a falling validation loss, curveSigns =\n%s", got)
	}
}

// wrap keeps every line within the width and loses no word.
func TestWrap(t *testing.T) {
	got := wrap("aa bbb cccc dd e", "  ", 9)
	if want := "  aa bbb\n  cccc dd\n  e\n"; got != want {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}

func TestParseSeeds(t *testing.T) {
	if s, err := parseSeeds(" 1, 2,10 "); err != nil || len(s) != 3 || s[2] != 10 {
		t.Errorf("parseSeeds: %v, %v; want [1 2 10]", s, err)
	}
	if s, err := parseSeeds(""); err != nil || len(s) != 0 {
		t.Errorf("parseSeeds(\"\"): %v, %v; want none", s, err)
	}
	if _, err := parseSeeds("1,x"); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("parseSeeds(1,x): %v; want an error naming x", err)
	}
}
