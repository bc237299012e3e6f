package plot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/tensor"
)

// A training dashboard draws from several goroutines at once: each Save
// function, from one History, one set of images and one confusion matrix,
// all of them at once, gives the bytes it gives on one goroutine (gonum's
// font cache and text handler are shared; run under -race).
func TestSaveFromManyGoroutines(t *testing.T) {
	h := history()
	x := digits(6)
	labels, preds := []int{0, 1, 2, 3, 4, 5}, []int{0, 1, 7, 3, 4, 2}
	probs := tensor.New(6, 8)
	for i, p := range preds {
		probs.Set(0.65, i, p)
		probs.Set(0.35, i, (p+1)%8)
	}
	cm := metrics.ConfusionMatrix(labels, preds, 8)
	draws := map[string]func(path string) error{
		"curves":    func(p string) error { return SaveCurves(h, p) },
		"grid":      func(p string) error { return SaveDigitGrid(p, x, labels, preds, 3) },
		"errors":    func(p string) error { return SaveMostConfidentErrors(p, x, labels, probs, 2) },
		"confusion": func(p string) error { return SaveConfusion(p, cm) },
	}
	// Curves and confusion matrices go to SVG only: as PNGs they take half a
	// second each under -race, and the grids draw PNGs with the same text
	// and canvas code.
	exts := func(name string) []string {
		if name == "curves" || name == "confusion" {
			return []string{".svg"}
		}
		return []string{".png", ".svg"}
	}
	ref := t.TempDir()
	want := map[string][]byte{}
	for name, draw := range draws {
		for _, ext := range exts(name) {
			p := filepath.Join(ref, name+ext)
			if err := draw(p); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			want[name+ext] = b
		}
	}
	const goroutines = 4
	errs := make(chan error, goroutines*len(want))
	var wg sync.WaitGroup
	for g := range goroutines {
		dir := t.TempDir()
		for name, draw := range draws {
			for _, ext := range exts(name) {
				wg.Go(func() {
					p := filepath.Join(dir, name+ext)
					if err := draw(p); err != nil {
						errs <- err
						return
					}
					if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, want[name+ext]) {
						errs <- fmt.Errorf("goroutine %d: %s differs from one goroutine's (%v)", g, name+ext, err)
					}
				})
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
