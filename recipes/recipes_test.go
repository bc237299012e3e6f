package recipes

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/tensor"
)

// Best's parameters, layer by layer (the convolutions and the hidden dense
// layer have no bias: BatchNormalization's β takes its place; each BN
// holds γ, β, moving mean and moving variance):
//
//	conv 3·3·1·32 = 288, BN 4·32 = 128, conv 3·3·32·64 = 18,432, BN 256,
//	conv 3·3·64·64 = 36,864, BN 256, dense 7·7·64·256 = 802,816, BN 1,024,
//	dense 256·10 + 10 = 2,570
//
// 862,634 in all, of which the moving means and variances
// (2·(32+64+64+256) = 832) are not trainable. Fast's: conv 144, BN 64,
// conv 4,608, BN 128, dense 7·7·32·128 = 200,704, BN 512, dense 1,290:
// 207,450, 352 not trainable.
func TestBestBuildsAsDocumented(t *testing.T) {
	r := Best()
	m, err := r.Build(1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Fast().Build(1)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.CountParams(); got != 207450 {
		t.Errorf("Fast has %d params, want 207,450", got)
	}
	if got := m.CountParams(); got != 862634 {
		t.Errorf("Best has %d params, want 862,634", got)
	}
	var b bytes.Buffer
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		"augmentation (Pipeline)", "(None, 28, 28, 32)", "(None, 14, 14, 64)", "(None, 3136)",
		"Total params: 862,634", "Trainable params: 861,802", "Non-trainable params: 832",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Best's summary lacks %q:\n%s", want, s)
		}
	}
	count := map[string]int{}
	for _, l := range m.Layers() {
		count[l.ClassName()]++
	}
	if count["Conv2D"] != 3 || count["BatchNormalization"] != 4 || count["Dense"] != 2 || count["Dropout"] != 1 || count["Pipeline"] != 1 {
		t.Errorf("Best's layers by class: %v; want 3 Conv2D, 4 BatchNormalization, 2 Dense, 1 Dropout, 1 Pipeline", count)
	}
}

// The one-cycle schedule: PeakRate/10 at step 0, PeakRate at the end of the
// warm-up, half of it half-way through the cosine, 0 at the last step.
func TestScheduleIsOneCycle(t *testing.T) {
	for _, r := range []Recipe{Best(), BestLong(), Fast()} {
		m, err := r.Build(1)
		if err != nil {
			t.Fatal(err)
		}
		c := r.Config
		steps := int64(r.StepsPerEpoch())
		warm := int64(c.WarmupEpochs * float64(steps))
		total := int64(r.Epochs) * steps
		sched := m.Optimizer().Config()["learning_rate"]
		cfg, ok := sched.(map[string]any)
		if !ok {
			t.Fatalf("%s: learning_rate config is %T %v, want a schedule", r.Name, sched, sched)
		}
		cc := cfg["config"].(map[string]any)
		if cc["warmup_steps"] != warm || cc["decay_steps"] != total-warm ||
			cc["initial_learning_rate"] != c.PeakRate/10 || cc["warmup_target"] != c.PeakRate {
			t.Errorf("%s: schedule config %v, want warm-up %d steps from %g to %g then %d steps of cosine",
				r.Name, cc, warm, c.PeakRate/10, c.PeakRate, total-warm)
		}
		if got := m.Optimizer().LearningRate(); math.Abs(got-c.PeakRate/10) > 1e-12 {
			t.Errorf("%s: first rate %g, want %g", r.Name, got, c.PeakRate/10)
		}
	}
	if l, b := BestLong(), Best(); l.Epochs != 2*b.Epochs || l.Config != b.Config || !strings.Contains(l.Description, "24 epochs") {
		t.Errorf("BestLong is %d epochs of %+v (%q), want Best's recipe over 24 epochs", l.Epochs, l.Config, l.Description)
	}
	if got := Best().StepsPerEpoch(); got != 430 {
		t.Errorf("StepsPerEpoch of batch 128 over 55,000 images = %d, want 430", got)
	}
}

// One training step allocates nothing, augmentation included.
func TestTrainStepAllocatesNothing(t *testing.T) {
	for _, r := range []Recipe{Best(), Fast()} {
		if r.Config.Rotation == 0 && r.Name == "best" {
			t.Fatalf("best has no augmentation to check")
		}
		m, err := r.Build(1)
		if err != nil {
			t.Fatal(err)
		}
		x, y := tensor.New(4, 28, 28, 1), tensor.New(4, 10)
		x.FillUniform(tensor.NewRNG(2), 0, 1)
		for i := range 4 {
			y.Set(1, i, i)
		}
		if _, err := m.TrainOnBatch(x, y); err != nil { // builds the plan
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(3, func() { m.TrainOnBatch(x, y) }); n != 0 {
			t.Errorf("%s: a training step allocates %v times, want 0", r.Name, n)
		}
	}
}

// The same seed gives the same weights after training with augmentation and
// dropout (same draws); another seed gives others.
func TestSeedFixesTraining(t *testing.T) {
	train := func(seed uint64) []float32 {
		m, err := Best().Build(seed)
		if err != nil {
			t.Fatal(err)
		}
		x, y := tensor.New(4, 28, 28, 1), tensor.New(4, 10)
		x.FillUniform(tensor.NewRNG(3), 0, 1)
		for i := range 4 {
			y.Set(1, i, 3*i)
		}
		for range 2 {
			if _, err := m.TrainOnBatch(x, y); err != nil {
				t.Fatal(err)
			}
		}
		return m.Params()[0].Value.Clone().Data()
	}
	a, b, c := train(1), train(1), train(2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 1 twice: first kernel differs at %d: %g vs %g", i, a[i], b[i])
		}
	}
	same := true
	for i := range a {
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("seeds 1 and 2 trained to the same first kernel")
	}
}

func TestSplit(t *testing.T) {
	n := TrainSamples + ValidationSamples
	x := &mnist.Images{N: n, Rows: 28, Cols: 28, Pixels: make([]uint8, n*28*28)}
	y := make(mnist.Labels, n)
	y[TrainSamples] = 7
	tx, ty, vx, vy, err := Split(mnist.Dataset{X: x, Y: y})
	if err != nil {
		t.Fatal(err)
	}
	if s := tx.Shape(); s[0] != TrainSamples || len(s) != 4 || s[3] != 1 {
		t.Errorf("training images %v, want (55000, 28, 28, 1)", s)
	}
	if s := vx.Shape(); s[0] != ValidationSamples {
		t.Errorf("validation images %v, want 5,000", s)
	}
	if s := ty.Shape(); s[0] != TrainSamples || s[1] != 10 {
		t.Errorf("training labels %v, want (55000, 10)", s)
	}
	got := make([]float32, 10)
	vy.Gather(got, []int{0})
	if got[7] != 1 {
		t.Errorf("first validation label one-hot %v, want 1 at 7 (label 60,000-5,000)", got)
	}
	_, _, _, _, err = Split(mnist.Dataset{X: x.Slice(0, 100), Y: y[:100]})
	if err == nil || !strings.Contains(err.Error(), "60000") {
		t.Errorf("Split of 100 images: error %v, want one naming 60000", err)
	}
}

func TestGet(t *testing.T) {
	for _, name := range []string{"best", "best-long", "fashion", "fast", "sprint"} {
		if r, err := Get(name); err != nil || r.Name != name {
			t.Errorf("Get(%q) = %q, %v", name, r.Name, err)
		}
	}
	if _, err := Get("huge"); err == nil || !strings.Contains(err.Error(), "best, best-long, fashion, fast and sprint") {
		t.Errorf("Get(huge): error %v, want one listing the recipes", err)
	}
}
