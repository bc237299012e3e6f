package crossval_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/crossval"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/tensor"
)

func TestFoldsPartitionTheSamples(t *testing.T) {
	for _, c := range []struct {
		n, k    int
		shuffle bool
		sizes   string
	}{
		{10, 2, false, "[5 5]"}, {10, 3, false, "[4 3 3]"}, {7, 3, true, "[3 2 2]"},
		{11, 5, true, "[3 2 2 2 2]"}, {5, 5, false, "[1 1 1 1 1]"}, {100, 7, true, "[15 15 14 14 14 14 14]"},
	} {
		folds, err := crossval.Splitter{K: c.k, Shuffle: c.shuffle, Seed: 3}.Split(c.n)
		if err != nil {
			t.Fatal(err)
		}
		held := make([]int, c.n)
		var sizes []int
		for f, fold := range folds {
			sizes = append(sizes, len(fold.Test))
			in := map[int]bool{}
			for _, i := range fold.Test {
				held[i]++
				in[i] = true
			}
			if fold.Index != f || len(fold.Train)+len(fold.Test) != c.n {
				t.Errorf("n=%d k=%d fold %d: index %d, %d+%d samples", c.n, c.k, f, fold.Index, len(fold.Train), len(fold.Test))
			}
			for j, i := range fold.Train {
				if in[i] || (j > 0 && fold.Train[j-1] >= i) {
					t.Errorf("n=%d k=%d fold %d: train %v is not the ascending complement of %v", c.n, c.k, f, fold.Train, fold.Test)
					break
				}
			}
		}
		for i, h := range held {
			if h != 1 {
				t.Errorf("n=%d k=%d: sample %d held out %d times", c.n, c.k, i, h)
			}
		}
		if fmt.Sprint(sizes) != c.sizes {
			t.Errorf("n=%d k=%d: fold sizes %v, want %s (scikit-learn's)", c.n, c.k, sizes, c.sizes)
		}
	}
	// Contiguous without shuffling; the seed fixes the shuffled folds.
	folds, _ := crossval.Splitter{K: 3}.Split(7)
	if fmt.Sprint(folds[1].Test, folds[1].Train) != "[3 4] [0 1 2 5 6]" {
		t.Errorf("fold 2 %v %v", folds[1].Test, folds[1].Train)
	}
	a, _ := crossval.Splitter{K: 4, Shuffle: true, Seed: 1}.Split(20)
	b, _ := crossval.Splitter{K: 4, Shuffle: true, Seed: 1}.Split(20)
	c, _ := crossval.Splitter{K: 4, Shuffle: true, Seed: 2}.Split(20)
	if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(a) == fmt.Sprint(c) {
		t.Error("the same seed must give the same folds, another seed others")
	}
	for _, c := range []struct{ n, k int }{{10, 1}, {3, 4}, {0, 2}} {
		if _, err := (crossval.Splitter{K: c.k}).Split(c.n); err == nil {
			t.Errorf("n=%d k=%d accepted", c.n, c.k)
		}
	}
}

// meanPredictor is a "fake" model with a known answer: its input is 0, so
// its output is its bias, and one full-batch SGD step at rate 0.5 on MSE
// sets the bias to the mean of the training targets exactly
// (b ← b − 0.5·2·mean(b − y)). Its loss on a held-out fold is then
// mean((y − mean(y_train))²).
func meanPredictor(t *testing.T) func(int) (*goras.Model, error) {
	return func(fold int) (*goras.Model, error) {
		m := goras.NewSequential(layers.Input(1), layers.Dense(1))
		m.SetSeed(uint64(fold))
		opt, err := optimizers.NewSGD(optimizers.LearningRate(0.5))
		if err != nil {
			return nil, err
		}
		return m, m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.MeanSquaredError{}})
	}
}

func fitOnce(n int) []goras.Option {
	return []goras.Option{goras.Epochs(1), goras.BatchSize(n), goras.Shuffle(false), goras.Verbose(0), goras.Warnings(io.Discard)}
}

func TestMeanAndStdByHand(t *testing.T) {
	x := tensor.New(6, 1)
	y, _ := tensor.FromSlice([]float32{1, 3, 2, 4, 5, 7}, 6, 1)
	res, err := crossval.KFold(context.Background(), 3, x, y, meanPredictor(t), fitOnce(6)...)
	if err != nil {
		t.Fatal(err)
	}
	// fold 1: test {1,3}, train mean 4.5 → (3.5² + 1.5²)/2 = 7.25
	// fold 2: test {2,4}, train mean 4   → (2² + 0²)/2     = 2
	// fold 3: test {5,7}, train mean 2.5 → (2.5² + 4.5²)/2 = 13.25
	want := []float64{7.25, 2, 13.25}
	for i, f := range res.Folds {
		if f.Metrics["loss"] != want[i] {
			t.Errorf("fold %d loss %v, want %v", i+1, f.Metrics["loss"], want[i])
		}
	}
	mean := (7.25 + 2 + 13.25) / 3                                                              // 7.5
	std := math.Sqrt((math.Pow(7.25-7.5, 2) + math.Pow(2-7.5, 2) + math.Pow(13.25-7.5, 2)) / 3) // √21.125
	if res.Mean["loss"] != mean || math.Abs(res.Std["loss"]-std) > 1e-15 || fmt.Sprint(res.Names) != "[loss]" {
		t.Errorf("mean %v std %v names %v, want %v, %v (population), [loss]", res.Mean["loss"], res.Std["loss"], res.Names, mean, std)
	}
	wantTable := "fold  train  test     loss\n" +
		"   1      4     2   7.2500\n" +
		"   2      4     2   2.0000\n" +
		"   3      4     2  13.2500\n" +
		"mean                7.5000\n" +
		" std                4.5962\n"
	if res.String() != wantTable {
		t.Errorf("table\n%s\nwant\n%s", res.String(), wantTable)
	}

	// Shuffled folds: the losses follow from each fold's own indices.
	var out bytes.Buffer
	ys := []float64{1, 3, 2, 4, 5, 7, 0, 6, 9, 8}
	y2 := tensor.New(10, 1)
	for i, v := range ys {
		y2.Data()[i] = float32(v)
	}
	res, err = crossval.Splitter{K: 4, Shuffle: true, Seed: 9, Output: &out}.Run(context.Background(), tensor.New(10, 1), y2, meanPredictor(t), fitOnce(10)...)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range res.Folds {
		var tm float64
		for _, i := range f.Train {
			tm += ys[i]
		}
		tm /= float64(len(f.Train))
		var l float64
		for _, i := range f.Test {
			l += (ys[i] - tm) * (ys[i] - tm)
		}
		l /= float64(len(f.Test))
		if math.Abs(f.Metrics["loss"]-l) > 1e-5*l {
			t.Errorf("fold %d: loss %v, want %v from its indices %v", f.Index+1, f.Metrics["loss"], l, f.Test)
		}
		if f.History.Params["steps"] != 1 || len(f.History.Epoch) != 1 {
			t.Errorf("fold %d: history %+v, want one epoch of one step", f.Index+1, f.History)
		}
		sum += f.Metrics["loss"]
	}
	if math.Abs(res.Mean["loss"]-sum/4) > 1e-12 {
		t.Errorf("mean %v, want %v", res.Mean["loss"], sum/4)
	}
	if lines := strings.Count(out.String(), "\n"); lines != 4 || !strings.HasPrefix(out.String(), "Fold 1/4 - loss: ") {
		t.Errorf("progress %q", out.String())
	}
}

// blobs: n samples of a 3-class problem on 4 features, class i mod 3.
func blobs(n int) (x, y *tensor.Tensor) {
	rng := tensor.NewRNG(4)
	x, y = tensor.New(n, 4), tensor.New(n, 3)
	for i := 0; i < n; i++ {
		k := i % 3
		for j := 0; j < 4; j++ {
			v := 0.3 * rng.NormFloat64()
			if j%3 == k {
				v++
			}
			x.Data()[i*4+j] = float32(v)
		}
		y.Data()[i*3+k] = 1
	}
	return x, y
}

func TestRealRunOnBlobs(t *testing.T) {
	x, y := blobs(150)
	build := func(fold int) (*goras.Model, error) {
		m := goras.NewSequential(layers.Input(4), layers.Dense(16, layers.WithActivation("relu")),
			layers.Dense(3, layers.WithActivation("softmax")))
		m.SetSeed(uint64(fold))
		opt, err := optimizers.NewSGD(optimizers.LearningRate(0.1), optimizers.Momentum(0.9))
		if err != nil {
			return nil, err
		}
		return m, m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}})
	}
	res, err := crossval.Splitter{K: 5, Shuffle: true, Seed: 1}.Run(context.Background(), x, y, build,
		goras.Epochs(10), goras.BatchSize(16), goras.Verbose(0), goras.Warnings(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", res)
	if len(res.Folds) != 5 || fmt.Sprint(res.Names) != "[accuracy loss]" {
		t.Fatalf("%d folds, names %v", len(res.Folds), res.Names)
	}
	for _, f := range res.Folds {
		if f.Metrics["accuracy"] <= 0.9 {
			t.Errorf("fold %d: accuracy %.4f, want > 0.9", f.Index+1, f.Metrics["accuracy"])
		}
	}
}

func TestRunErrors(t *testing.T) {
	x, y := tensor.New(6, 1), tensor.New(6, 1)
	ctx := context.Background()
	notCompiled := func(int) (*goras.Model, error) {
		return goras.NewSequential(layers.Input(1), layers.Dense(1)), nil
	}
	boom := errors.New("boom")
	for _, c := range []struct {
		run  func() (*crossval.Result, error)
		want string
	}{
		{func() (*crossval.Result, error) { return crossval.KFold(ctx, 2, x, tensor.New(5, 1), meanPredictor(t)) }, "same number of samples"},
		{func() (*crossval.Result, error) { return crossval.KFold(ctx, 2, nil, y, meanPredictor(t)) }, "x and y are required"},
		{func() (*crossval.Result, error) { return crossval.KFold(ctx, 2, x, y, nil) }, "build is required"},
		{func() (*crossval.Result, error) { return crossval.KFold(ctx, 7, x, y, meanPredictor(t)) }, "at most 6 folds"},
		{func() (*crossval.Result, error) { return crossval.KFold(ctx, 2, x, y, notCompiled) }, "fold 1/2: build must return a compiled model"},
		{func() (*crossval.Result, error) {
			return crossval.KFold(ctx, 3, x, y, func(f int) (*goras.Model, error) {
				if f == 1 {
					return nil, boom
				}
				return meanPredictor(t)(f)
			}, fitOnce(6)...)
		}, "fold 2/3: boom"},
	} {
		res, err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
		if strings.Contains(c.want, "boom") && (res == nil || len(res.Folds) != 1) {
			t.Errorf("a failing fold 2 should return fold 1's result, got %+v", res)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := crossval.KFold(cancelled, 2, x, y, meanPredictor(t), fitOnce(6)...); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
