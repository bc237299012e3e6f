package goras

import (
	"context"
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

// trainFoldNet has the three BatchNormalization → ReLU chains a training
// plan fuses, on 8, 5 and 16 channels (on and off the batch-norm
// assembly's multiple of 8), with Activation("relu") and ReLU(), γ and β
// each left out once; and two normalizations no ReLU reads, which stay.
// Two convolutions with padding read a normalization's output (through
// the first ReLU, and a normalization's alone, on 8 and 6 channels), and
// a 2×2 max pooling the second ReLU's: they apply it themselves
// (normInputs); the strided and the 1×1 convolutions cannot.
func trainFoldNet(seed uint64) *Model {
	m := NewSequential(layers.Input(6, 6, 3),
		layers.Conv2D(8, 3, layers.WithPadding("same"), layers.WithUseBias(false)),
		layers.BatchNormalization(),
		layers.Activation("relu"),
		layers.Conv2D(6, 3, layers.WithPadding("same")),
		layers.BatchNormalization(),
		layers.Conv2D(6, 3, layers.WithPadding("same"), layers.WithActivation("relu")),
		layers.Conv2D(5, 3, layers.WithStrides(2)),
		layers.BatchNormalization(layers.WithScale(false)),
		layers.ReLU(),
		layers.MaxPooling2D(),
		layers.Conv2D(4, 1),
		layers.BatchNormalization(),
		layers.Flatten(),
		layers.Dense(16, layers.WithUseBias(false)),
		layers.BatchNormalization(layers.WithCenter(false)),
		layers.Activation("relu"),
		layers.Dense(3, layers.WithActivation("softmax")))
	m.SetSeed(seed)
	return m
}

// trainFoldRun is what one training of trainFoldNet leaves: every weight
// (moving statistics included), the history and the training plans' ops.
type trainFoldRun struct {
	names   []string
	weights [][]float32
	history map[string][]float64
	ops     int
	normIn  int // convolutions applying the normalization before them
}

// trainFoldFit trains trainFoldNet for 2 epochs of 3 steps of 16 samples,
// validating on 16 more (in the training plan of batch 16, with
// Forward(false)), with Adam, the folds off or on.
func trainFoldFit(t *testing.T, off bool) trainFoldRun {
	t.Helper()
	trainFoldOff = off
	defer func() { trainFoldOff = false }()
	m := trainFoldNet(5)
	opt, err := optimizers.NewAdam(optimizers.LearningRate(0.01))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: opt, Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(11)
	x, y := tensor.New(64, 6, 6, 3), tensor.New(64, 3)
	x.FillNormal(rng, 0.5, 1)
	for i := range 64 {
		y.Data()[3*i+rng.IntN(3)] = 1
	}
	h, err := m.Fit(context.Background(), x, y, BatchSize(16), Epochs(2), ValidationSplit(0.25), Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	run := trainFoldRun{history: h.History}
	for _, w := range m.Params() {
		run.names = append(run.names, w.Name)
		run.weights = append(run.weights, append([]float32(nil), w.Value.Data()...))
	}
	for k, bp := range m.plans.plans {
		if k.train {
			run.ops += bp.plan.Ops()
			run.normIn += bp.normIn
		}
	}
	return run
}

// TestTrainFoldSameBits trains the same network with the training folds
// off and on and requires the same float32 bits of every weight and
// moving statistic, and the same losses and validation losses (float64
// bits), with float32 and, where the CPU has them, bfloat16 products
// (mixed_bfloat16); and that the folds did fuse the three chains.
func TestTrainFoldSameBits(t *testing.T) {
	for _, bf16 := range []bool{false, true} {
		if on := autograd.SetBF16Products(bf16); on != bf16 {
			t.Logf("bfloat16 products unavailable: skipping mixed_bfloat16")
			continue
		}
		ref, got := trainFoldFit(t, true), trainFoldFit(t, false)
		autograd.SetBF16Products(false)
		if ref.ops-got.ops != 3 {
			t.Errorf("bf16 %v: training plan has %d ops fused, %d unfused: want 3 fewer (three BatchNormalization → ReLU chains)", bf16, got.ops, ref.ops)
		}
		if got.normIn != 3 || ref.normIn != 0 { // bfloat16 convolutions too, since they convert every input they read
			t.Errorf("bf16 %v: %d layers apply the normalization before them (%d unfused), want 3", bf16, got.normIn, ref.normIn)
		}
		for i, want := range ref.weights {
			for j, v := range want {
				if math.Float32bits(got.weights[i][j]) != math.Float32bits(v) {
					t.Fatalf("bf16 %v: %s[%d] = %v fused, %v unfused", bf16, ref.names[i], j, got.weights[i][j], v)
				}
			}
		}
		if len(ref.history) == 0 || len(ref.history["val_loss"]) != 2 {
			t.Fatalf("history %v: want loss and val_loss of 2 epochs", ref.history)
		}
		for k, want := range ref.history {
			for e, v := range want {
				if g := got.history[k]; len(g) != len(want) || math.Float64bits(g[e]) != math.Float64bits(v) {
					t.Fatalf("bf16 %v: %s = %v fused, %v unfused", bf16, k, got.history[k], want)
				}
			}
		}
	}
}

// TestTrainFoldStepAllocatesNothing: a training step of a plan with the
// fused ops allocates nothing, as every training step must.
func TestTrainFoldStepAllocatesNothing(t *testing.T) {
	m := trainFoldNet(5)
	opt, err := optimizers.NewAdam()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(CompileOptions{Optimizer: opt, Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	x, y := tensor.New(16, 6, 6, 3), tensor.New(16, 3)
	x.FillNormal(tensor.NewRNG(2), 0, 1)
	for i := range 16 {
		y.Data()[3*i+i%3] = 1
	}
	if _, err := m.TrainOnBatch(x, y); err != nil { // builds the plan
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { m.TrainOnBatch(x, y) }); n != 0 {
		t.Errorf("a training step with BatchNormalization → ReLU fused allocates %v times, want 0", n)
	}
}
