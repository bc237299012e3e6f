package goras

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
)

// withChunkBytes runs f with chunkBytes at b.
func withChunkBytes(b int, f func()) {
	saved := chunkBytes
	chunkBytes = b
	defer func() { chunkBytes = saved }()
	f()
}

// chunkRows cuts a batch only when a chunk is smaller than a share, and
// then into a whole number of rounds of the workers.
func TestChunkRows(t *testing.T) {
	m := foldNet(t, 1) // its largest value: 7·7·3 floats, 588 bytes
	for _, c := range []struct{ bytes, n, shares, want int }{
		{1 << 20, 1000, 2, 0},     // 1783 samples a chunk: the shares as they were
		{588 * 100, 1000, 2, 100}, // 10 chunks, 5 rounds of 2
		{588 * 100, 1000, 3, 84},  // 10 chunks → 12: 11 of 84 and one of 76
		{588 * 334, 1000, 2, 250}, // 3 chunks would leave one worker two: 4
		{1, 130, 2, 1},
	} {
		withChunkBytes(c.bytes, func() {
			if got := m.chunkRows(c.n, c.shares); got != c.want {
				t.Errorf("chunkBytes %d, %d samples, %d shares: chunks of %d, want %d", c.bytes, c.n, c.shares, got, c.want)
			}
		})
	}
}

// Chunks give the bits of the whole batch in one plan, for 2 and 3
// workers, chunks that divide the batch and chunks that leave a shorter
// last one.
func TestPredictOnBatchChunksGiveTheWholeBatch(t *testing.T) {
	m := foldNet(t, 3)
	for _, n := range []int{300, 257} {
		x := randomTensor(uint64(n), n, 7, 7, 2)
		want := unsplit(t, m, x)
		for _, w := range []int{2, 3} {
			for _, rows := range []int{10, 7, 1} {
				withWorkers(w, func() {
					withChunkBytes(588*rows, func() {
						if r := m.chunkRows(n, predictShares(n)); r == 0 || r > rows {
							t.Fatalf("%d samples, %d workers: chunks of %d, want at most %d", n, w, r, rows)
						}
						got, err := m.PredictOnBatch(x)
						if err != nil {
							t.Fatal(err)
						}
						for i, v := range got.Data() {
							if math.Float32bits(v) != math.Float32bits(want.Data()[i]) {
								t.Fatalf("%d samples, %d workers, chunks of ≤ %d: output %d is %v, %v in one plan", n, w, rows, i, v, want.Data()[i])
							}
						}
					})
				})
			}
		}
	}
}

// The first bad sample of the batch is reported, whichever chunk holds
// it and whichever chunk runs first; a panicking op is an error.
func TestPredictOnBatchChunkErrors(t *testing.T) {
	m := foldNet(t, 4)
	withWorkers(2, func() {
		withChunkBytes(588*10, func() {
			x := randomTensor(1, 200, 7, 7, 2)
			per := 7 * 7 * 2
			x.Data()[187*per+5] = float32(math.Inf(1))
			if _, err := m.PredictOnBatch(x); err == nil || !strings.Contains(err.Error(), "sample 187 of x holds +Inf at position 5") {
				t.Errorf("Inf in the last chunk: %v", err)
			}
			x.Data()[23*per] = float32(math.NaN())
			if _, err := m.PredictOnBatch(x); err == nil || !strings.Contains(err.Error(), "sample 23 of x holds NaN at position 0") {
				t.Errorf("NaN in the third chunk, Inf in the last: %v", err)
			}
			e := NewSequential(layers.Input(7, 7, 2), explodingLayer{layers.Flatten()})
			if _, err := e.PredictOnBatch(randomTensor(1, 200, 7, 7, 2)); err == nil || !strings.Contains(err.Error(), "user op exploded") {
				t.Errorf("an op that panics: %v", err)
			}
			if _, err := m.PredictOnBatch(randomTensor(2, 200, 7, 7, 2)); err != nil {
				t.Errorf("after the errors: %v", err)
			}
		})
	})
}

// Chunked calls from several goroutines at once (run under -race) give
// the whole batch's answer, and a call allocates nothing but its result.
func TestPredictOnBatchChunksConcurrentAndAllocFree(t *testing.T) {
	m := foldNet(t, 6)
	x := randomTensor(8, 301, 7, 7, 2)
	want := unsplit(t, m, x)
	withWorkers(2, func() {
		withChunkBytes(588*16, func() {
			checkPredictOnBatchShared(t, m, x, want, 5)
		})
	})
}
