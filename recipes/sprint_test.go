package recipes

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/mixedprecision"
)

// TestSprintIsBestInBfloat16: sprint is Best's network and training
// shortened to 10 epochs under mixed_bfloat16, and nothing else.
func TestSprintIsBestInBfloat16(t *testing.T) {
	s, b := Sprint(), Best()
	if s.Name != "sprint" || s.Epochs != 10 || s.Precision != "mixed_bfloat16" {
		t.Errorf("Sprint() = %s, %d epochs, precision %q; want sprint, 10, mixed_bfloat16", s.Name, s.Epochs, s.Precision)
	}
	if s.Config != b.Config || s.BatchSize != b.BatchSize || s.Dataset != b.Dataset || b.Precision != "" {
		t.Errorf("Sprint's config %+v (batch %d) differs from Best's %+v (batch %d)", s.Config, s.BatchSize, b.Config, b.BatchSize)
	}
}

// policySpy stops training after the first batch and remembers the global
// policy and the model's while it ran.
type policySpy struct {
	goras.BaseCallback
	global, model string
}

func (p *policySpy) OnTrainBatchEnd(int, goras.Logs) {
	p.global = mixedprecision.GlobalPolicy().Name()
	p.model = mixedprecision.PolicyOf(p.Model).Name()
	p.Model.StopTraining = true
}

// tinySprint is Sprint with a network small enough for a test.
func tinySprint() Recipe {
	r := Sprint()
	r.Config.Filters, r.Config.ConvsPerBlock, r.Config.Dense = [2]int{4, 8}, [2]int{1, 1}, 16
	return r
}

// TestRunTrainsInTheRecipesPolicy: Run trains under the recipe's policy,
// the model's own, and leaves the global one alone, so that two runs in
// other policies may go on at once (here under -race): a sprint run and
// a float32 one side by side, while the global policy says float32, give
// the weights that one step gives under the global policy of each, bit for
// bit, and (with fast bfloat16 products) different ones.
func TestRunTrainsInTheRecipesPolicy(t *testing.T) {
	mixedprecision.SetNoticeOutput(nil)
	defer mixedprecision.SetNoticeOutput(nil)
	defer mixedprecision.SetGlobalPolicy("float32")
	// What mixed_bfloat16 becomes on this CPU (float32 without AVX512_BF16).
	if err := mixedprecision.SetGlobalPolicy("mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	want := mixedprecision.GlobalPolicy().Name()
	if err := mixedprecision.SetGlobalPolicy("float32"); err != nil {
		t.Fatal(err)
	}
	n := TrainSamples + ValidationSamples
	rng := rand.New(rand.NewPCG(1, 2))
	train := mnist.Dataset{X: &mnist.Images{N: n, Rows: 28, Cols: 28, Pixels: make([]uint8, n*28*28)}, Y: make(mnist.Labels, n)}
	for i := range train.X.Pixels {
		train.X.Pixels[i] = uint8(rng.IntN(256))
	}
	for i := range train.Y {
		train.Y[i] = uint8(rng.IntN(10))
	}
	run := func(r Recipe) (*goras.Model, *policySpy, error) {
		spy := &policySpy{}
		res, err := r.Run(context.Background(), 1, train, mnist.Dataset{}, RunOptions{
			Epochs: 1, SkipTest: true, Output: io.Discard, Callbacks: []goras.Callback{spy}})
		if err != nil {
			return nil, nil, err
		}
		return res.Model, spy, nil
	}
	f32 := tinySprint()
	f32.Precision = "float32"
	var models [2]*goras.Model
	var spies [2]*policySpy
	var errs [2]error
	var wg sync.WaitGroup
	for i, r := range []Recipe{tinySprint(), f32} {
		wg.Go(func() { models[i], spies[i], errs[i] = run(r) })
	}
	wg.Wait()
	for i, p := range []string{want, "float32"} {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if spies[i].global != "float32" || spies[i].model != p {
			t.Errorf("run %d trained with global policy %s and its own %s; want float32 and %s", i, spies[i].global, spies[i].model, p)
		}
	}
	if p := mixedprecision.GlobalPolicy().Name(); p != "float32" {
		t.Errorf("policy after Run: %q, want the caller's float32", p)
	}
	// The reference: no policy of its own, the global one mixed_bfloat16.
	ref := tinySprint()
	ref.Precision = ""
	if err := mixedprecision.SetGlobalPolicy("mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	bf16, _, err := run(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d := differences(models[0], bf16); d != 0 {
		t.Errorf("sprint beside a float32 run: %d weights differ from sprint's alone under the global mixed_bfloat16", d)
	}
	if d := differences(models[1], bf16); (d > 0) != (want == "mixed_bfloat16") {
		t.Errorf("%d weights differ between float32 and %s training", d, want)
	}
}

// differences counts the weights of a and b that differ in any bit.
func differences(a, b *goras.Model) int {
	n := 0
	for i, p := range a.Params() {
		for k, v := range p.Value.Data() {
			if math.Float32bits(v) != math.Float32bits(b.Params()[i].Value.Data()[k]) {
				n++
			}
		}
	}
	return n
}
