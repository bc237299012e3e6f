package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// moreCase is a gradient-check case that may run in inference mode and may
// need a hook before every Forward (to replay the same dropout mask).
type moreCase struct {
	name     string
	training bool
	build    func(p *Plan, rng *rand.Rand) (loss LossOp, inputs []*Var, before func())
}

// replay returns a generator for dropout and a hook that rewinds it, so that
// every Forward of a gradient check draws the same mask.
func replay(seed uint64) (*rand.Rand, func()) {
	src := rand.NewPCG(seed, seed)
	return rand.New(src), func() { src.Seed(seed, seed) }
}

func movingStats(rng *rand.Rand, n int) (mean, variance *Param) {
	mean, variance = NewParam("moving_mean", false, n), NewParam("moving_variance", false, n)
	for c := 0; c < n; c++ {
		mean.Value.Data()[c] = float32(rng.NormFloat64())
		variance.Value.Data()[c] = float32(0.5 + rng.Float64())
	}
	return mean, variance
}

func noHook() {}

var moreCases = []moreCase{
	{"LeakyReLU", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, true, 4, 5)
		return p.probe(p.LeakyReLU(x, 0.2), rng), []*Var{x}, noHook
	}},
	{"ELU", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, true, 4, 5)
		return p.probe(p.ELU(x, 0.7), rng), []*Var{x}, noHook
	}},
	{"SELU", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, true, 4, 5)
		return p.probe(p.SELU(x), rng), []*Var{x}, noHook
	}},
	{"GELU", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 4, 5)
		return p.probe(p.GELU(x), rng), []*Var{x}, noHook
	}},
	{"SiLU", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 4, 5)
		return p.probe(p.SiLU(x), rng), []*Var{x}, noHook
	}},
	{"Softplus", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 4, 5)
		return p.probe(p.Softplus(x), rng), []*Var{x}, noHook
	}},
	{"LogSoftmax", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 3, 6)
		return p.probe(p.LogSoftmax(x), rng), []*Var{x}, noHook
	}},
	{"Rescale", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 2, 3, 2)
		return p.probe(p.Rescale(x, -0.5, 2), rng), []*Var{x}, noHook
	}},
	{"Dropout/training", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x, w := leaf(p, rng, false, 6, 5), param(p, rng, "w", 5, 3)
		drng, rewind := replay(7)
		return p.probe(p.MatMul(p.Dropout(x, 0.4, drng), w), rng), append([]*Var{x}, params(w)...), rewind
	}},
	{"Dropout/inference", false, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 6, 5)
		return p.probe(p.Dropout(x, 0.4, tensor.NewRNG(1)), rng), []*Var{x}, noHook
	}},
	{"BatchNorm/training", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 8, 3)
		g, b := param(p, rng, "gamma", 3), param(p, rng, "beta", 3)
		mm, mv := movingStats(rng, 3)
		return p.probe(p.BatchNorm(x, g, b, mm, mv, 0.99, 1e-3), rng), append([]*Var{x}, params(g, b)...), noHook
	}},
	{"BatchNorm/training-rank4", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 2, 2, 3, 2) // NHWC: statistics over 12 positions per channel
		g, b := param(p, rng, "gamma", 2), param(p, rng, "beta", 2)
		mm, mv := movingStats(rng, 2)
		return p.probe(p.BatchNorm(x, g, b, mm, mv, 0.99, 1e-3), rng), append([]*Var{x}, params(g, b)...), noHook
	}},
	{"BatchNorm/training-no-center-no-scale", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 8, 3)
		mm, mv := movingStats(rng, 3)
		return p.probe(p.BatchNorm(x, nil, nil, mm, mv, 0.99, 1e-3), rng), []*Var{x}, noHook
	}},
	{"BatchNorm/inference", false, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 5, 3)
		g, b := param(p, rng, "gamma", 3), param(p, rng, "beta", 3)
		mm, mv := movingStats(rng, 3)
		return p.probe(p.BatchNorm(x, g, b, mm, mv, 0.99, 1e-3), rng), append([]*Var{x}, params(g, b)...), noHook
	}},
	{"BatchNorm/frozen-training", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 2, 2, 3, 2)
		g, b := param(p, rng, "gamma", 2), param(p, rng, "beta", 2)
		mm, mv := movingStats(rng, 2)
		y := p.BatchNormReLU(x, g, b, mm, mv, 0.99, 1e-3)
		p.FreezeBatchNorm(y) // a training Forward as an inference one
		return p.probe(y, rng), append([]*Var{x}, params(g, b)...), noHook
	}},
	{"BinaryCrossentropy/logits", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 6, 2)
		return p.BinaryCrossentropy(x, bits(rng, 6, 2), true, 0), []*Var{x}, noHook
	}},
	{"BinaryCrossentropy/logits-smoothing", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x := leaf(p, rng, false, 6, 1)
		return p.BinaryCrossentropy(x, bits(rng, 6), true, 0.2), []*Var{x}, noHook
	}},
	{"BinaryCrossentropy/probabilities", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x, s := positive(p, rng, 6, 2)
		return p.BinaryCrossentropy(s, bits(rng, 6, 2), false, 0), []*Var{x}, noHook
	}},
	{"BinaryCrossentropy/probabilities-smoothing", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		x, s := positive(p, rng, 6, 1)
		return p.BinaryCrossentropy(s, bits(rng, 6, 1), false, 0.1), []*Var{x}, noHook
	}},
	{"ConvnetHead", true, func(p *Plan, rng *rand.Rand) (LossOp, []*Var, func()) {
		// BN → GELU → dropout → dense → log-softmax, as a course model stacks them.
		x := leaf(p, rng, false, 4, 2, 3)
		g, b := param(p, rng, "gamma", 3), param(p, rng, "beta", 3)
		mm, mv := movingStats(rng, 3)
		w := param(p, rng, "w", 6, 4)
		drng, rewind := replay(3)
		h := p.Dropout(p.GELU(p.BatchNorm(x, g, b, mm, mv, 0.99, 1e-3)), 0.25, drng)
		return p.probe(p.LogSoftmax(p.MatMul(p.Flatten(h), w)), rng), append([]*Var{x}, params(g, b, w)...), rewind
	}},
}

// bits draws 0/1 targets.
func bits(rng *rand.Rand, shape ...int) *Var {
	t := tensor.New(shape...)
	for i := range t.Data() {
		t.Data()[i] = float32(rng.IntN(2))
	}
	return &Var{Value: t}
}

// TestMoreGradients checks the backward passes of the ops in this batch
// against central finite differences, as TestGradients does, in the mode
// (training or inference) each case names.
func TestMoreGradients(t *testing.T) {
	for _, c := range moreCases {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(1)
			p := NewPlan(1)
			loss, inputs, before := c.build(p, rng)
			eval := func() float64 {
				before()
				p.Forward(c.training)
				return loss.Loss()
			}
			checkGradients(t, eval, p.Backward, inputs, 2e-3, 2e-2)
		})
	}
}

// run builds a one-op plan over the given values, runs it forward and
// returns the output.
func run(data []float32, training bool, op func(p *Plan, x *Var) *Var) []float32 {
	p := NewPlan(1)
	x := constant([]int{1, len(data)}, append([]float32(nil), data...))
	y := op(p, x)
	p.Forward(training)
	return y.Value.Data()
}

// TestActivationValues checks the activations against float64 values
// computed from their definitions (and, for GELU, from Φ's tabulated values).
func TestActivationValues(t *testing.T) {
	in := []float32{-100, -2, -1, 0, 1, 3, 100}
	e := math.Exp
	sig := func(v float64) float64 { return 1 / (1 + e(-v)) }
	cases := []struct {
		name string
		op   func(p *Plan, x *Var) *Var
		want []float64
	}{
		{"leaky_relu", func(p *Plan, x *Var) *Var { return p.LeakyReLU(x, 0.2) }, []float64{-20, -0.4, -0.2, 0, 1, 3, 100}},
		{"elu", func(p *Plan, x *Var) *Var { return p.ELU(x, 1) }, []float64{-1, e(-2) - 1, e(-1) - 1, 0, 1, 3, 100}},
		{"selu", (*Plan).SELU, []float64{
			-1.0507009873554805 * 1.6732632423543772, -1.0507009873554805 * 1.6732632423543772 * (1 - e(-2)),
			-1.0507009873554805 * 1.6732632423543772 * (1 - e(-1)), 0, 1.0507009873554805, 3 * 1.0507009873554805, 105.07009873554805}},
		// x·Φ(x) with Φ(1) = 0.8413447460685429, Φ(2) = 0.9772498680518208, Φ(3) = 0.9986501019683699.
		{"gelu", (*Plan).GELU, []float64{0, -2 * (1 - 0.9772498680518208), -(1 - 0.8413447460685429), 0, 0.8413447460685429, 3 * 0.9986501019683699, 100}},
		{"silu", (*Plan).SiLU, []float64{-100 * sig(-100), -2 * sig(-2), -sig(-1), 0, sig(1), 3 * sig(3), 100}},
		{"softplus", (*Plan).Softplus, []float64{e(-100), math.Log(1 + e(-2)), math.Log(1 + e(-1)), math.Ln2, math.Log(1 + e(1)), math.Log(1 + e(3)), 100}},
	}
	for _, c := range cases {
		got := run(in, true, c.op)
		for i, w := range c.want {
			if d := math.Abs(float64(got[i]) - w); d > 1e-6*max(1, math.Abs(w)) {
				t.Errorf("%s(%v) = %v, want %v", c.name, in[i], got[i], w)
			}
		}
	}
	// log_softmax stays finite where softmax underflows to 0.
	got := run([]float32{1000, 0, 1}, true, (*Plan).LogSoftmax)
	lse := 1000 + math.Log(1+e(-1000)+e(-999))
	for i, w := range []float64{1000 - lse, -lse, 1 - lse} {
		if math.Abs(float64(got[i])-w) > 1e-3 {
			t.Errorf("log_softmax[%d] = %v, want %v", i, got[i], w)
		}
	}
	got = run([]float32{1, 2, 3}, true, (*Plan).LogSoftmax)
	lse = math.Log(e(1) + e(2) + e(3))
	for i, w := range []float64{1 - lse, 2 - lse, 3 - lse} {
		if math.Abs(float64(got[i])-w) > 1e-6 {
			t.Errorf("log_softmax[%d] of (1,2,3) = %v, want %v", i, got[i], w)
		}
	}
	got = run([]float32{0, 127.5, 255}, true, func(p *Plan, x *Var) *Var { return p.Rescale(x, 1.0/127.5, -1) })
	for i, w := range []float32{-1, 0, 1} {
		if got[i] != w {
			t.Errorf("rescale[%d] = %v, want %v", i, got[i], w)
		}
	}
}

// TestBinaryCrossentropyValues checks the loss against values by hand.
func TestBinaryCrossentropyValues(t *testing.T) {
	l1p := math.Log1p
	e := math.Exp
	cases := []struct {
		name       string
		pred, y    []float32
		fromLogits bool
		smoothing  float64
		want       float64
	}{
		{"probabilities", []float32{0.9, 0.2}, []float32{1, 0}, false, 0, -(math.Log(0.9) + math.Log(0.8)) / 2},
		{"soft targets", []float32{0.7}, []float32{0.25}, false, 0, -(0.25*math.Log(0.7) + 0.75*math.Log(0.3))},
		{"clipped at 1-1e-7", []float32{1, 0}, []float32{0, 1}, false, 0, -math.Log(Epsilon)},
		{"smoothing 0.2", []float32{0.9, 0.2}, []float32{1, 0}, false, 0.2,
			-(0.9*math.Log(0.9) + 0.1*math.Log(0.1) + 0.1*math.Log(0.2) + 0.9*math.Log(0.8)) / 2},
		{"logits", []float32{2, -1}, []float32{1, 0}, true, 0, (l1p(e(-2)) + l1p(e(-1))) / 2},
		{"large logits", []float32{100, -100, 100}, []float32{0, 0, 1}, true, 0, (100 + l1p(e(-100)) + l1p(e(-100))) / 3},
		{"logits smoothing 0.1", []float32{0.5}, []float32{1}, true, 0.1, -(0.95*math.Log(1/(1+e(-0.5))) + 0.05*math.Log(1-1/(1+e(-0.5))))},
	}
	for _, c := range cases {
		p := NewPlan(1)
		loss := p.BinaryCrossentropy(constant([]int{len(c.pred), 1}, c.pred), constant([]int{len(c.y)}, c.y), c.fromLogits, c.smoothing)
		p.Forward(false)
		if math.Abs(loss.Loss()-c.want) > 1e-6*max(1, c.want) {
			t.Errorf("%s: loss %.8f, want %.8f", c.name, loss.Loss(), c.want)
		}
	}
}

func TestDropoutMasks(t *testing.T) {
	const n, rate = 100000, 0.3
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	p := NewPlan(1)
	x := &Var{Value: tensor.New(1, n), Grad: tensor.New(1, n)}
	copy(x.Value.Data(), ones)
	p.grads = append(p.grads, x.Grad)
	y := p.Dropout(x, rate, tensor.NewRNG(42))
	loss := p.probe(y, tensor.NewRNG(2))
	p.Forward(true)

	// Kept units are scaled by 1/(1-rate), dropped ones are 0, and about
	// rate of them are dropped, so the mean stays ≈ 1.
	var sum float64
	zeros := 0
	for _, v := range y.Value.Data() {
		switch v {
		case 0:
			zeros++
		case float32(1 / (1 - rate)):
		default:
			t.Fatalf("output %v is neither 0 nor 1/(1-rate)", v)
		}
		sum += float64(v)
	}
	// Binomial: the standard deviation of the fraction is √(0.3·0.7/1e5) ≈ 0.0014.
	if f := float64(zeros) / n; math.Abs(f-rate) > 0.006 {
		t.Errorf("dropped fraction %.4f, want ≈ %v", f, rate)
	}
	if mean := sum / n; math.Abs(mean-1) > 0.01 {
		t.Errorf("mean after dropout %.4f, want ≈ 1", mean)
	}

	// Backward routes the gradient through the same mask: dx = dy·mask.
	p.Backward()
	r := loss.(*probe).r
	for i, g := range x.Grad.Data() {
		if want := r[i] * y.Value.Data()[i]; g != want {
			t.Fatalf("dx[%d] = %v, want dy·mask = %v", i, g, want)
		}
	}

	// A new training step draws a new mask.
	first := append([]float32(nil), y.Value.Data()...)
	p.Forward(true)
	same := 0
	for i, v := range y.Value.Data() {
		if v == first[i] {
			same++
		}
	}
	if same == n {
		t.Error("two training steps drew the same mask")
	}

	// Inference is an exact copy, and so is its gradient.
	x.Value.Data()[0] = 0.123456789
	p.Forward(false)
	for i, v := range y.Value.Data() {
		if v != x.Value.Data()[i] {
			t.Fatalf("inference output[%d] = %v, want the input %v", i, v, x.Value.Data()[i])
		}
	}
	p.Backward()
	for i, g := range x.Grad.Data() {
		if g != r[i] {
			t.Fatalf("inference dx[%d] = %v, want dy = %v", i, g, r[i])
		}
	}

	// The same seed draws the same mask.
	mask := func(seed uint64) []float32 {
		return run(ones[:1000], true, func(p *Plan, x *Var) *Var { return p.Dropout(x, 0.5, tensor.NewRNG(seed)) })
	}
	a, b, c := mask(5), mask(5), mask(6)
	diff := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, masks differ at %d", i)
		}
		if a[i] != c[i] {
			diff++
		}
	}
	if diff == 0 {
		t.Error("seeds 5 and 6 drew the same mask")
	}

	// Rate 0 is the identity even in training.
	if got := run([]float32{1, 2, 3}, true, func(p *Plan, x *Var) *Var { return p.Dropout(x, 0, tensor.NewRNG(1)) }); got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("rate 0 gave %v", got)
	}
}

// TestBatchNormStatistics checks training and inference against a float64
// reference, and the moving update with momentum.
func TestBatchNormStatistics(t *testing.T) {
	const m, n, eps = 6, 2, 1e-3
	x := []float32{1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 9, -30}
	p := NewPlan(1)
	in := constant([]int{m, n}, x)
	g, b := NewParam("gamma", true, n), NewParam("beta", true, n)
	g.Value.Data()[0], g.Value.Data()[1] = 1, 1
	mm, mv := NewParam("moving_mean", false, n), NewParam("moving_variance", false, n)
	mm.Value.Data()[0], mm.Value.Data()[1] = 0.5, -1
	mv.Value.Data()[0], mv.Value.Data()[1] = 1, 4
	y := p.BatchNorm(in, g, b, mm, mv, 0.99, eps)

	p.Forward(true)
	for c := 0; c < n; c++ {
		var mean, v float64
		for i := 0; i < m; i++ {
			mean += float64(x[i*n+c]) / m
		}
		for i := 0; i < m; i++ {
			d := float64(x[i*n+c]) - mean
			v += d * d / m
		}
		var ym, yv float64
		for i := 0; i < m; i++ {
			want := (float64(x[i*n+c]) - mean) / math.Sqrt(v+eps)
			got := float64(y.Value.Data()[i*n+c])
			if math.Abs(got-want) > 1e-6 {
				t.Errorf("train y[%d,%d] = %v, want %v", i, c, got, want)
			}
			ym += got / m
		}
		for i := 0; i < m; i++ {
			d := float64(y.Value.Data()[i*n+c]) - ym
			yv += d * d / m
		}
		// Per-channel mean 0 and variance 1 (less the ε share: v/(v+ε)).
		if math.Abs(ym) > 1e-6 || math.Abs(yv-v/(v+eps)) > 1e-5 || math.Abs(yv-1) > 1e-3 {
			t.Errorf("channel %d: output mean %v variance %v, want 0 and %v", c, ym, yv, v/(v+eps))
		}
		oldMean, oldVar := []float64{0.5, -1}[c], []float64{1, 4}[c]
		if want := 0.99*oldMean + 0.01*mean; math.Abs(float64(mm.Value.Data()[c])-want) > 1e-6 {
			t.Errorf("moving_mean[%d] = %v, want 0.99·%v + 0.01·%v = %v", c, mm.Value.Data()[c], oldMean, mean, want)
		}
		if want := 0.99*oldVar + 0.01*v; math.Abs(float64(mv.Value.Data()[c])-want) > 1e-5*want {
			t.Errorf("moving_variance[%d] = %v, want 0.99·%v + 0.01·%v = %v", c, mv.Value.Data()[c], oldVar, v, want)
		}
	}

	// Inference uses the moving statistics, exactly, and leaves them alone.
	g.Value.Data()[1], b.Value.Data()[1] = 2, -3
	movedMean, movedVar := mm.Value.Clone(), mv.Value.Clone()
	p.Forward(false)
	for i := 0; i < m; i++ {
		for c := 0; c < n; c++ {
			gc, bc := float64(g.Value.Data()[c]), float64(b.Value.Data()[c])
			want := gc*(float64(x[i*n+c])-float64(movedMean.Data()[c]))/math.Sqrt(float64(movedVar.Data()[c])+eps) + bc
			if got := float64(y.Value.Data()[i*n+c]); math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
				t.Errorf("inference y[%d,%d] = %v, want %v", i, c, got, want)
			}
		}
	}
	for c := 0; c < n; c++ {
		if mm.Value.Data()[c] != movedMean.Data()[c] || mv.Value.Data()[c] != movedVar.Data()[c] {
			t.Errorf("inference moved the statistics of channel %d", c)
		}
	}
}

// benchStep times one training forward and backward of op on a LeNet-sized
// activation (32, 12, 12, 16).
func benchStep(b *testing.B, op func(p *Plan, x *Var) *Var) {
	rng := tensor.NewRNG(1)
	p := NewPlan(32)
	x := leaf(p, rng, false, 32, 12, 12, 16)
	p.probe(op(p, x), rng)
	b.SetBytes(int64(4 * x.Value.Len()))
	b.ReportAllocs()
	for b.Loop() {
		p.Forward(true)
		p.Backward()
	}
}

func BenchmarkBatchNormStep(b *testing.B) {
	g, beta := NewParam("gamma", true, 16), NewParam("beta", true, 16)
	mm, mv := NewParam("mm", false, 16), NewParam("mv", false, 16)
	benchStep(b, func(p *Plan, x *Var) *Var { return p.BatchNorm(x, g, beta, mm, mv, 0.99, 1e-3) })
}

func BenchmarkDropoutStep(b *testing.B) {
	rng := tensor.NewRNG(2)
	benchStep(b, func(p *Plan, x *Var) *Var { return p.Dropout(x, 0.25, rng) })
}

func BenchmarkGELUStep(b *testing.B) { benchStep(b, (*Plan).GELU) }
