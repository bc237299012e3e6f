package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// run makes the metric name for the shapes of pred and target (batch axis
// first) and feeds it one batch.
func run(t *testing.T, name string, pred, target *tensor.Tensor) float64 {
	t.Helper()
	m, err := Get(name, pred.Shape()[1:], target.Shape()[1:])
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if m.Name() != strings.ToLower(name) {
		t.Errorf("%s is logged as %q", name, m.Name())
	}
	m.Update(pred, target)
	return m.Result()
}

// TestKerasDocExamples checks the numbers of Keras's docstrings
// (keras/src/metrics/*.py).
func TestKerasDocExamples(t *testing.T) {
	y2 := mustTensor(t, []float32{0, 1, 0, 0}, 2, 2)
	p2 := mustTensor(t, []float32{1, 1, 0, 0}, 2, 2)
	for _, c := range []struct {
		name         string
		pred, target *tensor.Tensor
		want         float64
	}{
		{"mse", p2, y2, 0.25},
		{"mae", p2, y2, 0.25},
		{"mean_absolute_error", p2, y2, 0.25},
		{"root_mean_squared_error", p2, y2, 0.5},
		{"binary_accuracy", mustTensor(t, []float32{0.98, 1, 0, 0.6}, 4, 1), mustTensor(t, []float32{1, 1, 0, 0}, 4, 1), 0.75},
		{"precision", mustTensor(t, []float32{1, 0, 1, 1}, 4), mustTensor(t, []float32{0, 1, 1, 1}, 4), 0.6666667},
		{"recall", mustTensor(t, []float32{1, 0, 1, 1}, 4), mustTensor(t, []float32{0, 1, 1, 1}, 4), 0.6666667},
	} {
		if got := run(t, c.name, c.pred, c.target); math.Abs(got-c.want) > 1e-7 {
			t.Errorf("%s = %v, Keras's docs say %v", c.name, got, c.want)
		}
	}
	// TopKCategoricalAccuracy(k=1) and the sparse one: 0.5.
	pred := mustTensor(t, []float32{0.1, 0.9, 0.8, 0.05, 0.95, 0}, 2, 3)
	top1, sparse1 := NewTopKAccuracy("top1", 1, false), NewTopKAccuracy("stop1", 1, true)
	top1.Update(pred, mustTensor(t, []float32{0, 0, 1, 0, 1, 0}, 2, 3))
	sparse1.Update(pred, mustTensor(t, []float32{2, 1}, 2))
	if top1.Result() != 0.5 || sparse1.Result() != 0.5 {
		t.Errorf("top-1 accuracy %v and sparse %v, Keras's docs say 0.5", top1.Result(), sparse1.Result())
	}
	// AUC(num_thresholds=3) on [0, 0, 1, 1] / [0, 0.5, 0.3, 0.9]: 0.75.
	auc := NewAUC("auc", 3)
	auc.Update(mustTensor(t, []float32{0, 0.5, 0.3, 0.9}, 4), mustTensor(t, []float32{0, 0, 1, 1}, 4))
	if auc.Result() != 0.75 {
		t.Errorf("AUC with 3 thresholds = %v, Keras's docs say 0.75", auc.Result())
	}
	// F1Score(threshold=0.5): per class [0.5, 0.8, 0.6666667].
	f1, err := NewF1Score("f1", 3, "macro", 0.5)
	if err != nil {
		t.Fatal(err)
	}
	f1.Update(mustTensor(t, []float32{0.2, 0.6, 0.7, 0.2, 0.6, 0.6, 0.6, 0.8, 0}, 3, 3),
		mustTensor(t, []float32{1, 1, 1, 1, 0, 0, 1, 1, 0}, 3, 3))
	for k, want := range []float64{0.5, 0.8, 0.6666667} {
		if got := f1.PerClass()[k]; math.Abs(got-want) > 1e-6 {
			t.Errorf("F1 of class %d = %v, Keras's docs say %v", k, got, want)
		}
	}
	if got := f1.Result(); math.Abs(got-(0.5+0.8+2.0/3)/3) > 1e-6 {
		t.Errorf("macro F1 = %v", got)
	}
}

// BinaryAccuracy averages over every output, as Keras: goras used to score
// only the first column.
func TestBinaryAccuracyEveryColumn(t *testing.T) {
	pred := mustTensor(t, []float32{0.9, 0.2, 0.7, 0.6, 0.1, 0.4}, 2, 3)
	target := mustTensor(t, []float32{1, 0, 0, 1, 1, 0}, 2, 3)
	// Right: (0.9,1) (0.2,0) (0.6,1) (0.4,0); wrong: (0.7,0) (0.1,1).
	if got := run(t, "binary_accuracy", pred, target); got != 4.0/6 {
		t.Errorf("binary_accuracy on 3 columns = %v, want 4/6", got)
	}
	// A label per sample is compared with each of its outputs.
	// Row 1 [1 0 1] against 1, row 2 [1 0 0] against 0: 2 + 2 right.
	if got := run(t, "binary_accuracy", pred, mustTensor(t, []float32{1, 0}, 2)); got != 4.0/6 {
		t.Errorf("broadcast label: %v, want 4/6", got)
	}
}

// refAUC is Keras's AUC computed from its definition, in float64: at each
// of the thresholds [-1e-7, 1/199, …, 198/199, 1+1e-7], tp = #(p > t, y)
// and fp = #(p > t, not y); trapezoids between consecutive thresholds.
func refAUC(p, y []float64) float64 {
	const n = 200
	th := make([]float64, n)
	th[0], th[n-1] = -1e-7, 1+1e-7
	for i := 1; i < n-1; i++ {
		th[i] = float64(i) / (n - 1)
	}
	var pos, neg float64
	for _, v := range y {
		if v != 0 {
			pos++
		} else {
			neg++
		}
	}
	tpr, fpr := make([]float64, n), make([]float64, n)
	for i, t := range th {
		var tp, fp float64
		for j, v := range p {
			if v > t && y[j] != 0 {
				tp++
			} else if v > t {
				fp++
			}
		}
		tpr[i], fpr[i] = tp/pos, fp/neg
	}
	var area float64
	for i := 0; i < n-1; i++ {
		area += (fpr[i] - fpr[i+1]) * (tpr[i] + tpr[i+1]) / 2
	}
	return area
}

// TestAgainstKerasFormulas runs the metrics over three batches of random
// data next to float64 transcriptions of Keras's formulas.
func TestAgainstKerasFormulas(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const rows, n = 40, 7
	var p, y, pc []float64
	var yc []int
	names := []string{"mae", "mse", "rmse", "auc", "precision", "recall", "top_k_categorical_accuracy"}
	ms := map[string]Metric{}
	for _, name := range names {
		m, err := Get(name, []int{n}, []int{n})
		if err != nil {
			t.Fatal(err)
		}
		ms[name] = m
	}
	for range 3 {
		pb, yb := make([]float32, rows*n), make([]float32, rows*n)
		for i := range pb {
			yb[i] = float32(rng.IntN(2))
			pb[i] = float32(min(max(0.5*rng.Float64()+0.4*float64(yb[i])+0.05*rng.NormFloat64(), 0), 1))
			p, y = append(p, float64(pb[i])), append(y, float64(yb[i]))
			pc = append(pc, float64(pb[i]))
		}
		oh := make([]float32, rows*n) // one-hot targets for top-k
		for r := range rows {
			c := rng.IntN(n)
			oh[r*n+c] = 1
			yc = append(yc, c)
		}
		for name, m := range ms {
			target := yb
			if strings.HasPrefix(name, "top_k") {
				target = oh
			}
			m.Update(mustTensor(t, pb, rows, n), mustTensor(t, target, rows, n))
		}
	}
	var abs, sq, tp, fp, fn, hit float64
	for i := range p {
		e := p[i] - y[i]
		abs, sq = abs+math.Abs(e), sq+e*e
		switch {
		case p[i] > 0.5 && y[i] != 0:
			tp++
		case p[i] > 0.5:
			fp++
		case y[i] != 0:
			fn++
		}
	}
	for r, c := range yc { // in the top 5 when fewer than 5 classes score higher
		higher := 0
		for _, v := range pc[r*n : (r+1)*n] {
			if v > pc[r*n+c] {
				higher++
			}
		}
		if higher < 5 {
			hit++
		}
	}
	N := float64(len(p))
	for name, want := range map[string]float64{
		"mae": abs / N, "mse": sq / N, "rmse": math.Sqrt(sq / N), "auc": refAUC(p, y),
		"precision": tp / (tp + fp), "recall": tp / (tp + fn), "top_k_categorical_accuracy": hit / float64(len(yc)),
	} {
		if got := ms[name].Result(); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %.12g, Keras's formula gives %.12g", name, got, want)
		}
	}
}

// Top-k counts ties in the sample's favour, as Keras's in_top_k, and takes
// class indices or one-hot targets.
func TestTopKTiesAndTargets(t *testing.T) {
	pred := mustTensor(t, []float32{
		0.3, 0.3, 0.3, 0.1, // class 2 tied for first: in the top 1
		0.5, 0.2, 0.1, 0.2, // class 3 tied second: in the top 2, not the top 1
	}, 2, 4)
	for k, want := range map[int]float64{1: 0.5, 2: 1} {
		m := NewTopKAccuracy("t", k, true)
		m.Update(pred, mustTensor(t, []float32{2, 3}, 2))
		if m.Result() != want {
			t.Errorf("k=%d: %v, want %v", k, m.Result(), want)
		}
	}
	if got := run(t, "sparse_top_k_categorical_accuracy", pred, mustTensor(t, []float32{2, 3}, 2, 1)); got != 1 {
		t.Errorf("top-5 of 4 classes: %v, want 1", got)
	}
}

func TestMetricShapeErrors(t *testing.T) {
	for _, c := range []struct {
		name         string
		pred, target []int
		want         string
	}{
		{"mae", []int{10}, []int{}, "one-hot encode them"},
		{"precision", []int{10}, []int{1}, "precision compares every output with a 0/1 target"},
		{"top_k_categorical_accuracy", []int{10}, []int{}, "use sparse_top_k_categorical_accuracy"},
		{"sparse_top_k_categorical_accuracy", []int{1}, []int{}, "at least 2 per sample"},
		{"f1_score", []int{10}, []int{3}, "one class index per sample"},
	} {
		_, err := Get(c.name, c.pred, c.target)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "metrics: "+c.name+": ") {
			t.Errorf("%s %v→%v: error %v, want %q", c.name, c.pred, c.target, err, c.want)
		}
	}
	// Compile probes every name with target = pred: all must pass.
	for _, name := range []string{"mae", "mse", "rmse", "precision", "recall", "auc", "f1_score", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"} {
		if _, err := Get(name, []int{10}, []int{10}); err != nil {
			t.Errorf("compile's probe of %s: %v", name, err)
		}
	}
	if !slices.Contains(Names(), "f1_score") || !slices.Contains(Names(), "rmse") {
		t.Errorf("Names() = %v", Names())
	}
}

// F1 reads class indices as one-hot; Keras's default (threshold None)
// counts each row's maximum; micro and weighted averages.
func TestF1Averages(t *testing.T) {
	pred := mustTensor(t, []float32{0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.6, 0.3, 0.1, 0.2, 0.2, 0.6}, 4, 3)
	labels := mustTensor(t, []float32{0, 1, 1, 2}, 4)
	// Argmax predictions 0, 1, 0, 2 against 0, 1, 1, 2: class 0 tp 1 fp 1;
	// class 1 tp 1 fn 1; class 2 tp 1.
	f := func(tp, fp, fn float64) float64 {
		p, r := tp/(tp+fp+1e-7), tp/(tp+fn+1e-7)
		return 2 * p * r / (p + r + 1e-7)
	}
	per := []float64{f(1, 1, 0), f(1, 0, 1), f(1, 0, 0)}
	for avg, want := range map[string]float64{
		"macro": (per[0] + per[1] + per[2]) / 3, "micro": f(3, 1, 1),
		"weighted": (per[0]*1 + per[1]*2 + per[2]*1) / (4 + 1e-7),
	} {
		m, _ := NewF1Score("f1", 3, avg, 0)
		m.Update(pred, labels)
		if got := m.Result(); math.Abs(got-want) > 1e-12 {
			t.Errorf("%s F1 = %v, want %v", avg, got, want)
		}
	}
	if _, err := NewF1Score("f1", 3, "none", 0); err == nil {
		t.Error("average \"none\" accepted")
	}
}

// A NaN score for the true class is not in the top k (Keras's in_top_k on
// the TensorFlow, NumPy and PyTorch backends), and a NaN elsewhere ranks
// above it (NumPy's and PyTorch's top_k sort NaN first): a diverged model
// scores 0, not 1.
func TestTopKNaN(t *testing.T) {
	nan := float32(math.NaN())
	pred := mustTensor(t, []float32{
		nan, nan, nan, // all NaN: a miss
		0.1, nan, 0.5, // the true class's score is NaN: a miss
		0.2, nan, 0.1, // class 0 under a NaN: second
	}, 3, 3)
	labels := mustTensor(t, []float32{0, 1, 0}, 3)
	for k, want := range map[int]float64{1: 0, 2: 1.0 / 3} {
		m := NewTopKAccuracy("t", k, true)
		m.Update(pred, labels)
		if m.Result() != want {
			t.Errorf("k=%d: %v, want %v", k, m.Result(), want)
		}
	}
}
