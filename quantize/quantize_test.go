package quantize_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/internal/kernel"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
)

// randomWeights sets every weight of m from seed, independently of
// goras's initializers: kernels ±0.3, biases and β ±0.1, γ near 1, moving
// means ±0.2 and moving variances 0.5–1.5, so that folding a
// BatchNormalization changes the numbers.
func randomWeights(m *goras.Model, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 7))
	for _, p := range m.Params() {
		d := p.Value.Data()
		for i := range d {
			v := r.Float64()*2 - 1
			switch {
			case strings.HasSuffix(p.Name, "/kernel"):
				v *= 0.3
			case strings.HasSuffix(p.Name, "/gamma"):
				v = 1 + 0.3*v
			case strings.HasSuffix(p.Name, "/moving_variance"):
				v = 1 + 0.5*v
			case strings.HasSuffix(p.Name, "/moving_mean"):
				v *= 0.2
			default:
				v *= 0.1
			}
			d[i] = float32(v)
		}
	}
}

// images are n pictures of 28×28×1 in [0, 1]: a few bright strokes on a
// dark ground, like digits.
func images(n int, seed uint64) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 3))
	x := tensor.New(n, 28, 28, 1)
	d := x.Data()
	for i := 0; i < n; i++ {
		for s := 0; s < 4; s++ {
			y0, x0, dy, dx := r.IntN(20)+4, r.IntN(20)+4, r.IntN(3)-1, r.IntN(3)-1
			for k := 0; k < 8; k++ {
				y, xx := y0+k*dy, x0+k*dx
				if y >= 0 && y < 28 && xx >= 0 && xx < 28 {
					d[i*784+y*28+xx] = float32(0.5 + 0.5*r.Float64())
				}
			}
		}
	}
	return x
}

// bnNet is the bounty network's family at a small size, with what else
// quantization must handle: a stride-2 convolution, valid padding, a
// linear convolution, ReLU as a layer, dropout; its last Dense is linear
// so that its logits can be compared.
func bnNet() *goras.Model {
	return goras.NewSequential(
		layers.Input(28, 28, 1),
		layers.Conv2D(8, 3, layers.WithPadding("same"), layers.WithUseBias(false)),
		layers.BatchNormalization(),
		layers.Activation("relu"),
		layers.MaxPooling2D(),
		layers.Conv2D(12, 3, layers.WithStrides(2)),
		layers.BatchNormalization(),
		layers.ReLU(),
		layers.Conv2D(16, 2), // linear: its outputs have a negative part
		layers.Flatten(),
		layers.Dropout(0.3),
		layers.Dense(24, layers.WithUseBias(false)),
		layers.BatchNormalization(),
		layers.Activation("relu"),
		layers.Dense(10),
	)
}

// TestFoldedBatchNormMatchesFloat holds the quantized bnNet's logits to
// the float model's: within 4 % of their spread per logit, the same class
// for nearly every image. A wrong fold of a BatchNormalization, padding or
// stride would put them far apart.
func TestFoldedBatchNormMatchesFloat(t *testing.T) {
	m := bnNet()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	randomWeights(m, 1)
	q, err := quantize.Quantize(m, images(300, 1))
	if err != nil {
		t.Fatal(err)
	}
	x := images(500, 2)
	yf, err := m.Predict(x, goras.BatchSize(100), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	yq, err := q.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	worst, agree := compareOutputs(yf, yq)
	t.Logf("largest logit error %.2f %% of the spread, classes agree on %d of 500", 100*worst, agree)
	if worst > 0.04 || agree < 480 {
		t.Errorf("quantized logits off by %.1f %% of their spread, %d of 500 classes agree; want ≤ 4 %% and ≥ 480", 100*worst, agree)
	}
}

// compareOutputs returns the largest difference of b from a relative to
// a's spread (largest minus smallest value), and how many rows agree on
// their largest output.
func compareOutputs(a, b *tensor.Tensor) (worst float64, agree int) {
	k := a.Dim(1)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range a.Data() {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	for i, v := range a.Data() {
		worst = math.Max(worst, math.Abs(float64(b.Data()[i]-v))/(hi-lo))
	}
	for i := 0; i < a.Dim(0); i++ {
		if argmax(a.Data()[i*k:(i+1)*k]) == argmax(b.Data()[i*k:(i+1)*k]) {
			agree++
		}
	}
	return worst, agree
}

func argmax(v []float32) int {
	best := 0
	for j := range v {
		if v[j] > v[best] {
			best = j
		}
	}
	return best
}

// TestQuantizedLeNet5MatchesFloat trains LeNet-5 for two epochs on 12,000
// MNIST images (about 94 %), quantizes it on 300 others, and compares it
// with the float model on 2,000 test images: the same class for ≥ 99.25 %
// of them, accuracy within 0.4 points (8 images), probabilities within
// 0.1. (The fully trained models of bench/README.md agree on 9,999 and
// 10,000 of the 10,000 test images.)
func TestQuantizedLeNet5MatchesFloat(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	train, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := applications.Get("lenet5")
	m, err := spec.New(1)
	if err != nil {
		t.Fatal(err)
	}
	adam, _ := optimizers.NewAdam()
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: losses.SparseCategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	x := train.X.Slice(0, 12000).WithChannelAxis()
	if _, err := m.Fit(context.Background(), x, train.Y[:12000], goras.Epochs(2), goras.BatchSize(64), goras.Verbose(0)); err != nil {
		t.Fatal(err)
	}
	calib, _ := train.X.Slice(50000, 50300).Float32().Reshape(300, 28, 28, 1)
	q, err := quantize.Quantize(m, calib)
	if err != nil {
		t.Fatal(err)
	}
	xt, _ := test.X.Slice(0, 2000).Float32().Reshape(2000, 28, 28, 1)
	yf, err := m.Predict(xt, goras.BatchSize(500), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	yq, err := q.Predict(xt)
	if err != nil {
		t.Fatal(err)
	}
	var cf, cq, agree int
	var worst float64
	for i := 0; i < 2000; i++ {
		a, b := yf.Data()[i*10:(i+1)*10], yq.Data()[i*10:(i+1)*10]
		cf += boolInt(argmax(a) == int(test.Y[i]))
		cq += boolInt(argmax(b) == int(test.Y[i]))
		agree += boolInt(argmax(a) == argmax(b))
		for j := range a {
			worst = math.Max(worst, math.Abs(float64(a[j]-b[j])))
		}
	}
	t.Logf("float32 %.2f %%, int8 %.2f %%, same class %d of 2000, probabilities within %.3f", float64(cf)/20, float64(cq)/20, agree, worst)
	if float64(cf)/20 < 93 {
		t.Fatalf("the float model reached only %.2f %%; the comparison needs a trained model", float64(cf)/20)
	}
	if agree < 1985 || math.Abs(float64(cf-cq)) > 8 || worst > 0.1 {
		t.Errorf("int8 %.2f %% against float32 %.2f %%, %d of 2000 agree, probabilities within %.3f; want within 0.4 points, ≥ 1985, ≤ 0.1",
			float64(cq)/20, float64(cf)/20, agree, worst)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPredictIsDeterministic checks that the outputs do not depend on how
// the work is split (one worker or several, one batch or pieces) nor on
// other calls running at once: the same bits every time. Run it under
// -race.
func TestPredictIsDeterministic(t *testing.T) {
	m := bnNet()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	randomWeights(m, 2)
	q, err := quantize.Quantize(m, images(100, 3))
	if err != nil {
		t.Fatal(err)
	}
	x := images(150, 4)
	want, err := q.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	kernel.SetWorkers(1)
	one, _ := q.Predict(x)
	kernel.SetWorkers(0)
	same(t, "one worker", one.Data(), want.Data())
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := 10*g, 10*g+37+g
			y, err := q.Predict(x.Slice(lo, hi))
			if err != nil {
				t.Error(err)
				return
			}
			same(t, fmt.Sprintf("samples %d–%d at once with others", lo, hi), y.Data(), want.Data()[lo*10:hi*10])
		}()
	}
	wg.Wait()
}

func same(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: output %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

// goldenHash is the SHA-256 of the quantized bnNet's outputs below, the
// same with and without the purego tag and on any CPU: the assembly and
// the pure-Go loops compute the same integers and round the same way.
const goldenHash = "4d52123f3cc7b913"

// TestSameBitsEverywhere pins the outputs of a quantized model whose
// weights are set by the test alone.
func TestSameBitsEverywhere(t *testing.T) {
	m := bnNet()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	randomWeights(m, 3)
	q, err := quantize.Quantize(m, images(64, 5))
	if err != nil {
		t.Fatal(err)
	}
	y, err := q.Predict(images(40, 6))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, v := range y.Data() {
		binary.Write(h, binary.LittleEndian, math.Float32bits(v))
	}
	if got := fmt.Sprintf("%x", h.Sum(nil))[:16]; got != goldenHash {
		t.Errorf("outputs hash to %s, want %s", got, goldenHash)
	}
}

// TestMLPMatchesFloat quantizes the course's MLP, whose images go
// straight into its first Dense through Flatten, with no convolution.
func TestMLPMatchesFloat(t *testing.T) {
	spec, _ := applications.Get("mlp")
	m, err := spec.New(1)
	if err != nil {
		t.Fatal(err)
	}
	randomWeights(m, 6)
	x, _ := images(300, 9).Reshape(300, 28, 28)
	q, err := quantize.Quantize(m, x.Slice(0, 200))
	if err != nil {
		t.Fatal(err)
	}
	yf, _ := m.Predict(x, goras.BatchSize(100), goras.Verbose(0))
	yq, err := q.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	worst, agree := compareOutputs(yf, yq)
	t.Logf("largest probability error %.2f %% of the spread, classes agree on %d of 300", 100*worst, agree)
	if worst > 0.04 || agree < 290 {
		t.Errorf("quantized MLP off by %.1f %% of the spread, %d of 300 classes agree; want ≤ 4 %% and ≥ 290", 100*worst, agree)
	}
}
