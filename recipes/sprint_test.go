package recipes

import (
	"context"
	"io"
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

// policySpy stops training after the first batch and remembers the policy
// in force while it ran.
type policySpy struct {
	goras.BaseCallback
	during string
}

func (p *policySpy) OnTrainBatchEnd(int, goras.Logs) {
	p.during = mixedprecision.GlobalPolicy().Name()
	p.Model.StopTraining = true
}

// TestRunSetsThePolicyForTheRun: Run trains under the recipe's policy and
// restores the caller's afterwards.
func TestRunSetsThePolicyForTheRun(t *testing.T) {
	mixedprecision.SetNoticeOutput(nil)
	defer mixedprecision.SetNoticeOutput(nil)
	if err := mixedprecision.SetGlobalPolicy("float32"); err != nil {
		t.Fatal(err)
	}
	// What mixed_bfloat16 becomes on this CPU (float32 without AVX512_BF16).
	if err := mixedprecision.SetGlobalPolicy("mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	want := mixedprecision.GlobalPolicy().Name()
	if err := mixedprecision.SetGlobalPolicy("float32"); err != nil {
		t.Fatal(err)
	}
	n := TrainSamples + ValidationSamples
	train := mnist.Dataset{X: &mnist.Images{N: n, Rows: 28, Cols: 28, Pixels: make([]uint8, n*28*28)}, Y: make(mnist.Labels, n)}
	spy := &policySpy{}
	_, err := Sprint().Run(context.Background(), 1, train, mnist.Dataset{}, RunOptions{
		Epochs: 1, SkipTest: true, Output: io.Discard, Callbacks: []goras.Callback{spy}})
	if err != nil {
		t.Fatal(err)
	}
	if spy.during != want {
		t.Errorf("policy while sprint trained: %q, want %q", spy.during, want)
	}
	if p := mixedprecision.GlobalPolicy().Name(); p != "float32" {
		t.Errorf("policy after Run: %q, want the caller's float32 back", p)
	}
}
