package kernel

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refWarp is the float64 reference of Warp.Apply, written the way Keras's
// map_coordinates is: for each of the (up to) four integer neighbours, fix
// the index by the mode (reflect through the mirror of 2i+1, as Keras does),
// read it or the fill, and weight it.
func refWarp(src []float32, n, h, w, c int, m []float64, mode FillMode, fill float64, nearest bool) []float64 {
	mirror := func(i, size int) int {
		s := size - 1
		return int(math.Abs(float64(pmod(i+s, 2*s) - s)))
	}
	fix := func(i, size int) (int, bool) {
		switch mode {
		case FillConstant:
			return i, i >= 0 && i < size
		case FillNearest:
			return min(max(i, 0), size-1), true
		case FillWrap:
			return pmod(i, size), true
		}
		return (mirror(2*i+1, 2*size+1) - 1) / 2, true
	}
	out := make([]float64, n*h*w*c)
	for s := range n {
		a := m[6*s : 6*s+6]
		for y := range h {
			for x := range w {
				cx := a[0]*float64(x) + a[1]*float64(y) + a[2]
				cy := a[3]*float64(x) + a[4]*float64(y) + a[5]
				type tap struct {
					i int
					w float64
				}
				var xs, ys []tap
				if nearest {
					xs = []tap{{int(math.Round(cx)), 1}}
					ys = []tap{{int(math.Round(cy)), 1}}
				} else {
					fx, fy := math.Floor(cx), math.Floor(cy)
					xs = []tap{{int(fx), 1 - (cx - fx)}, {int(fx) + 1, cx - fx}}
					ys = []tap{{int(fy), 1 - (cy - fy)}, {int(fy) + 1, cy - fy}}
				}
				for k := range c {
					var v float64
					for _, ty := range ys {
						for _, tx := range xs {
							ix, okx := fix(tx.i, w)
							iy, oky := fix(ty.i, h)
							val := fill
							if okx && oky {
								val = float64(src[((s*h+iy)*w+ix)*c+k])
							}
							v += tx.w * ty.w * val
						}
					}
					out[((s*h+y)*w+x)*c+k] = v
				}
			}
		}
	}
	return out
}

func pmod(i, n int) int { return ((i % n) + n) % n }

var allModes = []FillMode{FillReflect, FillConstant, FillNearest, FillWrap}

// randomMaps draws rotations by up to ±1 rad about the centre, zooms in
// [0.6, 1.6] and shifts of up to ±0.6 of the size, so that many points fall
// outside the image, some far outside.
func randomMaps(rng *rand.Rand, n, h, w int) []float64 {
	m := make([]float64, 6*n)
	for i := range n {
		th := 2 * (rng.Float64() - 0.5)
		z := 0.6 + rng.Float64()
		cs, sn := z*math.Cos(th), z*math.Sin(th)
		cx, cy := float64(w-1)/2, float64(h-1)/2
		tx, ty := (rng.Float64()-0.5)*1.2*float64(w), (rng.Float64()-0.5)*1.2*float64(h)
		copy(m[6*i:], []float64{cs, -sn, cx - cs*cx + sn*cy + tx, sn, cs, cy - sn*cx - cs*cy + ty})
	}
	return m
}

func TestWarpMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{5, 7, 1}, {6, 4, 3}, {1, 5, 2}, {2, 1, 1}} {
		h, w, c := sz[0], sz[1], sz[2]
		const n = 6
		src := make([]float32, n*h*w*c)
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		m := randomMaps(rng, n, h, w)
		m = append(m[:6*(n-1)], 1, 0, 0, 0, 1, 0) // and the identity
		for _, mode := range allModes {
			for _, nearest := range []bool{false, true} {
				wp := Warp{H: h, W: w, C: c, Mode: mode, Fill: 0.75, Nearest: nearest}
				dst := make([]float32, len(src))
				wp.Apply(dst, src, m)
				want := refWarp(src, n, h, w, c, m, mode, 0.75, nearest)
				for i := range want {
					if math.Abs(float64(dst[i])-want[i]) > 1e-5 {
						t.Fatalf("%dx%dx%d %v nearest=%v: element %d = %v, reference %v", h, w, c, mode, nearest, i, dst[i], want[i])
					}
				}
				if !slices.Equal(dst[len(dst)-h*w*c:], src[len(src)-h*w*c:]) {
					t.Errorf("%dx%dx%d %v nearest=%v: the identity map changed the image", h, w, c, mode, nearest)
				}
			}
		}
	}
}

// TestWarpFillByHand checks each mode on a 1×4 row (a b c d) = (1 2 3 4)
// shifted by whole pixels, so that interpolation plays no part.
func TestWarpFillByHand(t *testing.T) {
	src := []float32{1, 2, 3, 4}
	cases := []struct {
		mode  FillMode
		shift float64 // the output at x reads the input at x + shift
		want  []float32
	}{
		{FillConstant, -2, []float32{9, 9, 1, 2}},
		{FillConstant, 3, []float32{4, 9, 9, 9}},
		{FillReflect, -3, []float32{3, 2, 1, 1}},           // (d c b a | a b c d)
		{FillReflect, 2, []float32{3, 4, 4, 3}},            // (a b c d | d c b a)
		{FillReflect, 7, []float32{1, 1, 2, 3}},            // second period: (d c b a | a b c d)
		{FillReflect, -6, []float32{3, 4, 4, 3}},           // (a b c d | d c b a | a b c d), two periods left
		{FillNearest, -3, []float32{1, 1, 1, 1}},           // (a a a a | a b c d)
		{FillNearest, 2, []float32{3, 4, 4, 4}},            // (a b c d | d d d d)
		{FillWrap, -1, []float32{4, 1, 2, 3}},              // (a b c d | a b c d)
		{FillWrap, 6, []float32{3, 4, 1, 2}},               // one and a half periods along
		{FillConstant, 0.5, []float32{1.5, 2.5, 3.5, 6.5}}, // the last one: half d, half fill
	}
	for _, c := range cases {
		wp := Warp{H: 1, W: 4, C: 1, Mode: c.mode, Fill: 9}
		dst := make([]float32, 4)
		wp.Apply(dst, src, []float64{1, 0, c.shift, 0, 1, 0})
		if !slices.Equal(dst, c.want) {
			t.Errorf("%v shifted by %v: %v, want %v", c.mode, c.shift, dst, c.want)
		}
	}
}

// TestWarpAddGradIsTranspose checks ⟨Apply(x), g⟩ = ⟨x, AddGrad(g)⟩ for
// every mode with a zero fill (Apply is then linear in x), and that AddGrad
// accumulates.
func TestWarpAddGradIsTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, h, w, c = 3, 5, 6, 2
	x := make([]float32, n*h*w*c)
	g := make([]float32, len(x))
	for i := range x {
		x[i], g[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	m := randomMaps(rng, n, h, w)
	for _, mode := range allModes {
		for _, nearest := range []bool{false, true} {
			wp := Warp{H: h, W: w, C: c, Mode: mode, Nearest: nearest}
			y := make([]float32, len(x))
			wp.Apply(y, x, m)
			dx := make([]float32, len(x))
			for i := range dx {
				dx[i] = 1 // AddGrad must add to this
			}
			wp.AddGrad(dx, g, m)
			var lhs, rhs float64
			for i := range x {
				lhs += float64(y[i]) * float64(g[i])
				rhs += float64(x[i]) * float64(dx[i]-1)
			}
			if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
				t.Errorf("%v nearest=%v: ⟨Apply(x), g⟩ = %v but ⟨x, AddGrad(g)⟩ = %v", mode, nearest, lhs, rhs)
			}
		}
	}
}

func TestWarpStaysInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, h, w = 8, 9, 9
	src := make([]float32, n*h*w)
	for i := range src {
		src[i] = float32(rng.Float64())
	}
	lo, hi := slices.Min(src), slices.Max(src)
	m := randomMaps(rng, n, h, w)
	for _, mode := range allModes {
		wp := Warp{H: h, W: w, C: 1, Mode: mode, Fill: lo}
		dst := make([]float32, len(src))
		wp.Apply(dst, src, m)
		for i, v := range dst {
			// A convex combination, up to float32 rounding.
			if v < lo-1e-6 || v > hi+1e-6 {
				t.Fatalf("%v: output %d = %v outside the input range [%v, %v]", mode, i, v, lo, hi)
			}
		}
	}
}

func TestWarpAllocatesNothing(t *testing.T) {
	const n, h, w = 4, 28, 28
	src, dst := make([]float32, n*h*w), make([]float32, n*h*w)
	m := randomMaps(rand.New(rand.NewPCG(7, 8)), n, h, w)
	wp := Warp{H: h, W: w, C: 1, Mode: FillReflect}
	if a := testing.AllocsPerRun(5, func() { wp.Apply(dst, src, m); wp.AddGrad(src, dst, m) }); a != 0 {
		t.Errorf("Apply and AddGrad allocate %v times", a)
	}
}

func TestWarpPanicsOnBadSizes(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"short dst", func() { (&Warp{H: 2, W: 2, C: 1}).Apply(make([]float32, 3), make([]float32, 4), make([]float64, 6)) }},
		{"matrix not 6n", func() { (&Warp{H: 2, W: 2, C: 1}).Apply(make([]float32, 4), make([]float32, 4), make([]float64, 5)) }},
		{"zero width", func() { (&Warp{H: 2, W: 0, C: 1}).AddGrad(nil, nil, nil) }},
	} {
		func() {
			defer func() {
				if r, _ := recover().(string); !strings.HasPrefix(r, "kernel: Warp.") {
					t.Errorf("%s: panic %q, want a kernel: Warp. message", c.name, r)
				}
			}()
			c.f()
		}()
	}
}

// recipeMaps draws the bounty recipe's maps: rotations of ±10°, zooms in
// [0.9, 1.1] and shifts of ±2 pixels, about the centre.
func recipeMaps(rng *rand.Rand, n, h, w int) []float64 {
	m := make([]float64, 6*n)
	for i := range n {
		th := (rng.Float64() - 0.5) * 20 * math.Pi / 180
		z := 0.9 + 0.2*rng.Float64()
		cs, sn := z*math.Cos(th), z*math.Sin(th)
		cx, cy := float64(w-1)/2, float64(h-1)/2
		tx, ty := (rng.Float64()-0.5)*4, (rng.Float64()-0.5)*4
		copy(m[6*i:], []float64{cs, -sn, cx - cs*cx + sn*cy + tx, sn, cs, cy - sn*cx - cs*cy + ty})
	}
	return m
}

// BenchmarkWarpMNISTBatch warps one batch of 128 28×28×1 images, as
// augmentation does every training step: with the bounty recipe's maps, and
// with wild ones that send most points outside the image.
func BenchmarkWarpMNISTBatch(b *testing.B) {
	const n, h, w = 128, 28, 28
	src, dst := make([]float32, n*h*w), make([]float32, n*h*w)
	for i := range src {
		src[i] = float32(i%255) / 255
	}
	for _, maps := range []struct {
		name string
		m    []float64
	}{
		{"recipe", recipeMaps(rand.New(rand.NewPCG(9, 10)), n, h, w)},
		{"wild", randomMaps(rand.New(rand.NewPCG(9, 10)), n, h, w)},
	} {
		for _, mode := range []FillMode{FillConstant, FillReflect} {
			b.Run(maps.name+"/"+mode.String(), func(b *testing.B) {
				wp := Warp{H: h, W: w, C: 1, Mode: mode}
				for b.Loop() {
					wp.Apply(dst, src, maps.m)
				}
			})
		}
	}
}
