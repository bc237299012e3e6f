package ensemble

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/tensor"
)

// shiftReference is shiftImage the plain way, the reference: dst (h, w, c)
// is src moved by s, 0 where nothing moves in.
func shiftReference(dst, src []float32, h, w, c int, s Shift) {
	for i := range h {
		for j := range w {
			for k := range c {
				var v float32
				if si, sj := i-s.DY, j-s.DX; si >= 0 && si < h && sj >= 0 && sj < w {
					v = src[(si*w+sj)*c+k]
				}
				dst[(i*w+j)*c+k] = v
			}
		}
	}
}

// Every shift that keeps a pixel in view, of one and of three channels,
// moves in place what the reference moves into a second image.
func TestShiftImageMatchesReference(t *testing.T) {
	const h, w = 5, 4
	for _, c := range []int{1, 3} {
		src := make([]float32, h*w*c)
		for i := range src {
			src[i] = float32(i + 1)
		}
		want := make([]float32, len(src))
		for dy := -h + 1; dy < h; dy++ {
			for dx := -w + 1; dx < w; dx++ {
				s := Shift{dy, dx}
				shiftReference(want, src, h, w, c, s)
				got := slices.Clone(src)
				shiftImage(got, h, w, c, s)
				if !slices.Equal(got, want) {
					t.Errorf("c = %d, shift %+v: got %v, want %v", c, s, got, want)
				}
			}
		}
	}
}

// Data that says it is finite, or that its Gather may run concurrently, or
// both; said false is not said.
type (
	finiteOnly     struct{ *tensor.Tensor }
	concurrentOnly struct{ *tensor.Tensor }
	finiteAndBoth  struct{ *tensor.Tensor }
	saysNo         struct{ *tensor.Tensor }
)

func (finiteOnly) Finite() bool               { return true }
func (concurrentOnly) ConcurrentGather() bool { return true }
func (finiteAndBoth) Finite() bool            { return true }
func (finiteAndBoth) ConcurrentGather() bool  { return true }
func (saysNo) Finite() bool                   { return false }
func (saysNo) ConcurrentGather() bool         { return false }

// says is what d tells goras's Fit and Predict of itself.
func says(d goras.Data) (finite, concurrent bool) {
	f, ok := d.(goras.FiniteData)
	finite = ok && f.Finite()
	c, ok := d.(goras.ConcurrentData)
	return finite, ok && c.ConcurrentGather()
}

// A shifted view says it is finite, and that its Gather may run on several
// goroutines at once, when and only when the data it shifts says so.
func TestShiftedKeepsWhatTheDataSays(t *testing.T) {
	x := tensor.New(2, 4, 4, 1)
	images := (&mnist.Images{N: 2, Rows: 4, Cols: 4, Pixels: make([]uint8, 32)}).WithChannelAxis()
	for _, tc := range []struct {
		name               string
		x                  goras.Data
		finite, concurrent bool
	}{
		{"a tensor", x, false, false},
		{"finite data", finiteOnly{x}, true, false},
		{"concurrent data", concurrentOnly{x}, false, true},
		{"finite, concurrent data", finiteAndBoth{x}, true, true},
		{"data saying no to both", saysNo{x}, false, false},
		{"mnist.Images", images, true, true},
	} {
		for _, s := range TTAShifts[1:] {
			v, err := Shifted(tc.x, s)
			if err != nil {
				t.Fatal(err)
			}
			if f, c := says(v); f != tc.finite || c != tc.concurrent {
				t.Errorf("%s shifted by %+v: says finite %v, concurrent %v; want %v, %v", tc.name, s, f, c, tc.finite, tc.concurrent)
			}
		}
	}
}

// randomImages returns n side×side MNIST-like images as mnist.Images (with
// a channel axis) and as the tensor of their values.
func randomImages(n, side int) (*mnist.Images, *tensor.Tensor) {
	r := rand.New(rand.NewPCG(7, 8))
	px := make([]uint8, n*side*side)
	for i := range px {
		px[i] = uint8(r.IntN(256))
	}
	im := (&mnist.Images{N: n, Rows: side, Cols: side, Pixels: px}).WithChannelAxis()
	x := tensor.New(n, side, side, 1)
	im.Gather(x.Data(), rowRange(n))
	return im, x
}

func rowRange(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// Many goroutines gathering from one shifted view of images get what one
// gets (run under -race: the view shares no buffer between calls), and a
// Gather allocates nothing.
func TestShiftedGatherFromManyGoroutines(t *testing.T) {
	const n, side = 40, 8
	im, _ := randomImages(n, side)
	v, err := Shifted(im, Shift{1, -1})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, n*side*side)
	v.Gather(want, rowRange(n))
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rows := rowRange(n)
			slices.Reverse(rows[g:]) // another order each: every image is shifted on its own
			got := make([]float32, n*side*side)
			for range 20 {
				v.Gather(got, rows)
				for i, row := range rows {
					if !slices.Equal(got[i*side*side:(i+1)*side*side], want[row*side*side:(row+1)*side*side]) {
						errs <- fmt.Errorf("goroutine %d: image %d differs from one goroutine's", g, row)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for len(errs) > 0 { // close is the package tests' float comparison
		t.Error(<-errs)
	}
	dst, rows := make([]float32, n*side*side), rowRange(n)
	if a := testing.AllocsPerRun(10, func() { v.Gather(dst, rows) }); a != 0 {
		t.Errorf("Gather allocates %v times a call", a)
	}
}

// Predicting through the ensemble from images that say they are finite and
// gathered concurrently (Predict's workers gather the shifted images, and
// do not look them over for NaN) gives, bit for bit, the mean of each
// model's prediction of each image shifted beforehand by the reference.
func TestPredictFromShiftedImagesBitForBit(t *testing.T) {
	ms := members(t)
	const n, side = 160, 8 // a batch of 160: each model's Predict splits it over the workers
	im, x := randomImages(n, side)
	got, err := Predict(ms, im, WithShifts(TTAShifts...), WithBatchSize(n))
	if err != nil {
		t.Fatal(err)
	}
	var sum []float32
	for _, s := range TTAShifts {
		moved := tensor.New(n, side, side, 1)
		for i := range n {
			img := x.Data()[i*side*side : (i+1)*side*side]
			shiftReference(moved.Data()[i*side*side:(i+1)*side*side], img, side, side, 1, s)
		}
		for _, m := range ms {
			p, err := Predict([]Model{m}, moved, WithBatchSize(n)) // softmaxed if logits, scaled by 1
			if err != nil {
				t.Fatal(err)
			}
			if sum == nil {
				sum = slices.Clone(p.Data())
				continue
			}
			for j, v := range p.Data() {
				sum[j] += v
			}
		}
	}
	scale := 1 / float32(len(ms)*len(TTAShifts))
	for j, v := range got.Data() {
		if want := sum[j] * scale; math.Float32bits(v) != math.Float32bits(want) {
			t.Fatalf("probability %d (row %d) is %v, want %v", j, j/got.Dim(1), v, want)
		}
	}
}
