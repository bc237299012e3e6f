package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// Confusion is a confusion matrix: Counts[t][p] is the number of samples of
// true class t predicted as class p, as sklearn.metrics.confusion_matrix.
// Rows are true classes, columns predicted ones.
type Confusion struct {
	Counts [][]int
	// Labels names the classes in String and Report. Default nil: the class
	// indices "0", "1", ...
	Labels []string
}

// ConfusionMatrix counts yTrue against yPred for classes 0..classes-1. It
// panics if the slices differ in length or a label is outside
// [0, classes): both are the caller's bugs (labels come from a data set
// already checked, predictions from ArgMax).
func ConfusionMatrix(yTrue, yPred []int, classes int) *Confusion {
	if len(yTrue) != len(yPred) {
		panic(fmt.Sprintf("metrics: ConfusionMatrix of %d true labels and %d predictions", len(yTrue), len(yPred)))
	}
	if classes <= 0 {
		panic(fmt.Sprintf("metrics: ConfusionMatrix with %d classes", classes))
	}
	c := &Confusion{Counts: make([][]int, classes)}
	cells := make([]int, classes*classes) // one block keeps the rows together
	for i := range c.Counts {
		c.Counts[i] = cells[i*classes : (i+1)*classes : (i+1)*classes]
	}
	for i, t := range yTrue {
		p := yPred[i]
		if t < 0 || t >= classes || p < 0 || p >= classes {
			panic(fmt.Sprintf("metrics: ConfusionMatrix sample %d: true %d, predicted %d, outside [0, %d)", i, t, p, classes))
		}
		c.Counts[t][p]++
	}
	return c
}

// Classes is the number of classes (rows and columns).
func (c *Confusion) Classes() int { return len(c.Counts) }

// Total is the number of samples counted.
func (c *Confusion) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Correct is the number of samples on the diagonal.
func (c *Confusion) Correct() int {
	n := 0
	for k, row := range c.Counts {
		n += row[k]
	}
	return n
}

// Accuracy is Correct/Total, 0 for an empty matrix.
func (c *Confusion) Accuracy() float64 { return ratio(c.Correct(), c.Total()) }

// Support is the number of samples whose true class is k (row sum).
func (c *Confusion) Support(k int) int {
	n := 0
	for _, v := range c.Counts[k] {
		n += v
	}
	return n
}

// Predicted is the number of samples predicted as class k (column sum).
func (c *Confusion) Predicted(k int) int {
	n := 0
	for _, row := range c.Counts {
		n += row[k]
	}
	return n
}

// Precision of class k: of the samples predicted k, the fraction truly k.
// It is 0 when nothing was predicted k, as sklearn's zero_division default
// (sklearn also warns).
func (c *Confusion) Precision(k int) float64 { return ratio(c.Counts[k][k], c.Predicted(k)) }

// Recall of class k: of the samples truly k, the fraction predicted k; 0
// when class k has no samples.
func (c *Confusion) Recall(k int) float64 { return ratio(c.Counts[k][k], c.Support(k)) }

// F1 of class k, the harmonic mean of precision and recall; 0 when both are.
func (c *Confusion) F1(k int) float64 {
	p, r := c.Precision(k), c.Recall(k)
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// ratio is a/b, 0 when b is 0 (Keras's divide_no_nan).
func ratio[T int | int64](a, b T) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (c *Confusion) label(k int) string {
	if k < len(c.Labels) {
		return c.Labels[k]
	}
	return strconv.Itoa(k)
}

// String draws the matrix as a text table: one row per true class, one
// column per predicted class, with row and column totals.
//
//	true\pred  0  1  2  total
//	        0  1  0  0      1
//	        1  1  0  0      1
//	        2  0  1  2      3
//	    total  2  1  2      5
func (c *Confusion) String() string {
	n := c.Classes()
	cells := make([][]string, n+2)
	cells[0] = append([]string{`true\pred`}, make([]string, n+1)...)
	for p := range n {
		cells[0][p+1] = c.label(p)
	}
	cells[0][n+1] = "total"
	for t := range n {
		row := []string{c.label(t)}
		for _, v := range c.Counts[t] {
			row = append(row, strconv.Itoa(v))
		}
		cells[t+1] = append(row, strconv.Itoa(c.Support(t)))
	}
	last := []string{"total"}
	for p := range n {
		last = append(last, strconv.Itoa(c.Predicted(p)))
	}
	cells[n+1] = append(last, strconv.Itoa(c.Total()))

	// Right-align every column to its widest cell; the count columns share
	// one width so the grid reads as a square.
	first, width := 0, 0
	for _, row := range cells {
		first = max(first, len(row[0]))
		for _, s := range row[1:] {
			width = max(width, len(s))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		fmt.Fprintf(&b, "%*s", first, row[0])
		for _, s := range row[1:] {
			fmt.Fprintf(&b, "  %*s", width, s)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Report is sklearn.metrics.classification_report with its defaults
// (digits=2, zero_division reported as 0): precision, recall, F1 and
// support per class, then accuracy and the macro (unweighted mean over
// classes) and weighted (by support) averages, in the same layout.
func (c *Confusion) Report() string {
	const digits = 2
	n := c.Classes()
	width := len("weighted avg")
	for k := range n {
		width = max(width, len(c.label(k)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision", "recall", "f1-score", "support")
	row := func(name string, p, r, f float64, support int) {
		fmt.Fprintf(&b, "%*s  %9.*f %9.*f %9.*f %9d\n", width, name, digits, p, digits, r, digits, f, support)
	}
	var macro, weighted [3]float64
	total := c.Total()
	for k := range n {
		p, r, f, s := c.Precision(k), c.Recall(k), c.F1(k), c.Support(k)
		row(c.label(k), p, r, f, s)
		for i, v := range [3]float64{p, r, f} {
			macro[i] += v / float64(n)
			if total > 0 {
				weighted[i] += v * float64(s) / float64(total)
			}
		}
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "%*s  %9s %9s %9.*f %9d\n", width, "accuracy", "", "", digits, c.Accuracy(), total)
	row("macro avg", macro[0], macro[1], macro[2], total)
	row("weighted avg", weighted[0], weighted[1], weighted[2], total)
	return b.String()
}
