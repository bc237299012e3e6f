package goras

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
)

// convGraph is a small convolutional graph whose values are read more
// than once: a conv block whose output a feeds a second conv, a skip Add
// and a Concatenate (three readers), padding, pooling, dropout, and two
// outputs, one of them a softmax over logits that a cross-entropy reads.
func convGraph(t testing.TB) *Model {
	t.Helper()
	in := Input(8, 8, 2)
	a := Call(layers.Activation("relu"), Call(layers.BatchNormalization(), Call(layers.Conv2D(4, 3, layers.WithPadding("same")), in)))
	b := Call(layers.Conv2D(4, 3, layers.WithPadding("same"), layers.WithActivation("relu")), a)
	c := Call(layers.Add(), a, b)
	d := Call(layers.Concatenate(), c, a)
	e := Call(layers.MaxPooling2D(), Call(layers.ZeroPadding2D(1, 1, 1, 1), d))
	f := Call(layers.Dropout(0.3), Call(layers.Flatten(), e))
	out1 := Call(layers.Dense(5, layers.WithActivation("softmax")), f)
	out2 := Call(layers.Dense(1), Call(layers.GlobalAveragePooling2D(), a))
	m, err := NewModel([]*KerasTensor{in}, []*KerasTensor{out1, out2})
	if err != nil {
		t.Fatal(err)
	}
	m.SetSeed(5)
	err = m.Compile(CompileOptions{Optimizer: sgdOpt(t), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestInferencePlansMatchTrainingPlans: an inference plan, whose values
// share buffers, computes the bits a training plan (a buffer per value)
// computes in inference mode: the outputs of graphs with skip connections,
// shared layers and values read three times, and the losses of an
// evaluation plan (the cross-entropy reads the softmax's logits), twice in
// a row; and it holds far fewer bytes.
func TestInferencePlansMatchTrainingPlans(t *testing.T) {
	// Bit for bit needs the layers run one by one: folding Conv2D →
	// BatchNormalization → ReLU rounds differently (predict_fold_test.go
	// holds it within 1e-5 of them).
	foldOff = true
	defer func() { foldOff = false }()
	for _, tc := range []struct {
		name  string
		m     *Model
		input []int
	}{{"conv graph", convGraph(t), []int{8, 8, 2}}, {"residual", compiledResidual(t), []int{4}}} {
		const n = 6
		x := randomTensor(11, append([]int{n}, tc.input...)...)
		ys := Arrays{oneHotRows(n, 5, 12), randomTensor(13, n, 1)}
		if tc.name == "residual" {
			ys[0] = oneHotRows(n, 3, 12)
		}
		var d dataSet
		if err := tc.m.checkData("test", Arrays{x}, ys, &d); err != nil {
			t.Fatal(err)
		}
		train, err := tc.m.newPlan(n, true, d.targets, false)
		if err != nil {
			t.Fatal(err)
		}
		infer, err := tc.m.newPlan(n, false, d.targets, false)
		if err != nil {
			t.Fatal(err)
		}
		for pass := 0; pass < 2; pass++ {
			for _, bp := range []*batchPlan{train, infer} {
				bp.gather(&d, bp.rowsFrom(0))
				bp.plan.Forward(false)
			}
			for i := range train.outs {
				a, b := train.outs[i].Value.Data(), infer.outs[i].Value.Data()
				for j := range a {
					if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
						t.Fatalf("%s pass %d: output %d element %d: %v from the inference plan, %v from the training plan", tc.name, pass, i, j, b[j], a[j])
					}
				}
			}
			w := []float64{1, 1}
			if lt, li := train.loss(w), infer.loss(w); math.Float64bits(lt) != math.Float64bits(li) {
				t.Fatalf("%s pass %d: loss %v from the evaluation plan, %v from the training plan", tc.name, pass, li, lt)
			}
		}
		// The training plan holds the input, then every op output and its
		// gradient: half of the rest is what an inference plan without
		// sharing would hold.
		input := int64(4 * x.Len())
		outputs := (train.plan.Bytes() - input) / 2
		t.Logf("%s: %d bytes of op outputs in the inference plan, %d without sharing", tc.name, infer.plan.Bytes()-input, outputs)
		if 5*(infer.plan.Bytes()-input) > 4*outputs {
			t.Errorf("%s: the inference plan holds %d bytes of op outputs, more than 80 %% of all of them (%d)", tc.name, infer.plan.Bytes()-input, outputs)
		}
	}
}

// compiledResidual is residualModel compiled with a loss per output.
func compiledResidual(t testing.TB) *Model {
	m := residualModel(t)
	err := m.Compile(CompileOptions{Optimizer: sgdOpt(t), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cached lists the batch sizes of the model's cached inference plans.
func cached(m *Model) (eval, predict []int) {
	c := &m.plans
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.plans {
		if !k.train {
			eval = append(eval, k.batch)
		}
	}
	for b, free := range c.predict {
		for range free {
			predict = append(predict, b)
		}
	}
	return eval, predict
}

// TestPredictStreamsBatches: Predict on 1000 samples builds plans of the
// batch size (32 by default) and of the last partial batch, never one of
// the whole array, and gives the rows the same values as one batch does.
func TestPredictStreamsBatches(t *testing.T) {
	m := convGraph(t)
	x := randomTensor(21, 1000, 8, 8, 2)
	outs, err := m.PredictOutputs(x, Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	_, predict := cached(m)
	if len(predict) != 2 || predict[0]+predict[1] != 32+1000%32 {
		t.Errorf("Predict of 1000 samples left prediction plans of batch sizes %v, want 32 and %d", predict, 1000%32)
	}
	one, err := m.PredictOutputs(x.Slice(992, 1000), BatchSize(8), Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range one[0].Data() {
		if got := outs[0].Data()[992*5+i]; math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("row %d: %v streamed, %v alone", 992+i/5, got, want)
		}
	}
}

// TestPlanCacheBounds: with a bound of bytes, the least recently used
// inference plans go first, the last one used always stays; a bound of
// plans likewise; negative bounds keep everything.
func TestPlanCacheBounds(t *testing.T) {
	m := convGraph(t)
	predict := func(n int) {
		t.Helper()
		if _, err := m.PredictOutputs(randomTensor(uint64(n), n, 8, 8, 2), BatchSize(n), Verbose(0)); err != nil {
			t.Fatal(err)
		}
	}
	predict(50)
	m.plans.mu.Lock()
	per := m.plans.held / 50 // bytes per sample of this graph's plans (and a little)
	m.plans.mu.Unlock()
	m.SetPlanCache(PlanCache{MaxBytes: 100 * per})
	if _, p := cached(m); len(p) != 1 {
		t.Fatalf("after one Predict at batch 50 the cache holds %v, want [50]", p)
	}
	predict(40) // 50 + 40 fit in 100 samples' worth
	predict(30) // 50 goes: it is the least recently used
	if _, p := cached(m); len(p) != 2 || p[0]+p[1] != 70 {
		t.Errorf("after batches 50, 40, 30 under a bound of 100 samples the cache holds %v, want 40 and 30", p)
	}
	predict(500) // larger than the bound alone: kept, the others go
	// A batch split over the workers runs in one plan per share
	// (predict_split.go): all of them stay.
	shares := predictShares(500)
	if _, p := cached(m); len(p) != shares || slices.Max(p)-slices.Min(p) > 1 || shares*slices.Min(p) > 500 || shares*slices.Max(p) < 500 {
		t.Errorf("a plan larger than the bound left %v, want %d shares of 500", p, shares)
	}
	m.SetPlanCache(PlanCache{MaxBytes: -1, MaxPlans: 2})
	for _, n := range []int{3, 4, 5} {
		predict(n)
	}
	if _, p := cached(m); len(p) != 2 || p[0]+p[1] != 9 {
		t.Errorf("with at most 2 plans the cache holds %v, want 4 and 5", p)
	}
	m.SetPlanCache(PlanCache{MaxBytes: -1, MaxPlans: -1})
	for _, n := range []int{6, 7, 8} {
		predict(n)
	}
	if _, p := cached(m); len(p) != 5 {
		t.Errorf("without bounds the cache holds %v, want 5 plans", p)
	}
	// Evaluation plans count too.
	m.SetPlanCache(PlanCache{MaxPlans: 1})
	if _, err := m.Evaluate(Arrays{randomTensor(1, 9, 8, 8, 2)}, Arrays{oneHotRows(9, 5, 2), randomTensor(3, 9, 1)}, BatchSize(9), Verbose(0)); err != nil {
		t.Fatal(err)
	}
	if e, p := cached(m); len(e) != 1 || len(p) != 0 {
		t.Errorf("after Evaluate with at most one plan the cache holds evaluation plans %v and prediction plans %v, want [9] and none", e, p)
	}
}

// TestPlanCacheIdle: plans unused for the idle time, training plans too,
// are dropped; a plan in use keeps working after its cache entry goes.
func TestPlanCacheIdle(t *testing.T) {
	m := convGraph(t)
	m.SetPlanCache(PlanCache{Idle: 20 * time.Millisecond})
	x, y := Arrays{randomTensor(1, 4, 8, 8, 2)}, Arrays{oneHotRows(4, 5, 2), randomTensor(3, 4, 1)}
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Fatal(err)
	}
	if _, err := m.PredictOutputs(x[0], Verbose(0)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m.plans.mu.Lock()
		n := len(m.plans.plans)
		for _, free := range m.plans.predict {
			n += len(free)
		}
		held := m.plans.held
		m.plans.mu.Unlock()
		if n == 0 && held == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d plans (%d bytes of inference plans) still cached 5 s after their last use with Idle 20 ms", n, held)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A new call builds again.
	if _, err := m.PredictOutputs(x[0], Verbose(0)); err != nil {
		t.Fatal(err)
	}
	if _, p := cached(m); len(p) != 1 {
		t.Errorf("after the sweep a Predict left %v", p)
	}
}

// TestPlanCacheResetDropsTakenPlans: a prediction plan taken before the
// model changed is not given back to the new cache.
func TestPlanCacheResetDropsTakenPlans(t *testing.T) {
	m := convGraph(t)
	bp, err := m.takePredictPlan(3)
	if err != nil {
		t.Fatal(err)
	}
	m.plans.reset()
	m.givePredictPlan(bp)
	if _, p := cached(m); len(p) != 0 {
		t.Errorf("a plan from before the reset came back: %v", p)
	}
}

// An epoch whose last batch is smaller builds a second training plan,
// which lives in the first one's buffers (issue 19): it holds far fewer
// bytes of its own, and training is bit for bit what it is with two
// separate plans.
func TestTrainingPlansShareBuffers(t *testing.T) {
	fit := func(share bool) (*History, *Model) {
		shareTrainingPlans = share
		defer func() { shareTrainingPlans = true }()
		m := convGraph(t)
		x := randomTensor(1, 10, 8, 8, 2)
		y := Arrays{oneHotRows(10, 5, 2), randomTensor(3, 10, 1)}
		h, err := m.Fit(context.Background(), x, y, BatchSize(4), Epochs(3), Verbose(0), ValidationSplit(0.3))
		if err != nil {
			t.Fatal(err)
		}
		return h, m
	}
	shared, m := fit(true)
	separate, _ := fit(false)
	for _, k := range []string{"loss", "val_loss"} {
		a, b := shared.History[k], separate.History[k]
		for i := range b {
			if a[i] != b[i] {
				t.Errorf("%s with shared buffers %v, with separate plans %v", k, a, b)
				break
			}
		}
	}
	full, part := m.plans.plans[planKey{batch: 4, train: true, targets: "5;1;"}], m.plans.plans[planKey{batch: 3, train: true, targets: "5;1;"}]
	if full == nil || part == nil || full == part {
		t.Fatalf("training plans kept: %v; want batch 4 and the last batch's, 3", m.plans.plans)
	}
	if part.plan.Bytes()*4 > full.plan.Bytes() {
		t.Errorf("the last batch's plan holds %d bytes of its own beside the full batch's %d; want it to live in the other's buffers", part.plan.Bytes(), full.plan.Bytes())
	}
}
