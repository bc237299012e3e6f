package ensemble

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/tensor"
)

// fixed is a fake model that always predicts the same rows.
type fixed struct{ out []float32 }

func (f fixed) Predict(x goras.Data, _ ...goras.Option) (*tensor.Tensor, error) {
	n := x.Shape()[0]
	t, err := tensor.FromSlice(append([]float32(nil), f.out...), n, len(f.out)/n)
	return t, err
}

// logits is a fixed model compiled with a from-logits loss.
type logits struct{ fixed }

func (logits) Loss() losses.Loss { return losses.CategoricalCrossentropy{FromLogits: true} }

func close(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestPredictAveragesProbabilities(t *testing.T) {
	x := tensor.New(2, 2, 2)
	a := fixed{[]float32{0.7, 0.2, 0.1, 0.1, 0.1, 0.8}}
	// b's logits: softmax(0, 0, ln 2) = (1, 1, 2)/4 = (0.25, 0.25, 0.5) and
	// softmax(ln 3, 0, 0) = (3, 1, 1)/5 = (0.6, 0.2, 0.2).
	b := logits{fixed{[]float32{0, 0, float32(math.Ln2), float32(math.Log(3)), 0, 0}}}
	got, err := Predict([]Model{a, b}, x)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{(0.7 + 0.25) / 2, (0.2 + 0.25) / 2, (0.1 + 0.5) / 2, (0.1 + 0.6) / 2, (0.1 + 0.2) / 2, (0.8 + 0.2) / 2}
	for i, w := range want {
		if !close(float64(got.Data()[i]), w) {
			t.Fatalf("averaged probabilities %v, want %v", got.Data(), want)
		}
	}
	// Row 1: 0.475 > 0.3 > 0.225 → class 0; row 2: 0.5 > 0.35 → class 2.
	acc, err := Accuracy(got, []uint8{0, 0})
	if err != nil || acc != 0.5 {
		t.Errorf("accuracy against labels (0, 0) = %v, %v; want 0.5", acc, err)
	}
	acc, _ = Accuracy(got, []uint8{0, 2})
	if acc != 1 {
		t.Errorf("accuracy against labels (0, 2) = %v; want 1", acc)
	}
	// Alone, a gets row 2 right and b (0.25, 0.25, 0.5) gets row 1 wrong.
	only, _ := Predict([]Model{b}, x)
	if acc, _ := Accuracy(only, []uint8{0, 2}); acc != 0 {
		t.Errorf("b alone against (0, 2) = %v; want 0 (it picks 2 then 0)", acc)
	}
}

func TestPredictRefusesNonProbabilities(t *testing.T) {
	x := tensor.New(1, 2, 2)
	for _, tc := range []struct {
		out  []float32
		want string
	}{
		{[]float32{2, -1}, "not a probability"},
		{[]float32{0.5, 0.4}, "sums to"},
	} {
		_, err := Predict([]Model{fixed{tc.out}}, x)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "model 1") {
			t.Errorf("outputs %v: error %v, want one saying %q about model 1", tc.out, err, tc.want)
		}
	}
	if _, err := Predict(nil, x); err == nil {
		t.Error("Predict of no models: no error")
	}
	if _, err := Predict([]Model{fixed{[]float32{1, 0}}}, x, WithShifts()); err == nil {
		t.Error("Predict with no shifts: no error")
	}
	two := fixed{[]float32{1, 0}}
	three := fixed{[]float32{1, 0, 0}}
	if _, err := Predict([]Model{two, three}, x); err == nil || !strings.Contains(err.Error(), "same classes") {
		t.Errorf("models of 2 and 3 classes: error %v", err)
	}
	if _, err := Accuracy(tensor.New(2, 3), []uint8{1}); err == nil {
		t.Error("Accuracy of 2 rows against 1 label: no error")
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Accuracy of nil predictions: panic %v", r)
			}
		}()
		if _, err := Accuracy(nil, []uint8{1}); err == nil {
			t.Error("Accuracy of nil predictions: no error")
		}
	}()
}

// focalLogits is a fixed model compiled with a from-logits focal loss.
type focalLogits struct{ fixed }

func (focalLogits) Loss() losses.Loss {
	l := losses.NewCategoricalFocalCrossentropy()
	l.FromLogits = true
	return l
}

// TestPredictLogitsMustBeFinite checks that a from-logits model's NaN or
// infinite output is an error naming the model and row: softmax turned it
// into a NaN row, which the average spread to every model's, silently.
func TestPredictLogitsMustBeFinite(t *testing.T) {
	x := tensor.New(2, 2, 2)
	good := fixed{[]float32{0.5, 0.5, 0.5, 0.5}}
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		bad := logits{fixed{[]float32{0, 1, 2, v}}}
		p, err := Predict([]Model{good, bad}, x)
		if err == nil || !strings.Contains(err.Error(), "model 2") || !strings.Contains(err.Error(), "row 1") {
			var got []float32
			if p != nil {
				got = p.Data()
			}
			t.Errorf("logit %v: probabilities %v, error %v; want an error naming model 2 and row 1", v, got, err)
		}
	}
}

// TestPredictFocalFromLogits checks that a model compiled with a
// from-logits categorical focal cross-entropy is softmaxed as the other
// from-logits cross-entropies are, not refused as "not probabilities".
func TestPredictFocalFromLogits(t *testing.T) {
	x := tensor.New(1, 2, 2)
	got, err := Predict([]Model{focalLogits{fixed{[]float32{0, 0, float32(math.Ln2)}}}}, x)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []float64{0.25, 0.25, 0.5} {
		if !close(float64(got.Data()[i]), w) {
			t.Fatalf("probabilities %v, want (0.25, 0.25, 0.5)", got.Data())
		}
	}
}

// A 3×4 image 1..12 moved one row down and one column left:
//
//	1  2  3  4        0  0  0  0
//	5  6  7  8   →    2  3  4  0
//	9 10 11 12        6  7  8  0
func TestShiftedMovesPixels(t *testing.T) {
	img := make([]float32, 2*12)
	for i := range 12 {
		img[i] = float32(i + 1)
		img[12+i] = float32(100 + i + 1)
	}
	x, _ := tensor.FromSlice(img, 2, 3, 4, 1)
	for _, tc := range []struct {
		s    Shift
		want []float32
	}{
		{Shift{1, -1}, []float32{0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0}},
		{Shift{-1, 2}, []float32{0, 0, 5, 6, 0, 0, 9, 10, 0, 0, 0, 0}},
		{Shift{0, 1}, []float32{0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11}},
		{Shift{0, 0}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
	} {
		v, err := Shifted(x, tc.s)
		if err != nil {
			t.Fatal(err)
		}
		// Gather image 1 then image 0: each is shifted on its own.
		dst := make([]float32, 24)
		v.Gather(dst, []int{1, 0})
		for i, w := range tc.want {
			if dst[12+i] != w || (w != 0 && dst[i] != w+100) || (w == 0 && dst[i] != 0) {
				t.Errorf("shift %+v: got %v, want image 0 %v (and image 1 the same +100)", tc.s, dst, tc.want)
				break
			}
		}
	}
	if _, err := Shifted(tensor.New(2, 5), Shift{1, 0}); err == nil {
		t.Error("shifting (2, 5) data: no error")
	}
	if _, err := Shifted(x, Shift{0, 4}); err == nil || !strings.Contains(err.Error(), "out of view") {
		t.Errorf("shift by the width: error %v", err)
	}
}

// firstPixel predicts (p, 1-p) where p is the first pixel of each image,
// so that what it sees through a shift shows in its output.
type firstPixel struct{}

func (firstPixel) Predict(x goras.Data, _ ...goras.Option) (*tensor.Tensor, error) {
	s := x.Shape()
	size := tensor.Numel(s[1:])
	buf := make([]float32, s[0]*size)
	rows := make([]int, s[0])
	for i := range rows {
		rows[i] = i
	}
	x.Gather(buf, rows)
	out := tensor.New(s[0], 2)
	for i := range rows {
		p := buf[i*size]
		out.Set(p, i, 0)
		out.Set(1-p, i, 1)
	}
	return out, nil
}

// Test-time augmentation averages over the shifted images: the first pixel
// of a 2×2 image (a b; c d) is a as it is, 0 shifted down or right, and b,
// c shifted left or up.
func TestPredictWithShifts(t *testing.T) {
	x, _ := tensor.FromSlice([]float32{0.2, 0.4, 0.6, 0.8}, 1, 2, 2)
	got, err := Predict([]Model{firstPixel{}}, x, WithShifts(TTAShifts...))
	if err != nil {
		t.Fatal(err)
	}
	// (0,0): 0.2; (1,0): 0; (-1,0): c = 0.6; (0,1): 0; (0,-1): b = 0.4.
	want := (0.2 + 0 + 0.6 + 0 + 0.4) / 5
	if !close(float64(got.At(0, 0)), want) || !close(float64(got.At(0, 1)), 1-want) {
		t.Errorf("TTA probabilities %v, want (%g, %g)", got.Data(), want, 1-want)
	}
}
