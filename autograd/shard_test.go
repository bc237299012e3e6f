package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
)

// shardModel is a two-layer MLP (k → h relu → c, softmax, cross-entropy or
// MSE) large enough for NewShardedPlan to split.
type shardModel struct {
	w1, b1, w2, b2 *Param
	mse            bool
}

const shardK, shardH, shardC, shardBatch = 256, 64, 10, 70

func newShardModel(seed uint64, mse bool) *shardModel {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &shardModel{mse: mse}
	m.w1 = NewParam("w1", true, shardK, shardH)
	m.b1 = NewParam("b1", true, shardH)
	m.w2 = NewParam("w2", true, shardH, shardC)
	m.b2 = NewParam("b2", true, shardC)
	for _, w := range m.params() {
		for i := range w.Value.Data() {
			w.Value.Data()[i] = float32(rng.NormFloat64() * 0.1)
		}
	}
	return m
}

func (m *shardModel) params() []*Param { return []*Param{m.w1, m.b1, m.w2, m.b2} }

func (m *shardModel) build(p *Plan, x, y *Var) (*Var, LossOp) {
	h := p.ReLU(p.BiasAdd(p.MatMul(x, m.w1), m.b1))
	out := p.Softmax(p.BiasAdd(p.MatMul(h, m.w2), m.b2))
	if m.mse {
		return out, p.MeanSquaredError(out, y)
	}
	return out, p.CategoricalCrossentropy(out, y, false, 0)
}

func shardData(seed uint64) (x, y []float32) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x = make([]float32, shardBatch*shardK)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	y = make([]float32, shardBatch*shardC)
	for i := 0; i < shardBatch; i++ {
		y[i*shardC+rng.IntN(shardC)] = 1
	}
	return x, y
}

// step runs forward and backward and returns the loss and a copy of every
// parameter gradient.
func step(p *Plan, loss LossOp, params []*Param) (float64, [][]float32) {
	p.Forward(true)
	p.Backward()
	var g [][]float32
	for _, w := range params {
		g = append(g, append([]float32(nil), w.Grad.Data()...))
	}
	return loss.Loss(), g
}

// TestShardedPlanMatchesWholeBatch checks that splitting a batch of 70 rows
// in two (35 + 35) and in three (23 + 23 + 24) gives the whole batch's loss,
// output and gradients up to float32 rounding, for cross-entropy and MSE.
func TestShardedPlanMatchesWholeBatch(t *testing.T) {
	for _, mse := range []bool{false, true} {
		m := newShardModel(1, mse)
		xd, yd := shardData(2)

		p := NewPlan(shardBatch)
		x, y := p.Input(shardK), p.Input(shardC)
		copy(x.Value.Data(), xd)
		copy(y.Value.Data(), yd)
		out, loss := m.build(p, x, y)
		wantLoss, wantGrads := step(p, loss, m.params())
		wantOut := append([]float32(nil), out.Value.Data()...)

		for _, shards := range []int{2, 3} {
			sp, ok := NewShardedPlan(shardBatch, shards, []int{shardK}, []int{shardC}, m.build)
			if !ok {
				t.Fatalf("mse=%v: %d shards refused", mse, shards)
			}
			copy(sp.X.Value.Data(), xd)
			copy(sp.Y.Value.Data(), yd)
			for _, w := range m.params() { // stale values must be overwritten
				w.Grad.Data()[0] = 1e6
			}
			gotLoss, gotGrads := step(sp.Plan, sp.Loss, m.params())
			if math.Abs(gotLoss-wantLoss) > 1e-6*math.Abs(wantLoss) {
				t.Errorf("mse=%v, %d shards: loss %v, whole batch %v", mse, shards, gotLoss, wantLoss)
			}
			for i, v := range sp.Out.Value.Data() {
				if math.Abs(float64(v-wantOut[i])) > 1e-6 {
					t.Fatalf("mse=%v, %d shards: out[%d] = %v, whole batch %v", mse, shards, i, v, wantOut[i])
				}
			}
			for pi, g := range gotGrads {
				scale := float64(kernel.MaxAbs(wantGrads[pi]))
				for i, v := range g {
					if d := math.Abs(float64(v - wantGrads[pi][i])); d > 1e-5*scale {
						t.Fatalf("mse=%v, %d shards: grad of %s[%d] = %v, whole batch %v", mse, shards, m.params()[pi].Name, i, v, wantGrads[pi][i])
					}
				}
			}
		}
	}
}

// TestShardedPlanSameBitsOnAnyWorkerCount trains a few SGD steps with one
// worker and with two: the weights must agree bit for bit.
func TestShardedPlanSameBitsOnAnyWorkerCount(t *testing.T) {
	defer kernel.SetWorkers(0)
	var results [][]float32
	for _, workers := range []int{1, 2} {
		kernel.SetWorkers(workers)
		m := newShardModel(3, false)
		sp, ok := NewShardedPlan(shardBatch, 2, []int{shardK}, []int{shardC}, m.build)
		if !ok {
			t.Fatal("sharding refused")
		}
		for s := 0; s < 5; s++ {
			xd, yd := shardData(uint64(10 + s))
			copy(sp.X.Value.Data(), xd)
			copy(sp.Y.Value.Data(), yd)
			sp.Plan.Forward(true)
			sp.Plan.Backward()
			for _, w := range m.params() {
				kernel.Axpy(w.Value.Data(), -0.1, w.Grad.Data())
			}
		}
		var all []float32
		for _, w := range m.params() {
			all = append(all, w.Value.Data()...)
		}
		results = append(results, all)
	}
	for i := range results[0] {
		if math.Float32bits(results[0][i]) != math.Float32bits(results[1][i]) {
			t.Fatalf("weight %d: %v with 1 worker, %v with 2", i, results[0][i], results[1][i])
		}
	}
}

// TestShardedPlanRefuses lists what must fall back to an ordinary plan.
func TestShardedPlanRefuses(t *testing.T) {
	m := newShardModel(1, false)
	if _, ok := NewShardedPlan(shardBatch, 1, []int{shardK}, []int{shardC}, m.build); ok {
		t.Error("one shard accepted")
	}
	if _, ok := NewShardedPlan(1, 2, []int{shardK}, []int{shardC}, m.build); ok {
		t.Error("a batch of 1 split in 2")
	}
	small := func(p *Plan, x, y *Var) (*Var, LossOp) { // 70·4·10 multiply-adds
		w := NewParam("w", true, 4, shardC)
		out := p.MatMul(x, w)
		return out, p.MeanSquaredError(out, y)
	}
	if _, ok := NewShardedPlan(shardBatch, 2, []int{4}, []int{shardC}, small); ok {
		t.Error("a tiny model was split")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	dropout := func(p *Plan, x, y *Var) (*Var, LossOp) {
		out, _ := m.build(p, x, y)
		out = p.Dropout(out, 0.5, rng)
		return out, p.MeanSquaredError(out, y)
	}
	if _, ok := NewShardedPlan(shardBatch, 2, []int{shardK}, []int{shardC}, dropout); ok {
		t.Error("a model with dropout (shared random stream) was split")
	}
}

func BenchmarkShardedStep(b *testing.B) {
	m := newShardModel(1, true)
	for _, shards := range []int{1, 2} {
		var p *Plan
		if shards == 1 {
			p = NewPlan(shardBatch)
			x, y := p.Input(shardK), p.Input(shardC)
			m.build(p, x, y)
		} else {
			sp, _ := NewShardedPlan(shardBatch, shards, []int{shardK}, []int{shardC}, m.build)
			p = sp.Plan
		}
		b.Run(map[int]string{1: "whole", 2: "2shards"}[shards], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Forward(true)
				p.Backward()
			}
		})
	}
}

// TestMatMulSparseInput runs MatMul on an input that is 90 % zeros and tall
// enough for the sparse product (when the CPU has it), forward and backward,
// against float64 products.
func TestMatMulSparseInput(t *testing.T) {
	const m, k, n = 40, 100, 50
	rng := rand.New(rand.NewPCG(8, 9))
	p := NewPlan(m)
	x := p.Input(k)
	for i := range x.Value.Data() {
		if rng.IntN(10) == 0 {
			x.Value.Data()[i] = float32(rng.Float64())
		}
	}
	w := param(p, rng, "w", k, n)
	y := p.MatMul(x, w)
	loss := p.probe(y, rng)
	p.Forward(true)
	p.Backward()
	xv, wv := x.Value.Data(), w.Value.Data()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for q := 0; q < k; q++ {
				s += float64(xv[i*k+q]) * float64(wv[q*n+j])
			}
			if got := y.Value.Data()[i*n+j]; math.Abs(float64(got)-s) > 1e-5*(1+math.Abs(s)) {
				t.Fatalf("y[%d,%d] = %v, want %v", i, j, got, s)
			}
		}
	}
	r := loss.(*probe).r
	for q := 0; q < k; q++ {
		for j := 0; j < n; j++ {
			var s float64
			for i := 0; i < m; i++ {
				s += float64(xv[i*k+q]) * float64(r[i*n+j])
			}
			if got := w.Grad.Data()[q*n+j]; math.Abs(float64(got)-s) > 1e-5*(1+math.Abs(s)) {
				t.Fatalf("dW[%d,%d] = %v, want %v", q, j, got, s)
			}
		}
	}
}
