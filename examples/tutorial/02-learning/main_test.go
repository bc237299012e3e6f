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

// quick is a small run: 25 points per cloud, 60 epochs (a fraction of a
// second), enough for two layers to separate the clouds.
func quick(t *testing.T) options {
	return options{Out: t.TempDir(), Epochs: 60, Points: 25, Seed: 1}
}

// TestXORPoints: the clouds take turns and sit around their corners, and
// each point is labelled 1 exactly when its corner's coordinates differ in
// sign.
func TestXORPoints(t *testing.T) {
	x, y := xorPoints(100, 3)
	corners := [4][2]float64{{-1, -1}, {1, 1}, {-1, 1}, {1, -1}}
	var sum [4][2]float64
	for i := range x.Dim(0) {
		c := corners[i%4]
		want := float32(0)
		if c[0]*c[1] < 0 {
			want = 1
		}
		if y.At(i, 0) != want {
			t.Fatalf("point %d of corner %v has label %v, want %v", i, c, y.At(i, 0), want)
		}
		sum[i%4][0] += float64(x.At(i, 0))
		sum[i%4][1] += float64(x.At(i, 1))
	}
	for k, c := range corners {
		for j := range 2 { // the mean of 100 points with noise 0.35 is within 0.35·4/10 of the corner
			if m := sum[k][j] / 100; math.Abs(m-c[j]) > 0.14 {
				t.Errorf("cloud %v: mean coordinate %d is %.3f", c, j, m)
			}
		}
	}
}

// TestDepthHelps: trained the same way, one layer cannot do better than
// hedging (its loss stays near ln 2, what answering 0.5 everywhere costs),
// while two layers classify every point. The loss Evaluate reports is the
// binary cross-entropy computed by hand from the predictions.
func TestDepthHelps(t *testing.T) {
	o := quick(t)
	x, y := xorPoints(o.Points, o.Seed)
	var out bytes.Buffer
	one, err := learn(&out, "one layer", oneLayer(), x, y, o)
	if err != nil {
		t.Fatal(err)
	}
	two, err := learn(&out, "two layers", twoLayers(), x, y, o)
	if err != nil {
		t.Fatal(err)
	}
	if one.loss < math.Ln2-0.02 || one.acc > 0.75 {
		t.Errorf("one layer: loss %.4f, accuracy %.3f; want loss ≥ ln 2 - 0.02 = %.4f and accuracy ≤ 0.75 (a line cannot separate XOR)", one.loss, one.acc, math.Ln2-0.02)
	}
	if two.loss > 0.1 || two.acc < 0.99 {
		t.Errorf("two layers: loss %.4f, accuracy %.3f; want loss ≤ 0.1 and accuracy ≥ 0.99", two.loss, two.acc)
	}
	for _, r := range []result{one, two} {
		p, err := r.model.PredictOnBatch(x)
		if err != nil {
			t.Fatal(err)
		}
		var bce float64
		for i := range x.Dim(0) {
			q := math.Min(math.Max(float64(p.At(i, 0)), 1e-7), 1-1e-7)
			if y.At(i, 0) == 1 {
				bce -= math.Log(q)
			} else {
				bce -= math.Log(1 - q)
			}
		}
		bce /= float64(x.Dim(0))
		if math.Abs(bce-r.loss) > 1e-4+1e-4*bce {
			t.Errorf("%s: Evaluate's loss %.6f, binary cross-entropy by hand %.6f", r.name, r.loss, bce)
		}
	}
}

// TestRun runs the chapter quickly, its pictures going to a temporary
// directory, and checks the pictures' sizes: three square panels of 3.6
// inches, and one of 5.5 inches, all 3.4 inches high at 96 dpi.
func TestRun(t *testing.T) {
	o := quick(t)
	var out bytes.Buffer
	if err := run(&out, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Total params: 33 (132.00 B)") {
		t.Errorf("the two-layer network's summary is missing:\n%s", out.String())
	}
	for name, width := range map[string]int{"02-xor.png": 1037, "02-loss.png": 528} {
		f, err := os.Open(filepath.Join(o.Out, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() < width || b.Dx() > width+1 || b.Dy() < 326 || b.Dy() > 327 {
			t.Errorf("%s is %v, want %d×326", name, b.Size(), width)
		}
	}
	if err := run(&out, options{Out: o.Out, Epochs: 0, Points: 5}); err == nil || !strings.Contains(err.Error(), "-epochs 0") {
		t.Errorf("0 epochs: error %v, want one naming -epochs 0", err)
	}
}

// TestPagesQuoteTheProgram: every Go block of the chapter's pages is a
// piece of this program, character for character.
func TestPagesQuoteTheProgram(t *testing.T) { pagetest.QuotesTheProgram(t) }
