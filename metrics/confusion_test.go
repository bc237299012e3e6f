package metrics_test

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/metrics"
)

// The example of sklearn's classification_report documentation.
var (
	skTrue = []int{0, 1, 2, 2, 2}
	skPred = []int{0, 0, 2, 2, 1}
)

func TestConfusionMatrixCounts(t *testing.T) {
	c := metrics.ConfusionMatrix(skTrue, skPred, 3)
	want := [][]int{{1, 0, 0}, {1, 0, 0}, {0, 1, 2}}
	for i := range want {
		for j := range want[i] {
			if c.Counts[i][j] != want[i][j] {
				t.Fatalf("Counts = %v, want %v", c.Counts, want)
			}
		}
	}
	if c.Total() != 5 || c.Correct() != 3 || c.Accuracy() != 0.6 {
		t.Errorf("Total, Correct, Accuracy = %d, %d, %v; want 5, 3, 0.6", c.Total(), c.Correct(), c.Accuracy())
	}
	// By hand: class 0 predicted twice (once right), class 2 predicted twice
	// (both right) out of 3 true; class 1 never right.
	cases := []struct {
		k                     int
		precision, recall, f1 float64
		support, predicted    int
	}{
		{0, 0.5, 1, 2.0 / 3, 1, 2},
		{1, 0, 0, 0, 1, 1},
		{2, 1, 2.0 / 3, 0.8, 3, 2},
	}
	for _, tc := range cases {
		got := []float64{c.Precision(tc.k), c.Recall(tc.k), c.F1(tc.k)}
		want := []float64{tc.precision, tc.recall, tc.f1}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Errorf("class %d: precision, recall, F1 = %v, want %v", tc.k, got, want)
				break
			}
		}
		if c.Support(tc.k) != tc.support || c.Predicted(tc.k) != tc.predicted {
			t.Errorf("class %d: support %d predicted %d, want %d %d", tc.k, c.Support(tc.k), c.Predicted(tc.k), tc.support, tc.predicted)
		}
	}
}

func TestConfusionString(t *testing.T) {
	c := metrics.ConfusionMatrix(skTrue, skPred, 3)
	want := "" +
		`true\pred      0      1      2  total` + "\n" +
		"        0      1      0      0      1\n" +
		"        1      1      0      0      1\n" +
		"        2      0      1      2      3\n" +
		"    total      2      1      2      5\n"
	if got := c.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

// TestConfusionReportSklearn holds Report to the text printed in sklearn's
// classification_report documentation for the same labels.
func TestConfusionReportSklearn(t *testing.T) {
	c := metrics.ConfusionMatrix(skTrue, skPred, 3)
	c.Labels = []string{"class 0", "class 1", "class 2"}
	want := `              precision    recall  f1-score   support

     class 0       0.50      1.00      0.67         1
     class 1       0.00      0.00      0.00         1
     class 2       1.00      0.67      0.80         3

    accuracy                           0.60         5
   macro avg       0.50      0.56      0.49         5
weighted avg       0.70      0.60      0.61         5
`
	if got := c.Report(); got != want {
		t.Errorf("Report() =\n%s\nwant\n%s", got, want)
	}
}

// TestConfusionReportWeighted checks the averages on unequal supports by
// hand: class 0 has 3 samples (2 right), class 1 has 1 (right), nothing is
// predicted as class 2 and no sample is of class 2.
func TestConfusionReportWeighted(t *testing.T) {
	c := metrics.ConfusionMatrix([]int{0, 0, 0, 1}, []int{0, 0, 1, 1}, 3)
	// class 0: p 1, r 2/3, f 0.8; class 1: p 0.5, r 1, f 2/3; class 2: 0 0 0.
	// macro: p 0.5, r 0.5556, f 0.4889; weighted (3:1): p 0.875, r 0.75, f 0.7667.
	lines := strings.Split(c.Report(), "\n")
	want := map[int]string{
		2: "           0       1.00      0.67      0.80         3",
		3: "           1       0.50      1.00      0.67         1",
		4: "           2       0.00      0.00      0.00         0",
		6: "    accuracy                           0.75         4",
		7: "   macro avg       0.50      0.56      0.49         4",
		8: "weighted avg       0.88      0.75      0.77         4",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
}

func TestConfusionMatrixPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"lengths":  func() { metrics.ConfusionMatrix([]int{0, 1}, []int{0}, 2) },
		"class":    func() { metrics.ConfusionMatrix([]int{0, 2}, []int{0, 1}, 2) },
		"negative": func() { metrics.ConfusionMatrix([]int{0}, []int{-1}, 2) },
		"classes":  func() { metrics.ConfusionMatrix(nil, nil, 0) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "metrics: ") {
					t.Errorf("%s: recovered %v, want a metrics: panic", name, r)
				}
			}()
			f()
		}()
	}
}
