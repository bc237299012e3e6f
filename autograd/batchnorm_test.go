package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
)

// TestBatchNormChunks runs batch normalization on enough rows to split its
// passes into several chunks, with means far from zero (where a one-pass
// variance would lose digits), against a float64 reference of the forward
// pass, the moving statistics and every gradient; and checks that 1 and 3
// workers give the same bits.
func TestBatchNormChunks(t *testing.T) {
	defer kernel.SetWorkers(0)
	const m, n, eps = 50001, 3, 1e-3
	run := func(workers int) [][]float32 {
		kernel.SetWorkers(workers)
		rng := rand.New(rand.NewPCG(7, 7))
		p := NewPlan(1)
		x := leaf(p, rng, false, m, n)
		for i, v := range x.Value.Data() {
			x.Value.Data()[i] = float32(10*(i%n)+3) + v*float32(1+i%n)
		}
		g, b := param(p, rng, "gamma", n), param(p, rng, "beta", n)
		mm, mv := NewParam("mm", false, n), NewParam("mv", false, n)
		for i := range n {
			mv.Value.Data()[i] = 1
		}
		probe := p.probe(p.BatchNorm(x, g, b, mm, mv, 0.9, eps), rng).(*probe)
		if op := p.ops[0].(*batchNorm); op.k.Chunks() < 3 {
			t.Fatalf("%d chunks, want several", op.k.Chunks())
		}
		p.Forward(true)
		p.Backward()
		y := probe.y.Value.Data()

		xs, r := x.Value.Data(), probe.r
		for c := 0; c < n; c++ {
			var mean, v, sr, srh float64
			for i := 0; i < m; i++ {
				mean += float64(xs[i*n+c]) / m
			}
			for i := 0; i < m; i++ {
				d := float64(xs[i*n+c]) - mean
				v += d * d / m
			}
			inv := 1 / math.Sqrt(v+eps)
			gc, bc := float64(g.Value.Data()[c]), float64(b.Value.Data()[c])
			for i := 0; i < m; i++ {
				h := (float64(xs[i*n+c]) - mean) * inv
				if want := gc*h + bc; math.Abs(float64(y[i*n+c])-want) > 1e-5*(1+math.Abs(want)) {
					t.Fatalf("y[%d,%d] = %v, want %v", i, c, y[i*n+c], want)
				}
				sr += float64(r[i*n+c])
				srh += float64(r[i*n+c]) * h
			}
			if got := float64(b.Grad.Data()[c]); math.Abs(got-sr) > 1e-4*(1+math.Abs(sr)) {
				t.Errorf("dβ[%d] = %v, want %v", c, got, sr)
			}
			if got := float64(g.Grad.Data()[c]); math.Abs(got-srh) > 1e-4*(1+math.Abs(srh)) {
				t.Errorf("dγ[%d] = %v, want %v", c, got, srh)
			}
			for i := 0; i < m; i++ {
				h := (float64(xs[i*n+c]) - mean) * inv
				want := gc * inv * (float64(r[i*n+c]) - sr/m - h*srh/m)
				if got := float64(x.Grad.Data()[i*n+c]); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("dx[%d,%d] = %v, want %v", i, c, got, want)
				}
			}
			if want := 0.1 * mean; math.Abs(float64(mm.Value.Data()[c])-want) > 1e-5*math.Abs(want) {
				t.Errorf("moving mean[%d] = %v, want %v", c, mm.Value.Data()[c], want)
			}
			if want := 0.9 + 0.1*v; math.Abs(float64(mv.Value.Data()[c])-want) > 1e-5*want {
				t.Errorf("moving variance[%d] = %v, want %v", c, mv.Value.Data()[c], want)
			}
		}
		return [][]float32{y, x.Grad.Data(), g.Grad.Data(), b.Grad.Data(), mm.Value.Data(), mv.Value.Data()}
	}
	one, three := run(1), run(3)
	for i := range one {
		for j := range one[i] {
			if math.Float32bits(one[i][j]) != math.Float32bits(three[i][j]) {
				t.Fatalf("output %d element %d: %v with 1 worker, %v with 3", i, j, one[i][j], three[i][j])
			}
		}
	}
}

// BenchmarkBatchNormBounty times a training step (forward and backward) of
// batch normalization on the bounty CNN's first activation (128,28,28,32).
func BenchmarkBatchNormBounty(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	p := NewPlan(128)
	x := leaf(p, rng, false, 128, 28, 28, 32)
	g, beta := NewParam("gamma", true, 32), NewParam("beta", true, 32)
	mm, mv := NewParam("mm", false, 32), NewParam("mv", false, 32)
	y := p.BatchNorm(x, g, beta, mm, mv, 0.99, 1e-3)
	fillTest(y.Grad, rng, false)
	b.SetBytes(4 * int64(x.Value.Len()))
	for b.Loop() {
		p.Forward(true)
		p.Backward()
	}
}
