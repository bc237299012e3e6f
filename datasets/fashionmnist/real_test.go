package fashionmnist

import (
	"math"
	"slices"
	"strings"
	"testing"
)

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestLoadRealFashionMNIST loads the real data set through the whole chain,
// as a user's first LoadData() does: the environment's directory, the
// cache, Debian's package (.ci/run installs dataset-fashion-mnist), else a
// download. If the data cannot be had, the test fails with the reason.
func TestLoadRealFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the real Fashion-MNIST (and may fetch it); skipped with -short")
	}
	train, test, err := LoadData(WithLogger(logWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		d     Dataset
		n     int
		first []uint8
	}{
		// Every class has 6000 training and 1000 test pictures.
		{"train", train, 60000, []uint8{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}},
		{"test", test, 10000, []uint8{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}},
	} {
		x, y := c.d.X, c.d.Y
		if x.N != c.n || len(y) != c.n || x.Rows != 28 || x.Cols != 28 {
			t.Fatalf("%s: %d pictures of %d×%d and %d labels, want %d of 28×28", c.name, x.N, x.Rows, x.Cols, len(y), c.n)
		}
		hist := make([]int, 10)
		for _, v := range y {
			hist[v]++
		}
		if want := slices.Repeat([]int{c.n / 10}, 10); !slices.Equal(hist, want) {
			t.Errorf("%s: label histogram %v, want %v", c.name, hist, want)
		}
		if !slices.Equal(y[:10], c.first) {
			t.Errorf("%s: first labels %v, want %v", c.name, y[:10], c.first)
		}
	}
	// The mean pixel of the training set, 0.2860 of full scale, is the
	// normalisation constant published for Fashion-MNIST.
	var sum float64
	for _, v := range train.X.Pixels {
		sum += float64(v)
	}
	if mean := sum / float64(len(train.X.Pixels)) / 255; math.Abs(mean-0.2860) > 5e-5 {
		t.Errorf("mean training pixel %.5f, want 0.2860", mean)
	}
	if got := ClassNames()[train.Y[0]]; got != "Ankle boot" {
		t.Errorf("class of the first training picture %q, want Ankle boot", got)
	}
}
