package plot

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/goras-ml/goras"
)

// Fuzz targets for the history readers and the drawing behind them. Seeds
// live in testdata/fuzz/<target>; run one with e.g.
//
//	go test -run XXX -fuzz '^FuzzReadHistoryCSV$' -fuzztime 1m ./plot/

// checkHistory asserts what the readers promise of a History they accept.
func checkHistory(t *testing.T, h *goras.History) {
	t.Helper()
	if len(h.Epoch) == 0 {
		t.Fatal("accepted a history with no epochs")
	}
	for _, e := range h.Epoch {
		if e < 0 {
			t.Fatalf("accepted epoch %d", e)
		}
	}
	for k, v := range h.History {
		if len(v) != len(h.Epoch) {
			t.Fatalf("%q has %d values for %d epochs", k, len(v), len(h.Epoch))
		}
	}
	if n := len(h.Seconds); n != 0 && n != len(h.Epoch) {
		t.Fatalf("%d seconds for %d epochs", n, len(h.Epoch))
	}
}

// fuzzDraw draws an accepted history, small enough to keep each run fast.
func fuzzDraw(t *testing.T, h *goras.History) {
	if len(h.Epoch) <= 200 && len(h.History) <= 8 {
		drawHistory(t, h)
	}
}

// FuzzReadHistoryCSV: the CSV reader never panics, what it accepts is
// consistent, and it draws.
func FuzzReadHistoryCSV(f *testing.F) {
	f.Add([]byte("epoch,accuracy,loss,val_accuracy,val_loss,seconds\n0,0.7,0.9,0.8,0.6,1.250\n1,0.85,0.5,0.86,0.45,1.500\n"))
	f.Add([]byte("epoch,accuracy,loss\r\n0,0.5,1.5\r\n1,NA,0.75\r\n"))
	f.Add([]byte("epoch,loss\n0,1e308\n1000000000000,-1e308\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHistoryCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkHistory(t, h)
		fuzzDraw(t, h)
	})
}

// FuzzReadHistoryJSON: the same for the JSON reader.
func FuzzReadHistoryJSON(f *testing.F) {
	f.Add([]byte(`{"epoch":[0,1],"history":{"loss":[0.9,0.5],"val_loss":[0.6,0.45]},"seconds":[1.25,1.5],"params":{"epochs":2}}`))
	f.Add([]byte(`{"epoch":[0,1],"history":{"loss":[null,0.5]}}`))
	f.Add([]byte(`{"epoch":[0,1000000000000],"history":{"accuracy":[9e307,-9e307]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHistoryJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkHistory(t, h)
		fuzzDraw(t, h)
	})
}

// FuzzValueTicks: the value axis's ticks come back, and few, for any
// range (gonum's own tick search never returns for some).
func FuzzValueTicks(f *testing.F) {
	f.Add(0.0, 1.0)
	f.Add(-9e307, 9e307)
	f.Add(1e18, 1e18)
	f.Add(-3.4e38, 3.4e38)
	f.Fuzz(func(t *testing.T, lo, hi float64) {
		done := make(chan int, 2)
		go func() {
			done <- len(valueTicks{}.Ticks(lo, hi))
			done <- len(epochTicks{}.Ticks(lo, hi))
		}()
		for range 2 {
			select {
			case n := <-done:
				if n > maxTicks+1 {
					t.Fatalf("Ticks(%g, %g): %d ticks", lo, hi, n)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Ticks(%g, %g) did not return", lo, hi)
			}
		}
		if lo < hi && !math.IsInf(lo, 0) && !math.IsInf(hi, 0) && !math.IsNaN(hi-lo) && len(valueTicks{}.Ticks(lo, hi)) == 0 {
			t.Fatalf("Ticks(%g, %g): no ticks on a finite range", lo, hi)
		}
	})
}
