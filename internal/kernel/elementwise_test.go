package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// close32 reports whether got is within 1e-6 (relative) or
// 1e-6 (absolute) of the float64 reference: a few float32 roundings.
func close32(got float32, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(float64(got))
	}
	if math.IsInf(want, 0) {
		return float64(got) == want
	}
	d := math.Abs(float64(got) - want)
	return d <= 1e-6+1e-6*math.Abs(want)
}

func checkClose(t *testing.T, name string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		if !close32(got[i], want[i]) {
			t.Fatalf("%s: [%d] = %g, want %g", name, i, got[i], want[i])
		}
	}
}

func clone(x []float32) []float32 { return append([]float32(nil), x...) }

// TestElementwise runs every element-wise kernel against float64 code written
// straight from its definition, at lengths around the sizes vector code
// unrolls by.
func TestElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 1, 3, 7, 8, 15, 16, 17, 33, 100, 1000} {
		x, y, d := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		for i := range x { // widen the range so sigmoid and tanh saturate
			x[i] *= 30
		}
		out := make([]float32, n)
		ref := func(f func(i int) float64) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = f(i)
			}
			return w
		}
		cases := []struct {
			name string
			run  func() []float32
			want []float64
		}{
			{"Fill", func() []float32 { Fill(out, 2.5); return out }, ref(func(int) float64 { return 2.5 })},
			{"Add", func() []float32 { Add(out, x, y); return out }, ref(func(i int) float64 { return float64(x[i]) + float64(y[i]) })},
			{"AddTo", func() []float32 { o := clone(d); AddTo(o, x); return o }, ref(func(i int) float64 { return float64(d[i]) + float64(x[i]) })},
			{"Axpy", func() []float32 { o := clone(d); Axpy(o, -0.75, x); return o }, ref(func(i int) float64 { return float64(d[i]) - 0.75*float64(x[i]) })},
			{"Scale", func() []float32 { o := clone(x); Scale(o, 0.3); return o }, ref(func(i int) float64 { return float64(float32(0.3)) * float64(x[i]) })},
			{"Mul", func() []float32 { Mul(out, x, y); return out }, ref(func(i int) float64 { return float64(x[i]) * float64(y[i]) })},
			{"ReLU", func() []float32 { ReLU(out, x); return out }, ref(func(i int) float64 { return math.Max(float64(x[i]), 0) })},
			{"ReLUBackward", func() []float32 { o := clone(d); ReLUBackward(o, y, x); return o }, ref(func(i int) float64 {
				if x[i] > 0 {
					return float64(d[i]) + float64(y[i])
				}
				return float64(d[i])
			})},
			{"Sigmoid", func() []float32 { Sigmoid(out, x); return out }, ref(func(i int) float64 { return 1 / (1 + math.Exp(-float64(x[i]))) })},
			{"SigmoidBackward", func() []float32 { o := clone(d); SigmoidBackward(o, x, y); return o }, ref(func(i int) float64 {
				return float64(d[i]) + float64(x[i])*float64(y[i])*(1-float64(y[i]))
			})},
			{"Tanh", func() []float32 { Tanh(out, x); return out }, ref(func(i int) float64 { return math.Tanh(float64(x[i])) })},
			{"TanhBackward", func() []float32 { o := clone(d); TanhBackward(o, x, y); return o }, ref(func(i int) float64 {
				return float64(d[i]) + float64(x[i])*(1-float64(y[i])*float64(y[i]))
			})},
		}
		for _, tc := range cases {
			checkClose(t, fmt.Sprintf("%s/n=%d", tc.name, n), tc.run(), tc.want)
		}
		// Reductions.
		var dot, sum, sq, mx float64
		for i := range x {
			dot += float64(x[i]) * float64(y[i])
			sum += float64(x[i])
			sq += float64(x[i]) * float64(x[i])
			mx = math.Max(mx, math.Abs(float64(x[i])))
		}
		checkClose(t, fmt.Sprintf("Dot/n=%d", n), []float32{Dot(x, y)}, []float64{dot})
		if got := Sum(x); math.Abs(got-sum) > 1e-9*(1+math.Abs(sum)) {
			t.Errorf("Sum/n=%d = %g, want %g", n, got, sum)
		}
		if got := SumSquares(x); math.Abs(got-sq) > 1e-9*(1+sq) {
			t.Errorf("SumSquares/n=%d = %g, want %g", n, got, sq)
		}
		checkClose(t, fmt.Sprintf("MaxAbs/n=%d", n), []float32{MaxAbs(x)}, []float64{mx})
	}
	if !math.IsNaN(float64(MaxAbs([]float32{1, float32(math.NaN()), 2}))) {
		t.Error("MaxAbs ignores NaN")
	}
	big := []float32{-200, -89, 0, 89, 200}
	s := make([]float32, len(big))
	Sigmoid(s, big)
	checkClose(t, "Sigmoid extremes", s, []float64{0, 1 / (1 + math.Exp(89)), 0.5, 1, 1})
}

func TestRowKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, sz := range [][2]int{{1, 1}, {3, 10}, {7, 17}, {100, 10}} {
		m, n := sz[0], sz[1]
		x, dy, base := randSlice(r, m*n), randSlice(r, m*n), randSlice(r, m*n)
		for i := range x {
			x[i] *= 50 // large logits: max-subtraction must keep exp finite
		}
		v := randSlice(r, n)
		name := fmt.Sprintf("%dx%d", m, n)

		want := make([]float64, m*n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				want[i*n+j] = float64(base[i*n+j]) + float64(v[j])
			}
		}
		got := clone(base)
		AddRowVector(got, v, m, n)
		checkClose(t, "AddRowVector/"+name, got, want)

		cs := make([]float64, n)
		for j := range cs {
			cs[j] = float64(v[j])
			for i := 0; i < m; i++ {
				cs[j] += float64(base[i*n+j])
			}
		}
		gcs := clone(v)
		AddColumnSums(gcs, base, m, n)
		for j := range cs {
			if math.Abs(float64(gcs[j])-cs[j]) > 1e-6*float64(m+1) {
				t.Fatalf("AddColumnSums/%s: [%d] = %g, want %g", name, j, gcs[j], cs[j])
			}
		}

		sm := make([]float64, m*n)
		lse := make([]float64, m)
		for i := 0; i < m; i++ {
			mx := math.Inf(-1)
			for j := 0; j < n; j++ {
				mx = max(mx, float64(x[i*n+j]))
			}
			var s float64
			for j := 0; j < n; j++ {
				s += math.Exp(float64(x[i*n+j]) - mx)
			}
			lse[i] = mx + math.Log(s)
			for j := 0; j < n; j++ {
				sm[i*n+j] = math.Exp(float64(x[i*n+j])-mx) / s
			}
		}
		y := make([]float32, m*n)
		SoftmaxRows(y, x, m, n)
		checkClose(t, "SoftmaxRows/"+name, y, sm)
		alias := clone(x)
		SoftmaxRows(alias, alias, m, n)
		checkClose(t, "SoftmaxRows aliased/"+name, alias, sm)

		gl := make([]float32, m)
		LogSumExpRows(gl, x, m, n)
		checkClose(t, "LogSumExpRows/"+name, gl, lse)

		wb := make([]float64, m*n)
		for i := 0; i < m; i++ {
			var s float64
			for j := 0; j < n; j++ {
				s += float64(dy[i*n+j]) * float64(y[i*n+j])
			}
			for j := 0; j < n; j++ {
				wb[i*n+j] = float64(base[i*n+j]) + float64(y[i*n+j])*(float64(dy[i*n+j])-s)
			}
		}
		gb := clone(base)
		SoftmaxRowsBackward(gb, dy, y, m, n)
		checkClose(t, "SoftmaxRowsBackward/"+name, gb, wb)
	}
}

func TestElementwisePanics(t *testing.T) {
	a, b := make([]float32, 4), make([]float32, 5)
	for name, f := range map[string]func(){
		"Add":                 func() { Add(a, a, b) },
		"AddTo":               func() { AddTo(a, b) },
		"Axpy":                func() { Axpy(a, 1, b) },
		"Mul":                 func() { Mul(b, a, a) },
		"ReLU":                func() { ReLU(a, b) },
		"ReLUBackward":        func() { ReLUBackward(a, a, b) },
		"Sigmoid":             func() { Sigmoid(a, b) },
		"SigmoidBackward":     func() { SigmoidBackward(a, b, a) },
		"Tanh":                func() { Tanh(b, a) },
		"TanhBackward":        func() { TanhBackward(b, a, a) },
		"Dot":                 func() { Dot(a, b) },
		"AddRowVector":        func() { AddRowVector(a, a[:1], 2, 2) },
		"AddRowVector short":  func() { AddRowVector(a, a, 3, 2) },
		"AddColumnSums":       func() { AddColumnSums(a[:1], a, 2, 2) },
		"SoftmaxRows":         func() { SoftmaxRows(a, b, 2, 3) },
		"SoftmaxRowsBackward": func() { SoftmaxRowsBackward(a, a, a, 1, 5) },
		"LogSumExpRows":       func() { LogSumExpRows(a[:1], a, 2, 2) },
		"negative":            func() { SoftmaxRows(a, a, -1, 2) },
	} {
		t.Run(name, func(t *testing.T) { expectPanic(t, f) })
	}
}

func TestElementwiseAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const m, n = 10, 100
	x, y, d := randSlice(r, m*n), randSlice(r, m*n), randSlice(r, m*n)
	v, l := randSlice(r, n), randSlice(r, m)
	var sink float64
	f := func() {
		Fill(d, 0)
		Add(d, x, y)
		AddTo(d, x)
		Axpy(d, 2, x)
		Scale(d, 0.5)
		Mul(d, x, y)
		AddRowVector(d, v, m, n)
		AddColumnSums(v, x, m, n)
		ReLU(d, x)
		ReLUBackward(d, x, y)
		Sigmoid(d, x)
		SigmoidBackward(d, x, y)
		Tanh(d, x)
		TanhBackward(d, x, y)
		SoftmaxRows(d, x, m, n)
		SoftmaxRowsBackward(d, x, y, m, n)
		LogSumExpRows(l, x, m, n)
		sink += float64(Dot(x, y)) + Sum(x) + SumSquares(x) + float64(MaxAbs(x))
	}
	if a := testing.AllocsPerRun(20, f); a != 0 {
		t.Errorf("%v allocs per run of every element-wise kernel, want 0", a)
	}
	_ = sink
}

func BenchmarkElementwise(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	const m, n = 100, 784
	x, y, d := randSlice(r, m*n), randSlice(r, m*n), randSlice(r, m*n)
	v := randSlice(r, n)
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"Add", func() { Add(d, x, y) }},
		{"Axpy", func() { Axpy(d, 0.5, x) }},
		{"Mul", func() { Mul(d, x, y) }},
		{"AddRowVector", func() { AddRowVector(d, v, m, n) }},
		{"AddColumnSums", func() { AddColumnSums(v, x, m, n) }},
		{"ReLU", func() { ReLU(d, x) }},
		{"ReLUBackward", func() { ReLUBackward(d, x, y) }},
		{"Sigmoid", func() { Sigmoid(d, x) }},
		{"Tanh", func() { Tanh(d, x) }},
		{"SoftmaxRows", func() { SoftmaxRows(d, x, m*n/10, 10) }},
		{"Dot", func() { Dot(x, y) }},
		{"Sum", func() { Sum(x) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(4 * m * n))
			for b.Loop() {
				bc.f()
			}
		})
	}
}
