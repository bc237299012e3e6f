package predict

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

var (
	nan  = float32(math.NaN())
	inf  = float32(math.Inf(1))
	zero = float32(0)
	neg0 = float32(math.Copysign(0, -1))
)

// A row gone NaN (a model that diverged, an output not checked by
// CheckProbabilities) ranks as tensor.ArgMaxRow ranks it, as NumPy's
// argmax does: its NaNs first, in class order, then its numbers from +Inf
// down, equal ones in class order.
func TestTopRanksAsArgMaxRow(t *testing.T) {
	for _, tc := range []struct {
		row  []float32
		want []int // every class, most likely first
	}{
		{[]float32{0.2, nan, 0.7, 0.1}, []int{1, 2, 0, 3}},
		{[]float32{0.9, 0.1, nan}, []int{2, 0, 1}},
		{[]float32{nan, 0.5, nan, 1}, []int{0, 2, 3, 1}},
		{[]float32{inf, nan, -inf, 3}, []int{1, 0, 3, 2}},
		{[]float32{-inf, -inf, -inf}, []int{0, 1, 2}},
		{[]float32{1, inf, 2, inf}, []int{1, 3, 2, 0}},
		{[]float32{neg0, zero, -1, neg0}, []int{0, 1, 3, 2}},
		{[]float32{0.25, 0.25, nan, 0.5, 0.25, nan}, []int{2, 5, 3, 0, 1, 4}},
		{[]float32{nan, nan, nan}, []int{0, 1, 2}},
	} {
		p := Top("x", tc.row, len(tc.row))
		if am := tensor.ArgMaxRow(tc.row); p.Class != am {
			t.Errorf("%v: Class %d, ArgMaxRow %d", tc.row, p.Class, am)
		}
		if got := classes(p); !slices.Equal(got, tc.want) {
			t.Errorf("%v: Top ranks %v, want %v", tc.row, got, tc.want)
		}
		if short := Top("x", tc.row, 2); !slices.Equal(classes(short), tc.want[:2]) || short.Class != tc.want[0] {
			t.Errorf("%v, k = 2: %+v, want classes %v", tc.row, short, tc.want[:2])
		}
	}
}

// Rows drawn from a handful of values, NaN, ±Inf, ±0 and ties among them:
// Class is always ArgMaxRow's and Top the order a plain selection gives.
func TestTopRanksRandomRows(t *testing.T) {
	pool := []float32{nan, inf, -inf, zero, neg0, 0.5, 0.5, 1, -1, 1e-30}
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		row := make([]float32, 1+r.IntN(12))
		for i := range row {
			row[i] = pool[r.IntN(len(pool))]
		}
		p := Top("x", row, len(row))
		if am := tensor.ArgMaxRow(row); p.Class != am {
			t.Fatalf("%v: Class %d, ArgMaxRow %d", row, p.Class, am)
		}
		if got, want := classes(p), rank(row); !slices.Equal(got, want) {
			t.Fatalf("%v: Top ranks %v, want %v", row, got, want)
		}
		for _, q := range p.Top {
			if math.Float32bits(q.Probability) != math.Float32bits(row[q.Class]) {
				t.Fatalf("%v: class %d with %v, the row holds %v", row, q.Class, q.Probability, row[q.Class])
			}
		}
	}
}

func classes(p Prediction) []int {
	c := make([]int, len(p.Top))
	for i, q := range p.Top {
		c[i] = q.Class
	}
	return c
}

// rank is Top's order by plain selection, the reference: the NaNs in class
// order, then again and again the first largest number left.
func rank(row []float32) []int {
	var order []int
	taken := make([]bool, len(row))
	for c, v := range row {
		if math.IsNaN(float64(v)) {
			order, taken[c] = append(order, c), true
		}
	}
	for len(order) < len(row) {
		best := -1
		for c, v := range row {
			if !taken[c] && (best < 0 || v > row[best]) {
				best = c
			}
		}
		order, taken[best] = append(order, best), true
	}
	return order
}
