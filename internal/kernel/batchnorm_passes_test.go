package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bnRef computes, in float64 and by two passes, the per-channel mean and
// biased variance of x (m, n), and for dy (m, n) the sums Σ dy and
// Σ dy·(x - mean32) that BatchNorm.GradSums returns.
func bnRef(x, dy, mean32 []float32, m, n int) (mean, variance, sum, dot []float64) {
	mean, variance = make([]float64, n), make([]float64, n)
	sum, dot = make([]float64, n), make([]float64, n)
	for c := range n {
		for i := range m {
			mean[c] += float64(x[i*n+c])
		}
		mean[c] /= float64(m)
		for i := range m {
			d := float64(x[i*n+c]) - mean[c]
			variance[c] += d * d / float64(m)
			sum[c] += float64(dy[i*n+c])
			dot[c] += float64(dy[i*n+c]) * (float64(x[i*n+c]) - float64(mean32[c]))
		}
	}
	return mean, variance, sum, dot
}

// TestBatchNormPasses holds BatchNorm's four passes against float64
// references, in one chunk and in several, with means far from zero (where
// a one-pass variance would lose digits) that drift from chunk to chunk,
// with the assembly loops on and off.
func TestBatchNormPasses(t *testing.T) {
	defer func() { bnVecOff = false }()
	r := rand.New(rand.NewPCG(9, 9))
	for _, s := range [][3]int{{10, 4, 1}, {300, 40, 1}, {5000, 37, 3}, {50001, 3, 3}, {20000, 8, 3}} {
		m, n := s[0], s[1]
		bn := NewBatchNorm(m, n)
		if bn.Chunks() < s[2] {
			t.Fatalf("%v: %d chunks, want at least %d", s, bn.Chunks(), s[2])
		}
		x, dy := randSlice(r, m*n), randSlice(r, m*n)
		for i := range x { // the rows drift, so that chunk means differ
			x[i] = float32(10*(i%n)+3) + x[i]*float32(1+i%3) + float32(i/n)/float32(m)
		}
		scale, shift, mean32 := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		a, b, d := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for c := range mean32 {
			mean32[c] += float32(10*c + 3)
		}
		wantMean, wantVar, wantSum, wantDot := bnRef(x, dy, mean32, m, n)
		for _, off := range []bool{true, false} {
			bnVecOff = off
			name := fmt.Sprintf("%v assembly off %v", s, off)
			mean, variance := make([]float64, n), make([]float64, n)
			bn.Stats(mean, variance, x)
			sum, dot := make([]float64, n), make([]float64, n)
			bn.GradSums(sum, dot, dy, x, mean32)
			for c := range n {
				for _, q := range []struct {
					name            string
					got, want, size float64
				}{{"mean", mean[c], wantMean[c], math.Abs(wantMean[c])}, {"variance", variance[c], wantVar[c], wantVar[c]},
					{"Σ dy", sum[c], wantSum[c], float64(m)}, {"Σ dy·(x-mean)", dot[c], wantDot[c], float64(m) * math.Sqrt(wantVar[c])}} {
					if math.Abs(q.got-q.want) > 1e-5*q.size+1e-12 {
						t.Errorf("%s: %s of channel %d = %v, want %v", name, q.name, c, q.got, q.want)
					}
				}
			}
			y := make([]float32, m*n)
			bn.Affine(y, x, scale, shift)
			dx := randSlice(r, m*n)
			dx0 := append([]float32(nil), dx...)
			bn.Grad(dx, dy, x, a, b, mean32, d)
			wantY, wantDx := make([]float64, m*n), make([]float64, m*n)
			for i := range m {
				for c := range n {
					k, v := i*n+c, float64(x[i*n+c])
					wantY[k] = v*float64(scale[c]) + float64(shift[c])
					wantDx[k] = float64(dx0[k]) + float64(a[c])*float64(dy[k]) + float64(b[c])*(v-float64(mean32[c])) + float64(d[c])
				}
			}
			checkNear(t, name+" y", y, wantY, 1e-5)
			checkNear(t, name+" dx", dx, wantDx, 1e-5)
		}
	}
}

// checkNear is checkClose with a tolerance of tol·(1 + |want|), for
// values computed from inputs in the hundreds.
func checkNear(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s: [%d] = %v, want %v", name, i, got[i], want[i])
		}
	}
}

// TestBatchNormWorkersBitIdentical: 1 and 3 workers give the same bits for
// every pass of a batch of several chunks.
func TestBatchNormWorkersBitIdentical(t *testing.T) {
	defer SetWorkers(0)
	r := rand.New(rand.NewPCG(10, 10))
	const m, n = 30000, 7
	x, dy, v := randSlice(r, m*n), randSlice(r, m*n), randSlice(r, n)
	bn := NewBatchNorm(m, n)
	run := func(workers int) ([]float64, [][]float32) {
		SetWorkers(workers)
		sums := make([]float64, 4*n)
		bn.Stats(sums[:n], sums[n:2*n], x)
		bn.GradSums(sums[2*n:3*n], sums[3*n:], dy, x, v)
		y, dx := make([]float32, m*n), make([]float32, m*n)
		bn.Affine(y, x, v, v)
		bn.Grad(dx, dy, x, v, v, v, v)
		return sums, [][]float32{y, dx}
	}
	s1, o1 := run(1)
	s3, o3 := run(3)
	for i := range s1 {
		if math.Float64bits(s1[i]) != math.Float64bits(s3[i]) {
			t.Fatalf("sum %d: %v with 1 worker, %v with 3", i, s1[i], s3[i])
		}
	}
	for i := range o1 {
		for j := range o1[i] {
			if math.Float32bits(o1[i][j]) != math.Float32bits(o3[i][j]) {
				t.Fatalf("output %d element %d: %v with 1 worker, %v with 3", i, j, o1[i][j], o3[i][j])
			}
		}
	}
}

func TestBatchNormPassesAllocateNothing(t *testing.T) {
	defer SetWorkers(0)
	SetWorkers(2)
	const m, n = 20000, 8
	bn := NewBatchNorm(m, n)
	x, y := make([]float32, m*n), make([]float32, m*n)
	v, s := make([]float32, n), make([]float64, n)
	step := func() {
		bn.Stats(s, s, x)
		bn.Affine(y, x, v, v)
		bn.GradSums(s, s, y, x, v)
		bn.Grad(y, x, x, v, v, v, v)
	}
	step()
	if a := testing.AllocsPerRun(10, step); a != 0 {
		t.Errorf("BatchNorm's passes allocate %v times", a)
	}
	mustPanic(t, "short x", func() { bn.Stats(s, s, x[1:]) })
	mustPanic(t, "short scale", func() { bn.Affine(y, x, v[1:], v) })
}
