package quantize_test

import (
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/quantize"
)

// rounds is how many times BenchmarkPredict1000 alternates its four runs.
var rounds = flag.Int("rounds", 5, "BenchmarkPredict1000: rounds of float32 and int8 runs, alternated")

// BenchmarkPredict1000 times float32 Predict (goras.Model, batch 1000)
// and quantized Predict on the same 1,000 images, for LeNet-5 and the best
// recipe's network (weights from seed 1: the time does not depend on
// training). On a shared machine one run says little, so the four runs
// alternate for -rounds rounds, and a last line per network gives each
// one's best and median time and the speed-ups:
//
//	go test -run XXX -bench Predict1000 ./quantize/ -args -rounds=9
func BenchmarkPredict1000(b *testing.B) {
	x := images(1000, 11)
	type runner struct {
		name string
		run  func() error
	}
	var rs []runner
	for _, name := range []string{"lenet5", "best"} {
		spec, err := applications.Get(name)
		if err != nil {
			b.Fatal(err)
		}
		m, err := spec.New(1)
		if err != nil {
			b.Fatal(err)
		}
		q, err := quantize.Quantize(m, x.Slice(0, 300))
		if err != nil {
			b.Fatal(err)
		}
		rs = append(rs,
			runner{name + "/float32", func() error {
				_, err := m.Predict(x, goras.BatchSize(1000), goras.Verbose(0))
				return err
			}},
			runner{name + "/int8", func() error { _, err := q.Predict(x); return err }})
	}
	times := map[string][]time.Duration{}
	for r := 0; r < *rounds; r++ {
		for _, rn := range rs {
			if err := rn.run(); err != nil { // the first call builds plans and buffers
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/round%d", rn.name, r), func(b *testing.B) {
				for b.Loop() {
					rn.run()
				}
				times[rn.name] = append(times[rn.name][:r], b.Elapsed()/time.Duration(b.N))
			})
		}
	}
	for _, name := range []string{"lenet5", "best"} {
		f, q := times[name+"/float32"], times[name+"/int8"]
		if len(f) == 0 || len(q) == 0 { // -bench chose one of the pair, or neither
			for _, kind := range []string{"float32", "int8"} {
				if ts := times[name+"/"+kind]; len(ts) > 0 {
					fmt.Printf("%s %s, batch 1000, %d rounds: best %v median %v (no speed-up: the other run was not chosen)\n", name, kind, len(ts), best(ts), median(ts))
				}
			}
			continue
		}
		bf, mf, bq, mq := best(f), median(f), best(q), median(q)
		// Printed rather than logged: a benchmark's log is not shown once
		// it has sub-benchmarks.
		fmt.Printf("%s, batch 1000, %d rounds: float32 best %v (%.0f img/s) median %v; int8 best %v (%.0f img/s) median %v; speed-up %.2f× (best) %.2f× (median)\n",
			name, len(f), bf, 1000/bf.Seconds(), mf, bq, 1000/bq.Seconds(), mq, bf.Seconds()/bq.Seconds(), mf.Seconds()/mq.Seconds())
	}
}

func best(ds []time.Duration) time.Duration { return slices.Min(ds) }

func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return s[len(s)/2]
}
