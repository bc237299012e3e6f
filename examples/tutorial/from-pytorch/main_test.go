package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/goras-ml/goras/examples/tutorial/internal/pagetest"
)

// torchFile is the LeNet-5 PyTorch exported for onnx's import tests
// (onnx/testdata/make_torch.py), seen from this directory.
const torchFile = "../../../onnx/testdata/lenet5_opset17.onnx"

// Every claim of the page, on 1,000 training images: the hand loop is Fit,
// a data set of one's own trains as mnist.Images does, saving and loading
// both ways predict bit for bit, and PyTorch's LeNet-5 imported from ONNX
// gives PyTorch's outputs within 1e-5 and learns in goras.
func TestCompare(t *testing.T) {
	o := defaults()
	o.train, o.test, o.torch, o.out = 1000, 500, torchFile, t.TempDir()
	var out bytes.Buffer
	r, err := compare(&out, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if r.params != 61706 || r.torchWeights != 61706 {
		t.Errorf("LeNet-5 has %d weights here and %d imported from PyTorch, want 61,706 both", r.params, r.torchWeights)
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{{"TrainOnBatch loop = Fit", r.loopIsFit}, {"pixels = mnist.Images", r.pixelsIsImages},
		{"Save/Load", r.loadedSame}, {"SaveWeights/LoadWeights", r.rebuiltSame}} {
		if !c.ok {
			t.Errorf("%s does not hold", c.name)
		}
	}
	if r.torchInputs != 4 || r.torchDiff > 1e-5 {
		t.Errorf("on %d PyTorch inputs, goras differs from PyTorch by up to %g, want 4 inputs within 1e-5", r.torchInputs, r.torchDiff)
	}
	if r.torchAfter < r.torchBefore+0.4 {
		t.Errorf("the imported LeNet-5 went from %.4f to %.4f test accuracy in one epoch, want 40 points more", r.torchBefore, r.torchAfter)
	}
	if !r.allTrue() {
		t.Error("allTrue is false with every check true")
	}
}

// sameWeights can say no: two seeds give two networks.
func TestSameWeightsDiffers(t *testing.T) {
	a, err := newTrained(1, 100, 100)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newTrained(2, 100, 100)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newTrained(1, 100, 100)
	if err != nil {
		t.Fatal(err)
	}
	if sameWeights(a, b) || !sameWeights(a, c) {
		t.Errorf("seeds 1 and 2: same %v (want false); seeds 1 and 1: same %v (want true)", sameWeights(a, b), sameWeights(a, c))
	}
}

func TestRunRejectsBadTrain(t *testing.T) {
	o := defaults()
	o.train = 10
	if err := run(&bytes.Buffer{}, o); err == nil || !strings.Contains(err.Error(), "-train") {
		t.Errorf("-train 10: error %v, want one naming -train", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
