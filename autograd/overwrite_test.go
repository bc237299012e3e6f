package autograd

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// owParams hands out a model's parameters in the order its build asks for
// them: made and filled from a seeded RNG the first time, the same ones
// again after reset (a second plan of the same model, as a partial batch).
type owParams struct {
	rng  *rand.Rand
	all  []*Param
	next int
}

func (ps *owParams) param(shape ...int) *Param {
	if ps.next < len(ps.all) {
		ps.next++
		return ps.all[ps.next-1]
	}
	w := NewParam(fmt.Sprint("w", len(ps.all)), true, shape...)
	w.Value.FillUniform(ps.rng, -0.5, 0.5)
	ps.all = append(ps.all, w)
	ps.next++
	return w
}

// owBuild adds a model, losses included, to p and returns its inputs (each
// filled with fresh data before every step).
type owBuild func(p *Plan, ps *owParams) []*Var

// cubeOp is an op from outside the package, added with AddOp: y = x³.
type cubeOp struct{ x, y *Var }

func (o *cubeOp) Forward(bool) {
	y := o.y.Value.Data()
	for i, v := range o.x.Value.Data() {
		y[i] = v * v * v
	}
}

func (o *cubeOp) Backward() {
	if o.x.Grad == nil {
		return
	}
	dx, dy := o.x.Grad.Data(), o.y.Grad.Data()
	for i, v := range o.x.Value.Data() {
		dx[i] += 3 * v * v * dy[i]
	}
}

func cube(p *Plan, x *Var) *Var {
	op := &cubeOp{x: x}
	op.y = p.NewVar(x.Grad != nil, x.Shape()...)
	p.AddOp(op)
	return op.y
}

func dense(p *Plan, ps *owParams, x *Var, out int) *Var {
	return p.BiasAdd(p.MatMul(x, ps.param(x.Shape()[1], out)), ps.param(out))
}

// mlpTwoHeads: a sparse input (the first product takes the sparse path), a
// hidden value read by two heads (two writers of its gradient), a weight
// read by two products, products deep enough for several depth blocks and
// wide enough for the worker pool, and the three activations.
func mlpTwoHeads(p *Plan, ps *owParams) []*Var {
	x, t1, t2 := p.Input(96), p.Input(10), p.Input(24)
	h1 := p.ReLU(dense(p, ps, x, 300))
	h2 := p.Tanh(dense(p, ps, h1, 600)) // dh1 = dh2·W2ᵀ sums over 600
	p.MeanSquaredError(p.Softmax(dense(p, ps, h2, 10)), t1)
	w := ps.param(24, 24)
	c := p.Sigmoid(dense(p, ps, h2, 24))
	e := p.MatMul(p.ReLU(p.MatMul(c, w)), w) // w read twice
	p.MeanSquaredError(e, t2)
	return []*Var{x, t1, t2}
}

// mlpUserOp: the course's MLP with an op from outside the package, which
// may write any gradient made before it: only the ops after it may
// overwrite. It reads h after a MatMul does, so it adds to h's gradient
// before the MatMul would write it.
func mlpUserOp(p *Plan, ps *owParams) []*Var {
	x, t, t2 := p.Input(64), p.Input(10), p.Input(10)
	h := p.ReLU(dense(p, ps, x, 50))
	a := p.ReLU(dense(p, ps, h, 40))
	c := cube(p, h)
	p.MeanSquaredError(p.Softmax(dense(p, ps, a, 10)), t)
	p.MeanSquaredError(p.MatMul(c, ps.param(50, 10)), t2)
	return []*Var{x, t, t2}
}

// partialViews: ops reading views of part of a value (rows [0,2) and
// [1,3) of h, made outside the plan): their writes into part of h's
// gradient must not be lost to a writer of the whole.
func partialViews(p *Plan, ps *owParams) []*Var {
	x, t, t2 := p.Input(16), p.Input(8), p.Input(8)
	h := p.ReLU(dense(p, ps, x, 12))
	p.MeanSquaredError(p.MatMul(h, ps.param(12, 8)), t)
	w := ps.param(12, 8)
	for i := range 2 {
		v := &Var{Value: h.Value.Slice(i, i+2), Grad: h.Grad.Slice(i, i+2)}
		p.MeanSquaredError(p.MatMul(v, w), &Var{Value: t2.Value.Slice(0, 2)})
	}
	return []*Var{x, t, t2}
}

// cnn: a fused convolution, pooling, a convolution with a separate ReLU,
// a reshape (a view of a gradient), dropout, a loss weight and a fused
// softmax cross-entropy.
func cnn(p *Plan, ps *owParams) []*Var {
	x, t := p.Input(11, 11, 2), p.Input(10)
	h := p.Conv2DBiasReLU(x, ps.param(3, 3, 2, 4), ps.param(4), true, 1, 1, 1, 1, 1, 1)
	h = p.MaxPool2D(h, 2, 2, 2, 2, 0, 0, 0, 0) // 5×5×4: row and column 10 in no window
	h = p.ReLU(p.Conv2D(h, ps.param(3, 3, 4, 6), 1, 1, 0, 0, 0, 0))
	h = p.Dropout(p.Flatten(h), 0.25, tensor.NewRNG(7)) // 3·3·6
	h = p.Sigmoid(dense(p, ps, h, 16))
	y := p.ScaleGradient(p.Softmax(dense(p, ps, h, 10)), 0.5)
	p.CategoricalCrossentropy(y, t, false, 0.1)
	return []*Var{x, t}
}

// owModel is one plan of a model, trained by owStep.
type owModel struct {
	plan   *Plan
	inputs []*Var
}

func newOW(build owBuild, batch int, ps *owParams, donor *Plan, addOnly bool) owModel {
	p := NewPlan(batch)
	if donor != nil {
		p.ShareBuffers(donor)
	}
	p.wr.addOnly = addOnly
	ps.next = 0
	return owModel{plan: p, inputs: build(p, ps)}
}

// owStep runs a training step on data drawn from seed: forward, backward
// (after filling every gradient with NaN when poison, which a buffer that
// is neither zeroed nor wholly set would let through), SGD on params.
func owStep(m owModel, params []*Param, seed uint64, poison bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for i, in := range m.inputs {
		for j := range in.Value.Data() {
			v := float32(rng.NormFloat64())
			if i == 0 && rng.IntN(5) != 0 {
				v = 0 // inputs mostly zeros, as MNIST's pixels
			}
			in.Value.Data()[j] = v
		}
	}
	m.plan.Forward(true)
	if poison {
		for _, g := range m.plan.grads {
			for j := range g.Data() {
				g.Data()[j] = float32(math.NaN())
			}
		}
	}
	m.plan.Backward()
	for _, w := range params {
		for j, g := range w.Grad.Data() {
			w.Value.Data()[j] -= 0.05 * g
		}
	}
}

// sameBits reports the first element where a and b differ in their bits.
func sameBits(a, b []float32) (int, bool) {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i, false
		}
	}
	return 0, len(a) == len(b)
}

// overwrites counts the gradients of p that Backward does not zero.
func overwrites(p *Plan) int {
	if !p.wr.ready {
		p.planWrites()
	}
	n := 0
	for _, g := range p.grads {
		n++
		for _, z := range p.wr.zero {
			if &z[0] == &g.Data()[0] {
				n--
				break
			}
		}
	}
	return n
}

// TestOverwriteSameBits trains each model for several steps twice from
// the same weights, once zeroing every gradient and adding (today's
// reference) and once letting lone writers overwrite, and holds every
// gradient, parameter and loss of the second to the first bit for bit.
// With batches of 8 and 5 sharing one set of buffers, the two plans
// alternate as a model's full and last partial batches do.
func TestOverwriteSameBits(t *testing.T) {
	cases := []struct {
		name    string
		build   owBuild
		batches []int
		owned   int  // gradients the new path overwrites instead of zeroing
		bf16    bool // products of operands rounded to bfloat16 (SetBF16Products)
		bfConvs int  // convolutions with bfloat16 products, when bf16
	}{
		{"mlp two heads", mlpTwoHeads, []int{64}, 17, false, 0},
		{"mlp two heads bf16", mlpTwoHeads, []int{64}, 17, true, 0},
		{"mlp user op", mlpUserOp, []int{32}, 5, false, 0},
		{"partial views", partialViews, []int{4}, 5, false, 0},
		{"cnn", cnn, []int{8}, 13, false, 0},
		{"cnn bf16", cnn, []int{8}, 13, true, 0},
		{"cnn shared buffers", cnn, []int{8, 5}, 13, false, 0},
		{"convolutions", convSetNet, []int{6}, 23, false, 0},
		{"convolutions bf16", convSetNet, []int{6}, 23, true, 3},
		{"convolutions shared buffers", convSetNet, []int{6, 3}, 23, false, 0},
		{"best's blocks", convWide, []int{4}, 12, false, 0},
		{"best's blocks bf16", convWide, []int{4}, 12, true, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.bf16 {
				if !SetBF16Products(true) {
					t.Skip("this CPU has no fast bfloat16 products")
				}
				defer SetBF16Products(false) // plans built keep their precision
			}
			var old, cur []owModel
			po := &owParams{rng: rand.New(rand.NewPCG(3, 4))}
			pn := &owParams{rng: rand.New(rand.NewPCG(3, 4))}
			for i, b := range c.batches {
				var do, dn *Plan
				if i > 0 {
					do, dn = old[0].plan, cur[0].plan
				}
				old = append(old, newOW(c.build, b, po, do, true))
				cur = append(cur, newOW(c.build, b, pn, dn, false))
			}
			bfConvs := 0
			for _, op := range cur[0].plan.ops {
				if mm, ok := op.(*matMul); ok && mm.bf16 != c.bf16 {
					t.Fatalf("a MatMul with bfloat16 products %v, want %v", mm.bf16, c.bf16)
				}
				if cv, ok := op.(*conv2D); ok && cv.kb != nil {
					bfConvs++
				}
			}
			if bfConvs != c.bfConvs {
				t.Fatalf("%d convolutions with bfloat16 products, want %d", bfConvs, c.bfConvs)
			}
			n := overwrites(cur[0].plan)
			if n != c.owned {
				t.Fatalf("%d gradients overwritten, want %d", n, c.owned)
			}
			t.Logf("%d of %d gradients overwritten", n, len(cur[0].plan.grads))
			if n := overwrites(old[0].plan); n != 0 {
				t.Fatalf("the reference plan overwrites %d gradients", n)
			}
			for step := range 6 {
				k := step % len(old)
				owStep(old[k], po.all, uint64(step), false)
				owStep(cur[k], pn.all, uint64(step), true)
				for j, g := range old[k].plan.grads {
					if unwritten(cur[k].plan, cur[k].plan.grads[j]) {
						continue // made by its reader (conv2d_bngrad.go, normsums.go)
					}
					if at, ok := sameBits(g.Data(), cur[k].plan.grads[j].Data()); !ok {
						t.Fatalf("step %d: gradient %d of shape %v differs at %d: %v, want %v",
							step, j, g.Shape(), at, cur[k].plan.grads[j].Data()[at], g.Data()[at])
					}
				}
				for j, w := range po.all {
					if at, ok := sameBits(w.Value.Data(), pn.all[j].Value.Data()); !ok {
						t.Fatalf("step %d: weight %s differs at %d", step, w.Name, at)
					}
				}
			}
		})
	}
}

// zooOps builds one of most op kinds a model of the zoo uses, on an input
// that has a gradient (a parameter's), and returns that input and the
// targets.
func zooOps(p *Plan, ps *owParams) (x *Var, targets []*Var) {
	x = &ps.param(4, 8, 8, 3).Var
	h := p.Conv2DBiasReLU(x, ps.param(3, 3, 3, 4), ps.param(4), true, 1, 1, 1, 1, 1, 1)
	h = p.BatchNormReLU(h, ps.param(4), ps.param(4), ps.param(4), ps.param(4), 0.9, 1e-3)
	h = p.MaxPool2D(h, 2, 2, 2, 2, 0, 0, 0, 0) // 4×4×4
	g := p.GlobalAvgPool2D(p.AvgPool2D(h, 2, 2, 2, 2, 0, 0, 0, 0))
	h = p.BatchNorm(p.Flatten(h), ps.param(64), ps.param(64), ps.param(64), ps.param(64), 0.9, 1e-3)
	h = p.Tanh(p.Sigmoid(dense(p, ps, p.Dropout(h, 0.25, tensor.NewRNG(5)), 10)))
	rows := []float32{1, 0.5, 2, 1}
	y := p.ScaleRows(p.ScaleGradient(p.Softmax(h), 0.5), rows)
	targets = []*Var{p.Input(10), p.Input(4)}
	p.CategoricalCrossentropy(y, targets[0], false, 0)
	p.MeanSquaredError(p.ReLU(g), targets[1])
	return x, targets
}

// moreOps builds the package's other ops (activations, merges, layer
// norm, padding, resampling, noise, depthwise and transposed convolution,
// the losses), on an input with a gradient, and returns that input and
// the targets.
func moreOps(p *Plan, ps *owParams) (x *Var, targets []*Var) {
	x = &ps.param(4, 6, 6, 2).Var
	g := Conv2DGeometry{StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}
	a := p.ReLUWith(p.DepthwiseConv2D(x, ps.param(3, 3, 2, 1), ps.param(2), g), 0.1, 6, 0)
	a = p.Conv2DTranspose(a, ps.param(3, 3, 2, 2), ps.param(2), g)
	a = p.PReLU(p.ConstantArithmetic(a, ps.param(1, 1, 2), ArithmeticMultiply, false), ps.param(1, 1, 2))
	b := p.GlobalMaxPool2D(p.Pad2D(p.UpSampling2D(a, 2, 2, false), 1, 1, 1, 1)) // (4, 2)
	c := p.Transpose(p.SpatialDropout2D(a, 0.25, tensor.NewRNG(3)), 0, 2, 1, 3)
	c = p.SoftmaxAxes(p.GaussianNoise(p.GaussianDropout(c, 0.2, tensor.NewRNG(4)), 0.1, tensor.NewRNG(5)), 1, 2)
	d := p.LayerNorm(p.Flatten(c), 1, ps.param(72), ps.param(72), 1e-3, false)
	d = dense(p, ps, p.Rescale(p.SiLU(p.GELU(p.ELU(p.LeakyReLU(d, 0.2), 1))), 0.5, 0.1), 2)
	e := p.Concatenate(-1, p.Add(b, d), p.Subtract(b, d), p.Multiply(b, d), p.Maximum(b, d), p.Minimum(b, d)) // (4, 10)
	f := p.Softplus(e)
	targets = []*Var{p.Input(10), p.Input(10), p.Input(10)}
	p.MeanAbsoluteError(f, targets[0])
	p.MeanAbsolutePercentageError(f, targets[0])
	p.Huber(f, targets[0], 1)
	p.LogCosh(f, targets[0])
	p.Poisson(f, targets[0])
	p.Hinge(e, targets[1])
	p.CategoricalHinge(e, targets[1])
	p.BinaryCrossentropy(e, targets[2], true, 0)
	p.BinaryFocalCrossentropy(e, targets[2], false, 0.25, 2, true, 0)
	p.CategoricalFocalCrossentropy(e, targets[2], []float64{0.25}, 2, true, 0)
	p.KLDivergence(p.Softmax(p.LogSoftmax(e)), targets[2])
	return x, targets
}

// TestGradSlotsCoverWrites runs each op's Backward alone over gradients
// filled with random values and checks that every gradient it changes is
// one its gradSlots lists: an op that wrote a gradient it does not list
// could add to it before that gradient's listed first writer overwrote it.
func TestGradSlotsCoverWrites(t *testing.T) {
	for _, build := range []func(*Plan, *owParams) (*Var, []*Var){zooOps, moreOps} {
		checkGradSlots(t, build)
	}
}

func checkGradSlots(t *testing.T, build func(*Plan, *owParams) (*Var, []*Var)) {
	ps := &owParams{rng: rand.New(rand.NewPCG(5, 6))}
	p := NewPlan(4)
	x, targets := build(p, ps)
	grads := append([]*tensor.Tensor{x.Grad}, p.grads...)
	rng := rand.New(rand.NewPCG(7, 8))
	for _, v := range targets {
		v.Value.FillUniform(rng, 0, 1)
	}
	p.Forward(true)
	for i, op := range p.ops {
		listed := map[span]bool{}
		w, ok := op.(gradWriter)
		if !ok {
			t.Fatalf("op %d (%T) does not list the gradients it writes", i, op)
		}
		for _, s := range w.gradSlots(nil) {
			listed[spanOf(s.g.Data())] = true
		}
		before := make([][]float32, len(grads))
		for j, g := range grads {
			g.FillUniform(rng, -1, 1)
			before[j] = append([]float32(nil), g.Data()...)
		}
		op.Backward()
		changed := 0
		for j, g := range grads {
			if _, same := sameBits(before[j], g.Data()); same {
				continue
			}
			changed++
			if !listed[spanOf(g.Data())] {
				t.Errorf("op %d (%T) wrote gradient %d of shape %v, which it does not list", i, op, j, g.Shape())
			}
		}
		if changed == 0 && len(listed) > 0 { // a fused softmax lists and writes none
			t.Errorf("op %d (%T) changed no gradient: the test does not exercise it", i, op)
		}
	}
}

// TestEveryOpListsItsGradients reads the package's source: every type with
// a Backward method must have gradSlots too, or the plan treats it as an
// op that may write any gradient, and no op before it sets one.
func TestEveryOpListsItsGradients(t *testing.T) {
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]map[string]bool{} // receiver type → method names
	for _, e := range files {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			id, ok := star.X.(*ast.Ident)
			if !ok {
				continue
			}
			if methods[id.Name] == nil {
				methods[id.Name] = map[string]bool{}
			}
			methods[id.Name][fn.Name.Name] = true
		}
	}
	ops := 0
	for typ, m := range methods {
		if m["Backward"] && typ != "Plan" {
			ops++
			if !m["gradSlots"] {
				t.Errorf("op %s has Backward but no gradSlots", typ)
			}
		}
	}
	if ops < 40 {
		t.Fatalf("found %d ops with Backward in the package's source, want at least 40", ops)
	}
}

// unwritten reports whether g is a gradient the plan leaves unwritten, in
// whole or in part, because its reader makes it where it needs it: the
// output gradient of a convolution paired with the batch normalization
// after it (conv2d_bngrad.go), which neither writes, or the input
// gradient of a max pooling written only where that normalization's sums
// read it (normsums.go).
func unwritten(p *Plan, g *tensor.Tensor) bool {
	for _, op := range p.ops {
		if cv, ok := op.(*conv2D); ok && cv.bn != nil && cv.y.Grad == g {
			return true
		}
		if pl, ok := op.(*pool2D); ok && pl.onlyRuns && pl.x.Grad == g {
			return true
		}
	}
	return false
}
