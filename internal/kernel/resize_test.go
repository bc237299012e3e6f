package kernel

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// window is one axis of a resize for the reference: a window of span
// values from start, over an axis of n, resampled to out values.
type window struct{ n, start, span, out int }

// refResize is the float64 reference of Resize.Apply with taps from
// ResizeTaps, written as PyTorch's upsample_bilinear2d (align_corners=False)
// reads: per output point, the source coordinate, its two neighbours and
// the weights, for rows and columns alike; values outside the axis are fill.
func refResize(src []float32, n, c int, rows, cols window, fill float64, nearest bool) []float64 {
	type pair struct {
		j   [2]int
		wt  [2]float64
		ins [2]bool
	}
	axis := func(a window, o int) pair {
		var j0, j1 int
		var f float64
		if nearest {
			j0 = int(math.Floor((float64(o) + 0.5) * float64(a.span) / float64(a.out)))
			j0 = min(j0, a.span-1)
			j1 = j0
		} else {
			s := math.Max((float64(o)+0.5)*float64(a.span)/float64(a.out)-0.5, 0)
			j0 = int(math.Floor(s))
			if j0 > a.span-1 {
				j0 = a.span - 1
			}
			j1 = min(j0+1, a.span-1)
			f = s - float64(j0)
			if j1 == j0 {
				f = 0
			}
		}
		i0, i1 := a.start+j0, a.start+j1
		return pair{[2]int{i0, i1}, [2]float64{1 - f, f}, [2]bool{i0 >= 0 && i0 < a.n, i1 >= 0 && i1 < a.n}}
	}
	h, w := rows.n, cols.n
	out := make([]float64, 0, n*rows.out*cols.out*c)
	for s := range n {
		for y := range rows.out {
			py := axis(rows, y)
			for x := range cols.out {
				px := axis(cols, x)
				for k := range c {
					var v float64
					for a := range 2 {
						for b := range 2 {
							val := fill
							if py.ins[a] && px.ins[b] {
								val = float64(src[((s*h+py.j[a])*w+px.j[b])*c+k])
							}
							v += py.wt[a] * px.wt[b] * val
						}
					}
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func newResize(rows, cols window, c int, fill float32, nearest bool) *Resize {
	r := &Resize{H: rows.n, W: cols.n, C: c, Rows: make([]Tap, rows.out), Cols: make([]Tap, cols.out), Fill: fill}
	ResizeTaps(r.Rows, rows.n, rows.start, rows.span, nearest)
	ResizeTaps(r.Cols, cols.n, cols.start, cols.span, nearest)
	return r
}

var resizeCases = []struct {
	name       string
	rows, cols window
	c          int
}{
	{"up", window{3, 0, 3, 7}, window{4, 0, 4, 5}, 2},
	{"down", window{9, 0, 9, 4}, window{7, 0, 7, 3}, 1},
	{"mixed", window{5, 0, 5, 2}, window{3, 0, 3, 8}, 3},
	{"same", window{4, 0, 4, 4}, window{5, 0, 5, 5}, 1},
	{"crop", window{6, 1, 4, 3}, window{8, 2, 3, 6}, 2},
	{"pad", window{4, -2, 8, 5}, window{5, -1, 7, 9}, 1},
	{"one to many", window{1, 0, 1, 3}, window{1, 0, 1, 4}, 1},
}

func TestResizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 2
	for _, tc := range resizeCases {
		for _, nearest := range []bool{false, true} {
			src := make([]float32, n*tc.rows.n*tc.cols.n*tc.c)
			for i := range src {
				src[i] = float32(rng.NormFloat64())
			}
			r := newResize(tc.rows, tc.cols, tc.c, 0.75, nearest)
			dst := make([]float32, n*tc.rows.out*tc.cols.out*tc.c)
			r.Apply(dst, src)
			want := refResize(src, n, tc.c, tc.rows, tc.cols, 0.75, nearest)
			for i, v := range want {
				if math.Abs(float64(dst[i])-v) > 1e-5 {
					t.Errorf("%s nearest=%v: output %d = %v, want %v", tc.name, nearest, i, dst[i], v)
					break
				}
			}
		}
	}
}

// TestResizeByHand: a row (1 2) doubled is (1 1.25 1.75 2) with half-pixel
// centres; (1 2 3 4) halved reads the midpoints (1.5 3.5); nearest
// doubles each value; a window padded by one on each side reads the fill.
func TestResizeByHand(t *testing.T) {
	for _, c := range []struct {
		name    string
		src     []float32
		cols    window
		nearest bool
		want    []float32
	}{
		{"double", []float32{1, 2}, window{2, 0, 2, 4}, false, []float32{1, 1.25, 1.75, 2}},
		{"halve", []float32{1, 2, 3, 4}, window{4, 0, 4, 2}, false, []float32{1.5, 3.5}},
		{"nearest double", []float32{1, 2}, window{2, 0, 2, 4}, true, []float32{1, 1, 2, 2}},
		{"nearest third", []float32{1, 2, 3, 4, 5, 6}, window{6, 0, 6, 2}, true, []float32{2, 5}},
		{"padded", []float32{1, 2}, window{2, -1, 4, 4}, false, []float32{9, 1, 2, 9}},
		{"cropped", []float32{1, 2, 3, 4}, window{4, 1, 2, 2}, false, []float32{2, 3}},
	} {
		r := newResize(window{1, 0, 1, 1}, c.cols, 1, 9, c.nearest)
		got := make([]float32, len(c.want))
		r.Apply(got, c.src)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestResizeAddGradIsTranspose checks ⟨Apply(x), g⟩ = ⟨x, AddGrad(g)⟩:
// Apply is linear in x (up to the fill, zero here), so its gradient is its
// transpose.
func TestResizeAddGradIsTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 3
	for _, tc := range resizeCases {
		for _, nearest := range []bool{false, true} {
			r := newResize(tc.rows, tc.cols, tc.c, 0, nearest)
			x := make([]float32, n*tc.rows.n*tc.cols.n*tc.c)
			g := make([]float32, n*tc.rows.out*tc.cols.out*tc.c)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			for i := range g {
				g[i] = float32(rng.NormFloat64())
			}
			y, dx := make([]float32, len(g)), make([]float32, len(x))
			r.Apply(y, x)
			r.AddGrad(dx, g)
			var a, b float64
			for i := range y {
				a += float64(y[i]) * float64(g[i])
			}
			for i := range x {
				b += float64(x[i]) * float64(dx[i])
			}
			if math.Abs(a-b) > 1e-4*(1+math.Abs(a)) {
				t.Errorf("%s nearest=%v: <Apply(x), g> = %v, <x, AddGrad(g)> = %v", tc.name, nearest, a, b)
			}
		}
	}
}

func TestResizeTapsSumToOne(t *testing.T) {
	for _, w := range []window{{28, 0, 28, 24}, {7, 0, 7, 30}, {5, -3, 11, 4}, {1, 0, 1, 5}} {
		for _, nearest := range []bool{false, true} {
			taps := make([]Tap, w.out)
			ResizeTaps(taps, w.n, w.start, w.span, nearest)
			for o, tp := range taps {
				if s := tp.W0 + tp.W1; math.Abs(float64(s)-1) > 1e-6 || tp.W0 < 0 || tp.W1 < 0 {
					t.Errorf("%+v nearest=%v: tap %d %+v", w, nearest, o, tp)
				}
			}
		}
	}
}

func TestResizeAllocatesNothing(t *testing.T) {
	r := newResize(window{28, 0, 28, 32}, window{28, 0, 28, 20}, 1, 0, false)
	src, dst := make([]float32, 4*28*28), make([]float32, 4*32*20)
	if a := testing.AllocsPerRun(5, func() { r.Apply(dst, src); r.AddGrad(src, dst) }); a != 0 {
		t.Errorf("Apply and AddGrad allocate %v times", a)
	}
}

func TestResizePanicsOnBadSizes(t *testing.T) {
	r := newResize(window{2, 0, 2, 3}, window{2, 0, 2, 3}, 1, 0, false)
	bad := &Resize{H: 2, W: 2, C: 1, Rows: []Tap{{I0: 2}}, Cols: []Tap{{}}}
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"short dst", func() { r.Apply(make([]float32, 8), make([]float32, 4)) }},
		{"src not whole images", func() { r.Apply(make([]float32, 9), make([]float32, 5)) }},
		{"tap outside", func() { bad.Apply(make([]float32, 1), make([]float32, 4)) }},
		{"no taps", func() { ResizeTaps(nil, 2, 0, 2, false) }},
	} {
		func() {
			defer func() {
				if r, _ := recover().(string); !strings.HasPrefix(r, "kernel: Resize") {
					t.Errorf("%s: panic %q, want a kernel: Resize message", c.name, r)
				}
			}()
			c.f()
		}()
	}
}
