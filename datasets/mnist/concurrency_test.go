package mnist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

// Images says its Gather may run on several goroutines at once
// (ConcurrentGather), so goras's Predict lets each worker gather its own
// rows. Many goroutines gathering from one Images, and predicting from it
// with one model, get what one goroutine gets, bit for bit (run under
// -race).
func TestGatherFromManyGoroutines(t *testing.T) {
	const n, side = 256, 28 // enough rows (64 a share) that Predict's workers each gather their own
	im := &Images{N: n, Rows: side, Cols: side, Pixels: make([]uint8, n*side*side)}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range im.Pixels {
		im.Pixels[i] = uint8(rng.IntN(256))
	}
	x := im.WithChannelAxis()
	m := goras.NewSequential(layers.Input(side, side, 1), layers.Flatten(),
		layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(3)
	want, err := m.Predict(x, goras.Verbose(0), goras.BatchSize(n))
	if err != nil {
		t.Fatal(err)
	}
	all := make([]float32, n*side*side)
	im.Gather(all, rangeRows(n))
	const goroutines = 8
	errs := make(chan error, 2*goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rows := rangeRows(n)
			rand.New(rand.NewPCG(uint64(g), 1)).Shuffle(n, func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
			dst := make([]float32, n*side*side)
			x.Gather(dst, rows)
			for i, r := range rows {
				if !slices.Equal(dst[i*side*side:(i+1)*side*side], all[r*side*side:(r+1)*side*side]) {
					errs <- fmt.Errorf("goroutine %d: image %d gathered differently", g, r)
					break
				}
			}
			got, err := m.Predict(x, goras.Verbose(0), goras.BatchSize(n))
			switch {
			case err != nil:
				errs <- err
			case !slices.Equal(got.Data(), want.Data()):
				errs <- fmt.Errorf("goroutine %d: predictions differ from one goroutine's", g)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func rangeRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}
