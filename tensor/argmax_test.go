package tensor

import (
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
