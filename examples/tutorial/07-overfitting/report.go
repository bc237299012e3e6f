package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/goras-ml/goras/plot"
)

// writeTable prints each run's accuracy and loss on its training images,
// the validation set and the test set, and the gap between training and
// validation.
func writeTable(w io.Writer, results []result) {
	fmt.Fprintf(w, "\nAccuracy and loss after training (dropout and augmentation off); gap = train − validation:\n\n")
	fmt.Fprintf(w, "%-16s %6s %9s %9s %9s %10s %10s %10s %8s %7s\n",
		"run", "epochs", "train", "val", "test", "acc gap", "train loss", "val loss", "loss gap", "Σw²")
	for _, r := range results {
		fmt.Fprintf(w, "%-16s %6d %8.2f%% %8.2f%% %8.2f%% %7.2f pt %10.4f %10.4f %8.4f %7.0f\n",
			r.cure.name, len(r.history.Epoch),
			100*r.train["accuracy"], 100*r.val["accuracy"], 100*r.test["accuracy"],
			100*(r.train["accuracy"]-r.val["accuracy"]),
			r.train["loss"], r.val["loss"], r.val["loss"]-r.train["loss"], r.squares)
	}
	plain := results[0].history.History
	best := 0
	for i, v := range plain["val_loss"] {
		if v < plain["val_loss"][best] {
			best = i
		}
	}
	n := len(plain["val_loss"])
	fmt.Fprintf(w, "\nWith no cure, the validation loss was lowest after epoch %d (%.4f) and ended at %.4f,\n"+
		"while the training loss went from %.4f to %.4f.\n",
		best+1, plain["val_loss"][best], plain["val_loss"][n-1], plain["loss"][0], plain["loss"][n-1])
}

// savePictures draws each run's training and validation curves.
func savePictures(w io.Writer, results []result, dir string) error {
	fmt.Fprintln(w)
	for _, r := range results {
		if r.cure.picture == "" {
			continue
		}
		path := filepath.Join(dir, r.cure.picture)
		if err := plot.SaveCurves(r.history, path); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", path)
	}
	return nil
}
