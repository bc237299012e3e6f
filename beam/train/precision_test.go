package train

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/recipes"
)

// meeting holds each of two jobs, at the first progress line Fit writes
// (the end of its first epoch), until the other has written its own: the
// two are then between epochs at once, one trained and one to come.
type meeting struct {
	arrived sync.WaitGroup
	both    chan struct{}
}

func newMeeting() *meeting {
	m := &meeting{both: make(chan struct{})}
	m.arrived.Add(2)
	go func() { m.arrived.Wait(); close(m.both) }()
	return m
}

// writer is one job's progress writer; met says whether the other job came.
func (m *meeting) writer(met *bool) io.Writer {
	var once sync.Once
	return writerFunc(func(p []byte) (int, error) {
		once.Do(func() {
			m.arrived.Done()
			select {
			case <-m.both:
				*met = true
			case <-time.After(5 * time.Minute): // the other failed: its error tells
			}
		})
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Two jobs in one process, at once (the test meets them between their
// epochs; run it under -race), one of best (float32) and one of sprint
// (mixed_bfloat16), the same network from the same seed, while the global
// policy says mixed_bfloat16: each trains in its own recipe's precision,
// its weights bit for bit those of the same training alone under the
// global policy of that precision, and (where bfloat16 products are fast)
// the two differ. On a CPU without fast bfloat16 products sprint falls
// back to float32 with the notice, and both give float32's weights.
func TestConcurrentJobsTrainInTheirOwnPrecision(t *testing.T) {
	var notes bytes.Buffer
	mixedprecision.SetNoticeOutput(&notes)
	defer mixedprecision.SetNoticeOutput(nil)
	defer mixedprecision.SetGlobalPolicy("float32")
	if err := mixedprecision.SetGlobalPolicy("mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	bf16 := mixedprecision.GlobalPolicy().Name() // float32 without fast bfloat16 products
	const n, v = 600, 200
	hyper := map[string]float64{"filters1": 4, "filters2": 8, "convs2": 1, "dense": 16, "epochs": 2, "peak_rate": 0.03, "warmup_epochs": 0}
	jobs := []Job{
		{ID: "f32", Recipe: "best", Seed: 5, Hyper: hyper, Train: n, Validation: v, Out: "unused"},
		{ID: "bf16", Recipe: "sprint", Seed: 5, Hyper: hyper, Train: n, Validation: v, Out: "unused"},
	}
	meet := newMeeting()
	var trained [2]*Trained
	var errs [2]error
	var met [2]bool
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { trained[i], errs[i] = Fit(context.Background(), j, meet.writer(&met[i])) })
	}
	wg.Wait()
	for i, j := range jobs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !met[i] {
			t.Errorf("job %s trained alone: the other never reached the end of its first epoch", j.ID)
		}
	}
	if p := trained[0].Result.Precision; p != "float32" {
		t.Errorf("best's job trained in %s, want float32 whatever the global policy", p)
	}
	if p := trained[1].Result.Precision; p != bf16 {
		t.Errorf("sprint's job trained in %s, want %s", p, bf16)
	}
	if bf16 == "float32" && !strings.Contains(notes.String(), "the policy stays float32") {
		t.Errorf("no notice that sprint falls back to float32 here; notices: %q", notes.String())
	}

	// The references: best's network alone, no policy of its own, under
	// each global policy in turn.
	train, _, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	r := recipes.Best()
	r.Epochs = 2
	r.Config.Filters, r.Config.ConvsPerBlock, r.Config.Dense = [2]int{4, 8}, [2]int{1, 1}, 16
	r.Config.PeakRate, r.Config.WarmupEpochs = 0.03, 0
	var refs [2]*goras.Model
	for i, policy := range []string{"float32", "mixed_bfloat16"} {
		if err := mixedprecision.SetGlobalPolicy(policy); err != nil {
			t.Fatal(err)
		}
		refs[i], _ = sequentialRecipe(t, r, train, 5, n, v)
		sameWeights(t, jobs[i].ID, trained[i].Model, refs[i])
	}
	if d := differences(refs[0], refs[1]); (d > 0) != (bf16 == "mixed_bfloat16") {
		t.Errorf("%d weights differ between training in float32 and in %s", d, bf16)
	}
}

// differences counts the weights of a and b that differ.
func differences(a, b *goras.Model) int {
	d := 0
	for i, p := range a.Params() {
		for k, x := range p.Value.Data() {
			if x != b.Params()[i].Value.Data()[k] {
				d++
			}
		}
	}
	return d
}
