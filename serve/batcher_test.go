package serve

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/tensor"
)

// withPredict makes the batcher run its batches through f instead of the
// model's PredictOnBatch (New's warm-up still calls the model).
func withPredict(f func(*tensor.Tensor) (*tensor.Tensor, error)) Option {
	return func(c *config) { c.predict = f }
}

// zoo returns a network of applications, built from seed 1.
func zoo(t testing.TB, name string) *goras.Model {
	t.Helper()
	s, err := applications.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.New(1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// digits returns n inputs of m that look like MNIST's: values in [0, 1),
// about 80 % zeros (the MLP's first product takes a path of its own on
// mostly-zero inputs), different for every seed.
func digits(m *goras.Model, n int, seed uint64) *tensor.Tensor {
	x := tensor.New(append([]int{n}, m.InputShape()...)...)
	x.FillUniform(tensor.NewRNG(seed), 0, 1)
	for i, v := range x.Data() {
		if v < 0.8 {
			x.Data()[i] = 0
		}
	}
	return x
}

// recorder is a predict hook: it records the size of every batch, checks
// that no NaN or ±Inf reaches the model, and, while hold is not closed,
// stops every batch until hold is closed. entered, if not nil, gets each
// batch's size as the batch starts. With keep, it keeps every batch's
// input and output, so that an answer can be found in the batch it came
// from (row).
type recorder struct {
	m       *goras.Model
	mu      sync.Mutex
	sizes   []int
	bad     int // batches that held NaN or ±Inf
	hold    chan struct{}
	entered chan int
	keep    bool
	ins     []*tensor.Tensor
	outs    []*tensor.Tensor
}

func (r *recorder) predict(x *tensor.Tensor) (*tensor.Tensor, error) {
	r.mu.Lock()
	r.sizes = append(r.sizes, x.Dim(0))
	if slices.ContainsFunc(x.Data(), func(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }) {
		r.bad++
	}
	r.mu.Unlock()
	if r.entered != nil {
		r.entered <- x.Dim(0)
	}
	if r.hold != nil {
		<-r.hold
	}
	out, err := r.m.PredictOnBatch(x)
	if r.keep && err == nil {
		r.mu.Lock()
		r.ins, r.outs = append(r.ins, x.Clone()), append(r.outs, out.Clone())
		r.mu.Unlock()
	}
	return out, err
}

func (r *recorder) batches() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sizes)
}

// row returns the model's output for the sample in, from the first kept
// batch that held it, or nil.
func (r *recorder) row(in []float32) []float32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.ins {
		per, outPer := len(in), r.outs[i].Len()/x.Dim(0)
		for j := range x.Dim(0) {
			if slices.Equal(x.Data()[j*per:(j+1)*per], in) {
				return r.outs[i].Data()[j*outPer : (j+1)*outPer]
			}
		}
	}
	return nil
}

// waitFor returns once cond holds. It never fails on its own: a
// condition that never comes is the test's timeout.
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(50 * time.Microsecond)
	}
}

// serveMany has g goroutines each ask b for k requests of 1 to 3 samples
// (each sample different) and compares every answer with a
// PredictOnBatch call of its own on the model, within tol (see
// TestManyGoroutinesGetTheirOwnRows for why not bit for bit). It returns
// the requests and their answers, and the samples asked for.
func serveMany(t *testing.T, m *goras.Model, b *Batcher, g, k int, tol float64) (asked, answers []*tensor.Tensor, samples int) {
	t.Helper()
	asked, answers = make([]*tensor.Tensor, g*k), make([]*tensor.Tensor, g*k)
	var wg sync.WaitGroup
	errs := make(chan error, g*k)
	for gi := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range k {
				x := digits(m, 1+(gi+i)%3, uint64(1000*gi+i))
				want, err := m.PredictOnBatch(x)
				if err != nil {
					errs <- err
					return
				}
				got, err := b.Predict(context.Background(), x)
				if err != nil {
					errs <- err
					return
				}
				asked[gi*k+i], answers[gi*k+i] = x, got
				if err := near(got, want, tol); err != nil {
					errs <- fmt.Errorf("goroutine %d, request %d: %w", gi, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, x := range asked {
		if x != nil {
			samples += x.Dim(0)
		}
	}
	return asked, answers, samples
}

// near compares an answer with the direct call's, bit for bit when tol is 0.
func near(got, want *tensor.Tensor, tol float64) error {
	if !slices.Equal(got.Shape(), want.Shape()) {
		return fmt.Errorf("shape %v, PredictOnBatch gives %v", got.Shape(), want.Shape())
	}
	for i, v := range got.Data() {
		w := want.Data()[i]
		if math.Float32bits(v) != math.Float32bits(w) && !(math.Abs(float64(v-w)) <= tol) {
			return fmt.Errorf("value %d is %v, PredictOnBatch gives %v (%g apart, more than %g)", i, v, w, math.Abs(float64(v-w)), tol)
		}
	}
	return nil
}

// 32 goroutines asking one Batcher each get their own rows of the batch
// they ran in, bit for bit, and every sample asked for runs once, in
// batches of the batcher's sizes, at most MaxBatch.
//
// Against a PredictOnBatch call of the request's own the answers agree
// within 1e-6 (the outputs are softmax probabilities, at most 1), not bit
// for bit: a sample's output depends on the size of the batch it runs in,
// in the last bits. Measured on this Intel Xeon (AVX-512, AMX): the MLP
// alone in a batch of 1 differs from the same sample in any larger batch
// in 21 of 6,400 samples, by 2.4e-7 relative at most, while batches of 2
// to 64 agree bit for bit; LeNet-5's first convolution cuts batches of
// fewer than 4 samples into quarters of a sample (kernel.NewConv2D, for
// the latency of small batches), which sums in another order, so that
// batches of 1 to 3 differ from batches of 4 or more in nearly every
// sample, by 1.7e-7 relative at most. A batcher cannot give both.
func TestManyGoroutinesGetTheirOwnRows(t *testing.T) {
	for _, c := range []struct {
		name string
		g, k int
	}{{"mlp", 32, 25}, {"lenet5", 8, 6}} {
		t.Run(c.name, func(t *testing.T) {
			m := zoo(t, c.name)
			rec := &recorder{m: m, keep: true}
			b, err := New(m, WithMaxBatch(16), WithWorkers(2), withPredict(rec.predict))
			if err != nil {
				t.Fatal(err)
			}
			k := c.k
			if testing.Short() {
				k = max(2, k/3)
			}
			asked, answers, samples := serveMany(t, m, b, c.g, k, 1e-6)
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			for i, x := range asked {
				if x == nil {
					continue
				}
				per, outPer := x.Len()/x.Dim(0), answers[i].Len()/x.Dim(0)
				for j := range x.Dim(0) {
					got := answers[i].Data()[j*outPer : (j+1)*outPer]
					if row := rec.row(x.Data()[j*per : (j+1)*per]); !slices.Equal(got, row) {
						t.Fatalf("request %d, sample %d: answer %v, its batch gave %v", i, j, got, row)
					}
				}
			}
			sizes := rec.batches()
			ran := 0
			for _, s := range sizes {
				if s > 16 || !slices.Contains(b.sizes, s) {
					t.Errorf("a batch of %d samples; the batcher runs %v", s, b.sizes)
				}
				ran += s
			}
			st := b.Stats()
			if ran != samples || st.Samples != int64(samples) || st.Requests != int64(c.g*k) || st.Batches != int64(len(sizes)) {
				t.Errorf("asked %d samples in %d requests; the model ran %d in %d batches; Stats %+v", samples, c.g*k, ran, len(sizes), st)
			}
		})
	}
}

// Requests queued while the only worker runs a batch go in the next
// batches together: 40 one-sample requests behind a held batch run as
// two batches, one of MaxBatch (32) and one of the 8 left, not 40 calls.
func TestBatchesForm(t *testing.T) {
	m := zoo(t, "mlp")
	rec := &recorder{m: m, hold: make(chan struct{}), entered: make(chan int, 100)}
	b, err := New(m, WithMaxBatch(32), WithWorkers(1), withPredict(rec.predict))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	ask := func(seed uint64) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := digits(m, 1, seed)
			want, _ := m.PredictOnBatch(x)
			got, err := b.Predict(context.Background(), x)
			if err != nil {
				t.Error(err)
				return
			}
			if err := near(got, want, 1e-6); err != nil {
				t.Error(err)
			}
		}()
	}
	ask(0)
	<-rec.entered // the worker holds the first batch
	for i := range 40 {
		ask(uint64(i + 1))
	}
	waitFor(func() bool { return b.Stats().Requests == 41 })
	close(rec.hold)
	wg.Wait()
	if got := rec.batches(); !slices.Equal(got, []int{1, 32, 8}) {
		t.Errorf("41 requests ran in batches %v, want [1 32 8]", got)
	}
}

// A request of more samples than MaxBatch is cut across batches of the
// batcher's sizes: 150 samples as 64, 64, 16, 4 and 2. Its answer is
// whole and in order.
func TestLargeRequestIsCut(t *testing.T) {
	m := zoo(t, "mlp")
	rec := &recorder{m: m}
	b, err := New(m, WithWorkers(1), withPredict(rec.predict))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	x := digits(m, 150, 7)
	want, err := m.PredictOnBatch(x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if err := near(got, want, 0); err != nil { // batches of 2 or more: the same bits
		t.Error(err)
	}
	if s := rec.batches(); !slices.Equal(s, []int{64, 64, 16, 4, 2}) {
		t.Errorf("150 samples ran in batches %v, want [64 64 16 4 2]", s)
	}
}

// A full batch runs at once, however long MaxWait is; a batch short of
// full waits for it (here an hour) unless Close comes, which runs it.
func TestMaxWait(t *testing.T) {
	m := zoo(t, "mlp")
	rec := &recorder{m: m}
	b, err := New(m, WithMaxBatch(4), WithMaxWait(time.Hour), WithWorkers(1), withPredict(rec.predict))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Predict(context.Background(), digits(m, 4, 1)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := b.Predict(context.Background(), digits(m, 1, 2))
		done <- err
	}()
	waitFor(func() bool { return b.Stats().Requests == 2 })
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("the request queued before Close: %v", err)
	}
	if s := rec.batches(); !slices.Equal(s, []int{4, 1}) {
		t.Errorf("batches %v, want [4 1]", s)
	}
}

func TestBatchSizes(t *testing.T) {
	for _, c := range []struct {
		max  int
		want []int
	}{
		{1, []int{1}},
		{2, []int{1, 2}},
		{64, []int{1, 2, 4, 8, 16, 32, 64}},
		{100, []int{1, 2, 4, 8, 16, 32, 64, 100}},
	} {
		if got := batchSizes(c.max); !slices.Equal(got, c.want) {
			t.Errorf("batchSizes(%d) = %v, want %v", c.max, got, c.want)
		}
	}
}
