package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestArgMax(t *testing.T) {
	x, err := FromSlice([]float32{
		0.1, 0.7, 0.2, // 1
		0.5, 0.1, 0.5, // 0: the first of a tie
		-3, -2, -1, // 2: all negative
	}, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ArgMax(x), []int{1, 0, 2}; !slices.Equal(got, want) {
		t.Errorf("ArgMax = %v, want %v", got, want)
	}
	if got := ArgMaxRow(nil); got != 0 {
		t.Errorf("ArgMaxRow(nil) = %d, want 0", got)
	}
}

// numpyArgmax is NumPy's rule for np.argmax, written plainly: the index of
// the first NaN if there is one (NaN compares as the maximum), else of the
// first of the largest values.
func numpyArgmax(row []float32) int {
	for j, v := range row {
		if math.IsNaN(float64(v)) {
			return j
		}
	}
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// TestArgMaxRowNaN checks ArgMaxRow against NumPy's argmax: the first NaN
// wins wherever it is. The "numpy docs" rows are the outputs NumPy's
// nanargmax documentation prints for np.argmax.
func TestArgMaxRowNaN(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		name string
		row  []float32
		want int
	}{
		{"NaN first", []float32{nan, 4, 9}, 0},
		{"NaN in the middle", []float32{0.2, 0.7, nan, 0.1}, 2},
		{"NaN after the largest number", []float32{0.9, 0.05, nan}, 2},
		{"NaN last", []float32{1, 2, 3, nan}, 3},
		{"several NaNs: the first", []float32{1, nan, 5, nan, 7}, 1},
		{"all NaN", []float32{nan, nan, nan}, 0},
		{"+Inf before NaN", []float32{inf, nan}, 1},
		{"NaN before +Inf", []float32{0, nan, inf}, 1},
		{"+Inf without NaN", []float32{3, inf, 4, inf}, 1},
		{"all -Inf", []float32{-inf, -inf, -inf}, 0},
		{"-Inf then a number", []float32{-inf, -inf, -1e30}, 2},
		{"ties: the first", []float32{0.2, 0.4, 0.4, 0.1}, 1},
		{"tie at the start", []float32{5, 5}, 0},
		{"-0 ties +0", []float32{-1, float32(math.Copysign(0, -1)), 0}, 1},
		{"one element", []float32{-7}, 0},
		{"numpy docs [nan 4]", []float32{nan, 4}, 0},
		{"numpy docs [8 16 nan 3]", []float32{8, 16, nan, 3}, 2},
		{"numpy docs [13 nan 7 11]", []float32{13, nan, 7, 11}, 1},
	} {
		if ref := numpyArgmax(c.row); ref != c.want {
			t.Fatalf("%s: the test's NumPy rule gives %d, the case says %d", c.name, ref, c.want)
		}
		if got := ArgMaxRow(c.row); got != c.want {
			t.Errorf("%s: ArgMaxRow(%v) = %d, NumPy's argmax gives %d", c.name, c.row, got, c.want)
		}
	}
	x, err := FromSlice([]float32{1, nan, 2, 3, 2, 1}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ArgMax(x), []int{1, 0}; !slices.Equal(got, want) {
		t.Errorf("ArgMax with a NaN row = %v, want %v", got, want)
	}
}

// TestArgMaxRowRandom compares ArgMaxRow with the plain NumPy rule on rows
// of few distinct values (many ties), ±Inf and NaN at random places.
func TestArgMaxRowRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0}
	for trial := range 5000 {
		row := make([]float32, 1+rng.IntN(12))
		for j := range row {
			if rng.IntN(8) == 0 {
				row[j] = special[rng.IntN(len(special))]
			} else {
				row[j] = float32(rng.IntN(5)) - 2
			}
		}
		if got, want := ArgMaxRow(row), numpyArgmax(row); got != want {
			t.Fatalf("trial %d: ArgMaxRow(%v) = %d, NumPy's argmax gives %d", trial, row, got, want)
		}
	}
}

func BenchmarkArgMaxRow(b *testing.B) {
	x := New(1000)
	x.FillUniform(NewRNG(1), 0, 1)
	row := x.Data()
	b.SetBytes(int64(4 * len(row)))
	for b.Loop() {
		ArgMaxRow(row)
	}
}
