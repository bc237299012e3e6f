package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras/examples/tutorial/internal/pagetest"

	"github.com/goras-ml/goras/tensor"
)

// randomCase is a network with random weights and a batch of 4 samples.
func randomCase(seed uint64) (net, []sample) {
	rng := tensor.NewRNG(seed)
	v := make([]float64, 9)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	var n net
	n.setValues(v)
	samples := make([]sample, 4)
	for i := range samples {
		samples[i] = sample{x: [2]float64{rng.NormFloat64(), rng.NormFloat64()}, t: rng.NormFloat64()}
	}
	return n, samples
}

// TestForwardOnPaper: z1 = x·W1 + b1 = (1·0.1 + 0.5·(−0.3) + 0, 1·0.4 +
// 0.5·0.2 + 0.1) = (−0.05, 0.6), and the rest follows from it.
func TestForwardOnPaper(t *testing.T) {
	tr := forward(weights, example)
	if math.Abs(tr.z1[0]+0.05) > 1e-12 || math.Abs(tr.z1[1]-0.6) > 1e-12 {
		t.Errorf("z1 = %v, want [-0.05 0.6]", tr.z1)
	}
	y := 0.2 + 0.5/(1+math.Exp(0.05)) - 0.6/(1+math.Exp(-0.6))
	if math.Abs(tr.y-y) > 1e-12 || math.Abs(tr.loss-(y-1)*(y-1)) > 1e-12 {
		t.Errorf("ŷ = %v, L = %v; want %v, %v", tr.y, tr.loss, y, (y-1)*(y-1))
	}
}

// TestChainRuleMatchesFiniteDifferences holds the hand back-propagation to
// central differences of the loss, on the chapter's sample and on random
// weights with a batch of four.
func TestChainRuleMatchesFiniteDifferences(t *testing.T) {
	cases := map[string]func() (net, []sample){
		"chapter": func() (net, []sample) { return weights, []sample{example} },
		"random":  func() (net, []sample) { return randomCase(7) },
	}
	for name, c := range cases {
		n, samples := c()
		_, g := batchGradient(n, samples)
		numeric := numericGradient(n, samples)
		for i, v := range g.values() {
			if math.Abs(v-numeric[i]) > 1e-7*math.Max(1, math.Abs(v)) {
				t.Errorf("%s: weight %d: chain rule %.9f, finite differences %.9f", name, i, v, numeric[i])
			}
		}
	}
}

// TestGorasMatchesChainRule: goras's plan gives the loss and every weight's
// gradient of the hand computation, for one sample and for the mean over a
// batch of four, within float32 rounding.
func TestGorasMatchesChainRule(t *testing.T) {
	for _, seed := range []uint64{0, 3, 11} {
		n, samples := weights, []sample{example}
		if seed > 0 {
			n, samples = randomCase(seed)
		}
		wantLoss, g := batchGradient(n, samples)
		loss, grad, names, err := gorasGradient(n, samples)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(loss-wantLoss) > 1e-5*math.Max(1, wantLoss) {
			t.Errorf("seed %d: goras's loss %.7f, by hand %.7f", seed, loss, wantLoss)
		}
		for i, v := range g.values() {
			if math.Abs(grad[i]-v) > 1e-5*math.Max(1, math.Abs(v)) {
				t.Errorf("seed %d: %s: goras %.7f, chain rule %.7f", seed, names[i], grad[i], v)
			}
		}
		if err := checkLayers(n, samples); err != nil {
			t.Errorf("seed %d: gradient check: %v", seed, err)
		}
	}
}

// TestRun runs the chapter, its picture going to a temporary directory,
// and checks the lines the page explains and the picture's size (8.5 × 4.6
// inches at 96 dpi).
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(&out, options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"  ∂L/∂ŷ  = 2(ŷ − t)         = -1.887285",
		"hidden/kernel[0,0]    -0.235763    -0.235763    -0.235763",
		"autograd.CheckGradients on both layers: every gradient agrees",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("the output lacks %q:\n%s", line, out.String())
		}
	}
	f, err := os.Open(filepath.Join(dir, "04-backprop.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 816 || b.Dy() < 441 || b.Dy() > 442 {
		t.Errorf("the picture is %v, want 816×442", b.Size())
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
