package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// kerasAUC transcribes, in float64, Keras 3's AUC(num_thresholds=n) with its
// defaults (curve="ROC", summation_method="interpolation", multi_label=False,
// no sample weight): keras/src/metrics/metrics_utils.py,
// _update_confusion_matrix_variables_optimized, then AUC.result in
// confusion_metrics.py. Per output, label(y) is the weight y_true adds to
// the true positives and 1 - label(y) the weight it adds to the false
// positives at every threshold the clipped prediction is above; Keras's
// label is y cast to bool (y != 0), castBool below. The thresholds are
// Keras's: -ε, 1/(n-1), …, (n-2)/(n-1), 1+ε. Rates are divide_no_nan.
func kerasAUC(p, y []float64, n int, label func(float64) float64) float64 {
	th := make([]float64, n)
	th[0], th[n-1] = -1e-7, 1+1e-7
	for i := 1; i < n-1; i++ {
		th[i] = float64(i) / float64(n-1)
	}
	var pos, neg float64
	for _, v := range y {
		pos += label(v)
		neg += 1 - label(v)
	}
	divNoNaN := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	tpr, fpr := make([]float64, n), make([]float64, n)
	for i, t := range th {
		var tp, fp float64
		for j, v := range p {
			if min(max(v, 0), 1) > t {
				tp += label(y[j])
				fp += 1 - label(y[j])
			}
		}
		tpr[i], fpr[i] = divNoNaN(tp, pos), divNoNaN(fp, neg)
	}
	var area float64
	for i := 0; i < n-1; i++ {
		area += (fpr[i] - fpr[i+1]) * (tpr[i] + tpr[i+1]) / 2
	}
	return area
}

// castBool is Keras's ops.cast(ops.cast(y_true, "bool"), dtype): 1 for any
// label but 0 (NaN too), 0 for 0.
func castBool(y float64) float64 {
	if y != 0 {
		return 1
	}
	return 0
}

// asWeight would read a soft label y as y of a positive and 1 - y of a
// negative. Keras does not: it casts y_true to bool first, in the
// optimised path (evenly spaced thresholds, AUC's default) as in the
// general one, multi_label or not.
func asWeight(y float64) float64 { return y }

func aucOf(t *testing.T, n int, p, y []float32) float64 {
	t.Helper()
	m := NewAUC("auc", n)
	m.Update(mustTensor(t, p, len(p)), mustTensor(t, y, len(y)))
	return m.Result()
}

func f64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// Keras's docstring example, num_thresholds=3: 0.75 for the labels
// [0, 0, 1, 1], and the same for [0, 0, 0.3, 2], which Keras casts to
// [0, 0, 1, 1]. Read as weights they would give an area above 1 (the label
// 2 adds -1 of a negative), which no AUC can be.
func TestAUCSoftLabelsKerasDocExample(t *testing.T) {
	p := []float32{0, 0.5, 0.3, 0.9}
	for _, y := range [][]float32{{0, 0, 1, 1}, {0, 0, 0.3, 2}} {
		if got := aucOf(t, 3, p, y); got != 0.75 {
			t.Errorf("labels %v: AUC %v, Keras gives 0.75", y, got)
		}
		if ref := kerasAUC(f64s(p), f64s(y), 3, castBool); ref != 0.75 {
			t.Errorf("labels %v: the test's Keras formula gives %v, Keras's docs 0.75", y, ref)
		}
	}
	if w := kerasAUC(f64s(p), []float64{0, 0, 0.3, 2}, 3, asWeight); w <= 1 {
		t.Errorf("labels as weights give %v; the example expects an area above 1", w)
	}
}

// Soft labels, and labels outside [0, 1], count as Keras counts them: any
// label but 0 is one positive. The value is the float64 transcription's,
// equals the AUC of the labels cast to 0/1, and differs from reading the
// labels as weights.
func TestAUCSoftLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	labels := []float32{0, 0, 0.05, 0.3, 0.5, 0.7, 0.95, 1, 1, 2, -0.5}
	var p, y, hard []float32
	for range 3 {
		for range 64 {
			l := labels[rng.IntN(len(labels))]
			p = append(p, float32(rng.Float64()*1.2-0.1)) // some outside [0, 1]: clipped
			y = append(y, l)
			hard = append(hard, float32(castBool(float64(l))))
		}
	}
	got := aucOf(t, 200, p, y)
	if want := kerasAUC(f64s(p), f64s(y), 200, castBool); math.Abs(got-want) > 1e-12 {
		t.Errorf("AUC with soft labels = %.15g, Keras's formula gives %.15g", got, want)
	}
	if h := aucOf(t, 200, p, hard); got != h {
		t.Errorf("AUC with soft labels = %v, with them cast to 0/1 %v; Keras casts them", got, h)
	}
	if w := kerasAUC(f64s(p), f64s(y), 200, asWeight); !(math.Abs(got-w) > 1e-3) {
		t.Errorf("labels as weights give %v, too close to %v for this test to tell the two apart", w, got)
	}
	// A NaN label is a positive too (bool(NaN) is true), though fit and
	// evaluate refuse NaN targets before any metric sees them.
	y[0], hard[0] = float32(math.NaN()), 1
	if n, h := aucOf(t, 200, p, y), aucOf(t, 200, p, hard); n != h {
		t.Errorf("a NaN label: AUC %v, with a 1 in its place %v", n, h)
	}
}

// Hard 0/1 labels give what they gave before soft labels were looked at:
// the float64 transcription, and refAUC, TestAgainstKerasFormulas's
// reference, over batches.
func TestAUCHardLabels(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := NewAUC("auc", 200)
	var p, y []float64
	for range 4 {
		pb, yb := make([]float32, 50), make([]float32, 50)
		for i := range pb {
			yb[i] = float32(rng.IntN(2))
			pb[i] = float32(0.6*rng.Float64() + 0.3*float64(yb[i]))
		}
		m.Update(mustTensor(t, pb, 50), mustTensor(t, yb, 50))
		p, y = append(p, f64s(pb)...), append(y, f64s(yb)...)
	}
	want := kerasAUC(p, y, 200, castBool)
	if got := m.Result(); math.Abs(got-want) > 1e-12 || math.Abs(got-refAUC(p, y)) > 1e-12 {
		t.Errorf("AUC = %.15g, Keras's formula %.15g, refAUC %.15g", got, want, refAUC(p, y))
	}
	if w := kerasAUC(p, y, 200, asWeight); w != want {
		t.Errorf("on 0/1 labels the two readings differ: %v and %v", w, want)
	}
}
