package autograd_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

var upsamplingShapes = []struct {
	n, h, w, c, sh, sw int
}{
	{1, 2, 3, 2, 2, 2},
	{2, 3, 2, 1, 3, 2},
	{1, 1, 4, 3, 1, 3},
	{1, 2, 2, 9, 2, 1}, // 9 channels: the vector path of nearest's backward
	{1, 1, 1, 2, 4, 4},
}

func TestUpSampling2DGradients(t *testing.T) {
	for _, s := range upsamplingShapes {
		for _, bilinear := range []bool{false, true} {
			x := randomTensor(uint64(s.h*10+s.w), s.n, s.h, s.w, s.c)
			err := autograd.CheckGradients(func(p *autograd.Plan, in []*autograd.Var) *autograd.Var {
				return p.UpSampling2D(in[0], s.sh, s.sw, bilinear)
			}, autograd.GradCheck{}, x)
			if err != nil {
				t.Errorf("%+v bilinear %v: %v", s, bilinear, err)
			}
		}
	}
}

// upsample64 is the reference: each output pixel computed on its own, in
// float64, from Keras's definitions. Nearest reads x[i/sh, j/sw]; bilinear
// reads the source position (o+½)/s - ½ clamped to [0, size-1], weighting
// the two neighbours by their distance.
func upsample64(x *tensor.Tensor, sh, sw int, bilinear bool) []float64 {
	xs := x.Shape()
	n, h, w, c := xs[0], xs[1], xs[2], xs[3]
	at := func(s, i, j, k int) float64 { return float64(x.Data()[((s*h+i)*w+j)*c+k]) }
	src := func(o, size, f int) (lo, hi int, t float64) {
		p := math.Min(math.Max((float64(o)+0.5)/float64(f)-0.5, 0), float64(size-1))
		lo = int(math.Floor(p))
		hi = min(lo+1, size-1)
		return lo, hi, p - float64(lo)
	}
	var out []float64
	for s := 0; s < n; s++ {
		for i := 0; i < h*sh; i++ {
			for j := 0; j < w*sw; j++ {
				for k := 0; k < c; k++ {
					if !bilinear {
						out = append(out, at(s, i/sh, j/sw, k))
						continue
					}
					i0, i1, ti := src(i, h, sh)
					j0, j1, tj := src(j, w, sw)
					top := (1-tj)*at(s, i0, j0, k) + tj*at(s, i0, j1, k)
					bottom := (1-tj)*at(s, i1, j0, k) + tj*at(s, i1, j1, k)
					out = append(out, (1-ti)*top+ti*bottom)
				}
			}
		}
	}
	return out
}

// TestUpSampling2DValues holds both interpolations against upsample64, in
// a training plan and in an inference plan (where bilinear's scratch comes
// from the pool).
func TestUpSampling2DValues(t *testing.T) {
	for _, s := range upsamplingShapes {
		for _, bilinear := range []bool{false, true} {
			x := randomTensor(7, s.n, s.h, s.w, s.c)
			want := upsample64(x, s.sh, s.sw, bilinear)
			for k, plan := range []*autograd.Plan{autograd.NewPlan(s.n), autograd.NewInferencePlan(s.n)} {
				name := fmt.Sprintf("%+v bilinear %v inference %v", s, bilinear, k == 1)
				in := plan.Input(s.h, s.w, s.c)
				copy(in.Value.Data(), x.Data())
				y := plan.UpSampling2D(in, s.sh, s.sw, bilinear)
				if got := y.Shape(); !tensor.SameShape(got, []int{s.n, s.h * s.sh, s.w * s.sw, s.c}) {
					t.Fatalf("%s: output shape %v", name, got)
				}
				plan.Forward(false)
				for i, g := range y.Value.Data() {
					if math.Abs(float64(g)-want[i]) > 1e-6 {
						t.Fatalf("%s: element %d = %v, want %v", name, i, g, want[i])
					}
				}
			}
		}
	}
}
