// Command overfitting is the course's lesson on over-fitting: a network of
// 648,010 weights trained on 1,000 MNIST images learns them by heart (100 %
// training accuracy) and stays about 10 points behind on the test images.
// The lesson then trains it with each cure the course names (L2, dropout,
// both, early stopping), with data augmentation, and on more images, each
// at the setting chosen on validation images, and prints a table of test
// accuracy and train − test gap over three seeds, says which cures moved
// test accuracy by more than the seeds' spread and which did not (with
// reasons that can explain it), and saves the training curves of the plain
// run and of the best cure as PNGs. With the default seeds, augmentation
// and 5,000 images halve the gap and 60,000 images all but close it; L2
// and dropout do not move test accuracy beyond the spread of three seeds;
// early stopping lowers it.
//
//	go run ./examples/overfitting             # the lesson, 1–2.5 minutes on 2 cores
//	go run ./examples/overfitting -measure    # docs/overfitting.md's tables
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goras-ml/goras/datasets/mnist"
)

func main() {
	measure := flag.Bool("measure", false, "measure every cure at several settings and seeds and print the tables of docs/overfitting.md (about 15 minutes on 2 cores)")
	lessonSeeds := flag.String("seeds", "1,2,3", "the seeds of the lesson's runs (the run on all 60,000 images takes the first only)")
	out := flag.String("out", "", "the directory the lesson writes its two PNGs of curves to (default: a new temporary directory)")
	seeds := flag.String("measure-seeds", "1,2,3,4,5,6,7,8,9,10", "with -measure: the seeds of the 800-, 1,000- and 5,000-image runs")
	fullSeeds := flag.String("full-seeds", "1,2,3", "with -measure: the seeds of the runs on all 60,000 training images (empty: none)")
	epochs := flag.Int("epochs", 50, "with -measure: the epochs of the 1,000-image runs")
	flag.Parse()
	train, test, err := mnist.LoadData(mnist.WithLogger(os.Stderr))
	if err != nil {
		log.Fatal(err)
	}
	// The last 10,000 training images are the validation set, where every
	// setting is chosen; the test set is read once per chosen setting.
	d := &Data{Train: train, ValStart: train.X.N - 10000, Test: test}
	if *measure {
		p := DefaultPlan()
		p.Epochs = *epochs
		if p.Seeds, err = parseSeeds(*seeds); err != nil {
			log.Fatal(err)
		} else if len(p.Seeds) == 0 {
			log.Fatal("overfitting: -measure-seeds must list at least one seed, e.g. 1,2,3")
		}
		if p.FullSeeds, err = parseSeeds(*fullSeeds); err != nil {
			log.Fatal(err)
		}
		if err := runMeasure(d, p); err != nil {
			log.Fatal(err)
		}
		return
	}
	ls, err := parseSeeds(*lessonSeeds)
	if err != nil {
		log.Fatal(err)
	} else if len(ls) == 0 {
		log.Fatal("overfitting: -seeds must list at least one seed, e.g. 1,2,3")
	}
	dir := *out
	if dir == "" {
		dir, err = os.MkdirTemp("", "goras-overfitting-")
	} else {
		err = os.MkdirAll(dir, 0o755) // before training, not after
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(intro)
	if _, err := Lesson(context.Background(), d, lessonCures(DefaultPlan()), ls, dir, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// intro says what the lesson runs.
const intro = `The network (Dense 500 ReLU, Dense 500 ReLU, Dense 10 softmax: 648,010 weights) is trained on
the first 1,000 MNIST training images, 50 epochs of batches of 100 with Adam, plainly and with each
cure at the setting chosen on validation images (the last 10,000 training images; see
docs/overfitting.md and -measure). The test set (10,000 images) is read once per run.
`

// runMeasure measures the plan and prints its tables.
func runMeasure(d *Data, p Plan) error {
	start := time.Now()
	rows, cands, err := Measure(context.Background(), d, p.Families(), os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("Settings tried, chosen by mean validation accuracy (last 10,000 training images):\n\n")
	WriteCandidates(os.Stdout, cands)
	fmt.Printf("\nChosen settings, test set read once each:\n\n")
	WriteTable(os.Stdout, rows)
	fmt.Printf("\nmeasured in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// parseSeeds reads a comma-separated list of seeds, "1,2,3"; an empty list
// leaves those runs out.
func parseSeeds(s string) ([]uint64, error) {
	var seeds []uint64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("overfitting: a seed is a whole number ≥ 0, got %q in %q; write e.g. -seeds 1,2,3", f, s)
		}
		seeds = append(seeds, v)
	}
	return seeds, nil
}
