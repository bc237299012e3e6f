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
)

// TestNeuronByHandAndByGoras holds goras's Dense unit to the float64
// formula for every activation, and the formula to values worked out on
// paper: z = 0.8·0.5 + 0.2·(-1) - 0.5·2 + 0.1 = -0.7 and
// z = 0.8 + 0.4 - 0.25 + 0.1 = 1.05.
func TestNeuronByHandAndByGoras(t *testing.T) {
	if z := weightedSum(weights, bias, inputs[0]); math.Abs(z+0.7) > 1e-12 {
		t.Errorf("z of the first input = %v, want -0.7", z)
	}
	if z := weightedSum(weights, bias, inputs[1]); math.Abs(z-1.05) > 1e-12 {
		t.Errorf("z of the second input = %v, want 1.05", z)
	}
	paper := map[string][2]float64{ // activation(-0.7), activation(1.05)
		"linear":  {-0.7, 1.05},
		"relu":    {0, 1.05},
		"sigmoid": {1 / (1 + math.Exp(0.7)), 1 / (1 + math.Exp(-1.05))},
		"tanh":    {math.Tanh(-0.7), math.Tanh(1.05)},
	}
	for act, want := range paper {
		hand := byHand(act, weights, bias, inputs)
		got, err := denseNeuron(act, weights, bias, inputs)
		if err != nil {
			t.Fatal(err)
		}
		for i := range inputs {
			if math.Abs(hand[i]-want[i]) > 1e-12 {
				t.Errorf("%s by hand, input %d: %v, want %v", act, i, hand[i], want[i])
			}
			if math.Abs(got[i]-want[i]) > 1e-6 {
				t.Errorf("%s by goras's Dense, input %d: %.7f, want %.7f", act, i, got[i], want[i])
			}
		}
	}
}

// TestSoftmaxLayer: goras's Dense(3, softmax) equals the softmax of the
// scores computed by hand, and its outputs sum to 1.
func TestSoftmaxLayer(t *testing.T) {
	z := layerScores(layerKernel, layerBias, inputs[0])
	for j, want := range []float64{-0.7, 1.25, 1.05} { // worked out on paper
		if math.Abs(z[j]-want) > 1e-12 {
			t.Errorf("z[%d] = %v, want %v", j, z[j], want)
		}
	}
	want := softmax(z)
	got, err := denseLayer("softmax", layerKernel, layerBias, inputs[0])
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for j := range want {
		if math.Abs(got[j]-want[j]) > 1e-6 {
			t.Errorf("softmax output %d: goras %.7f, by hand %.7f", j, got[j], want[j])
		}
		sum += got[j]
	}
	if math.Abs(sum-1) > 1e-6 {
		t.Errorf("goras's softmax outputs sum to %v, want 1", sum)
	}
}

// TestActivationCurves: the curves drawn are goras's activations, equal to
// the formulas at every z; softmax's three outputs are the formula's too.
func TestActivationCurves(t *testing.T) {
	z := zs()
	for _, name := range []string{"relu", "sigmoid", "tanh", "softmax"} {
		curves, err := activationCurve(name, z)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range z {
			want := []float64{activation(name, v)}
			if name == "softmax" {
				want = softmax([]float64{v, 1, 0})
			}
			if len(curves) != len(want) {
				t.Fatalf("%s: %d curves, want %d", name, len(curves), len(want))
			}
			for j := range want {
				if math.Abs(curves[j][i]-want[j]) > 1e-6 {
					t.Fatalf("%s output %d at z = %v: %.7f, want %.7f", name, j, v, curves[j][i], want[j])
				}
			}
		}
	}
}

// TestRun runs the chapter as the page shows it, its pictures going to a
// temporary directory, and checks the lines the page explains and the
// picture's size (two columns of 4.5 inches, two rows of 3.2, at 96 dpi).
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(&out, options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"sigmoid    [0.5 -1 2]      -0.7000   0.331812   0.331812",
		"relu       [0.5 -1 2]      -0.7000   0.000000   0.000000",
		"sum                 1.000000   1.000000",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("the output lacks %q:\n%s", line, out.String())
		}
	}
	f, err := os.Open(filepath.Join(dir, "01-activations.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 864 || b.Dy() < 614 || b.Dy() > 615 {
		t.Errorf("the picture is %v, want 864×614", b.Size())
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }

// mustAbs is the test's directory, whose name is the chapter's.
func mustAbs(t *testing.T) string {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
