package mixedprecision

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/tensor"
)

func TestNewPolicy(t *testing.T) {
	for _, c := range []struct{ name, compute string }{{"float32", "float32"}, {"mixed_bfloat16", "bfloat16"}} {
		p, err := NewPolicy(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name() != c.name || p.ComputeDtype() != c.compute || p.VariableDtype() != "float32" || p.String() != `<DTypePolicy "`+c.name+`">` {
			t.Errorf("NewPolicy(%q) = %s, %s, %s, %s", c.name, p.Name(), p.ComputeDtype(), p.VariableDtype(), p)
		}
	}
	for _, c := range []struct{ name, says string }{
		{"mixed_float16", `"mixed_float16" is one of Keras's that goras does not have`},
		{"Mixed_BFloat16", `unknown policy "Mixed_BFloat16"`},
		{"", `unknown policy ""`},
	} {
		_, err := NewPolicy(c.name)
		if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), `"mixed_bfloat16"`) {
			t.Errorf("NewPolicy(%q) = %v, want an error saying %s and naming the policies", c.name, err, c.says)
		}
	}
	if (Policy{}).Name() != "float32" {
		t.Error("the zero Policy is not float32")
	}
}

func TestSetGlobalPolicy(t *testing.T) {
	defer SetGlobalPolicy("float32")
	if GlobalPolicy().Name() != "float32" {
		t.Fatalf("default policy %s, want float32", GlobalPolicy())
	}
	var notes bytes.Buffer
	SetNoticeOutput(&notes)
	defer SetNoticeOutput(nil)
	if err := SetGlobalPolicy("mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	fast := autograd.SetBF16Products(true) // what the CPU allows
	want := "float32"
	if fast {
		want = "mixed_bfloat16"
	}
	if GlobalPolicy().Name() != want || (notes.Len() > 0) == fast {
		t.Errorf("after mixed_bfloat16: policy %s, notice %q; want %s (bfloat16 fast here: %v)", GlobalPolicy(), notes.String(), want, fast)
	}
	if err := SetGlobalPolicy("float16"); err == nil || GlobalPolicy().Name() != want {
		t.Errorf("SetGlobalPolicy(float16) = %v and left %s, want an error and no change", err, GlobalPolicy())
	}
	if err := SetGlobalPolicy("float32"); err != nil || GlobalPolicy().Name() != "float32" || autograd.SetBF16Products(false) {
		t.Errorf("back to float32: %v, %s", err, GlobalPolicy())
	}
}

// TestFallback plays a CPU without AVX512_BF16: one line of notice, and
// the policy stays float32.
func TestFallback(t *testing.T) {
	saved := setProducts
	defer func() { setProducts = saved }()
	setProducts = func(bool) bool { return false }
	var notes bytes.Buffer
	SetNoticeOutput(&notes)
	defer SetNoticeOutput(nil)
	if err := SetGlobalPolicy("mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	if GlobalPolicy().Name() != "float32" || strings.Count(notes.String(), "\n") != 1 || !strings.Contains(notes.String(), "AVX512_BF16") {
		t.Errorf("fallback: policy %s, notice %q; want float32 and one line naming AVX512_BF16", GlobalPolicy(), notes.String())
	}
}

// roundBF16 rounds to bfloat16 by its definition (8 significant bits,
// nearest, ties to even), in float64.
func roundBF16(v float32) float64 {
	x := float64(v)
	if x == 0 || math.Abs(x) < 0x1p-126 {
		return 0
	}
	m, e := math.Frexp(x)
	return math.Ldexp(math.RoundToEven(m*256)/256, e)
}

// TestPolicyReachesTheProducts builds a Dense product and a Conv2D (with
// bias and ReLU) under each policy and holds their outputs and weight
// gradients to float64 references: under mixed_bfloat16 on the operands
// rounded to bfloat16, under float32 on the operands as given; and checks
// that the two policies give different results, so that the rounding is
// seen, not assumed.
func TestPolicyReachesTheProducts(t *testing.T) {
	defer SetGlobalPolicy("float32")
	SetNoticeOutput(nil)
	if !autograd.SetBF16Products(true) {
		t.Skip("no fast bfloat16 products here: the policy stays float32")
	}
	autograd.SetBF16Products(false)
	var outs [2][]float32
	for i, name := range []string{"float32", "mixed_bfloat16"} {
		if err := SetGlobalPolicy(name); err != nil {
			t.Fatal(err)
		}
		round := func(v float32) float64 { return float64(v) }
		if name == "mixed_bfloat16" {
			round = roundBF16
		}
		outs[i] = append(checkDense(t, name, round), checkConv(t, name, round)...)
	}
	differ := 0
	for i := range outs[0] {
		if outs[0][i] != outs[1][i] {
			differ++
		}
	}
	if differ < len(outs[0])/2 {
		t.Errorf("only %d of %d outputs differ between float32 and mixed_bfloat16", differ, len(outs[0]))
	}
}

func randFill(r *rand.Rand, t *tensor.Tensor) {
	for i, d := 0, t.Data(); i < len(d); i++ {
		d[i] = float32(r.Float64()*2 - 1)
	}
}

// weights is a Weighted of its own, standing for a model or a layer.
type weights []*autograd.Param

func (w weights) Params() []*autograd.Param { return w }

// own gives ws the policy named by policies[0], if any (SetPolicy).
func own(t *testing.T, ws weights, policies []string) {
	t.Helper()
	if len(policies) > 0 {
		if _, err := SetPolicy(ws, policies[0]); err != nil {
			t.Fatal(err)
		}
	}
}

// checkDense runs y = x·w (16×40 by 40×24) and an MSE loss, and returns y;
// w has the policy policies[0] of its own, if given.
func checkDense(t *testing.T, policy string, round func(float32) float64, policies ...string) []float32 {
	const m, k, n = 16, 40, 24
	r := rand.New(rand.NewPCG(1, 2))
	p := autograd.NewPlan(m)
	x := p.Input(k)
	w := autograd.NewParam("w", true, k, n)
	own(t, weights{w}, policies)
	y := p.MatMul(x, w)
	p.MeanSquaredError(y, p.Input(n))
	randFill(r, x.Value)
	randFill(r, w.Value)
	p.Forward(true)
	p.Backward()
	xd, wd, yd, dy := x.Value.Data(), w.Value.Data(), y.Value.Data(), y.Grad.Data()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, mag float64
			for q := 0; q < k; q++ {
				s += round(xd[i*k+q]) * round(wd[q*n+j])
				mag += math.Abs(float64(xd[i*k+q] * wd[q*n+j]))
			}
			expectNear(t, policy+" Dense y", yd[i*n+j], s, mag*0x1p-23*k)
		}
	}
	for q := 0; q < k; q++ {
		for j := 0; j < n; j++ {
			var s, mag float64
			for i := 0; i < m; i++ {
				s += round(xd[i*k+q]) * round(dy[i*n+j])
				mag += math.Abs(float64(xd[i*k+q] * dy[i*n+j]))
			}
			expectNear(t, policy+" Dense dW", w.Grad.Data()[q*n+j], s, mag*0x1p-23*m)
		}
	}
	return yd
}

// checkConv runs a 3×3 "same" Conv2D, 8 → 6 channels, with bias and
// ReLU, on (4,9,9,8), and an MSE loss, and returns its output; the
// weights have the policy policies[0] of their own, if given.
func checkConv(t *testing.T, policy string, round func(float32) float64, policies ...string) []float32 {
	const nb, h, wd, c, f = 4, 9, 9, 8, 6
	r := rand.New(rand.NewPCG(3, 4))
	p := autograd.NewPlan(nb)
	x := p.Input(h, wd, c)
	w := autograd.NewParam("w", true, 3, 3, c, f)
	b := autograd.NewParam("b", true, f)
	own(t, weights{w, b}, policies)
	y := p.Conv2DBiasReLU(x, w, b, true, 1, 1, 1, 1, 1, 1)
	p.MeanSquaredError(y, p.Input(h, wd, f))
	randFill(r, x.Value)
	randFill(r, w.Value)
	randFill(r, b.Value)
	p.Forward(true)
	p.Backward()
	xv, wv, bv, yv, dy := x.Value.Data(), w.Value.Data(), b.Value.Data(), y.Value.Data(), y.Grad.Data()
	dw := make([]float64, len(wv))
	for n := 0; n < nb; n++ {
		for i := 0; i < h; i++ {
			for j := 0; j < wd; j++ {
				for o := 0; o < f; o++ {
					s, mag := float64(bv[o]), math.Abs(float64(bv[o]))
					g := float64(dy[((n*h+i)*wd+j)*f+o])
					visit := func(each func(xi, wi int)) {
						for ky := 0; ky < 3; ky++ {
							for kx := 0; kx < 3; kx++ {
								iy, ix := i+ky-1, j+kx-1
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								for ch := 0; ch < c; ch++ {
									each(((n*h+iy)*wd+ix)*c+ch, ((ky*3+kx)*c+ch)*f+o)
								}
							}
						}
					}
					visit(func(xi, wi int) {
						s += round(xv[xi]) * round(wv[wi])
						mag += math.Abs(float64(xv[xi] * wv[wi]))
						dw[wi] += round(xv[xi]) * round(float32(g))
					})
					expectNear(t, policy+" Conv2D y", yv[((n*h+i)*wd+j)*f+o], max(s, 0), mag*0x1p-23*80)
				}
			}
		}
	}
	for i, want := range dw {
		expectNear(t, policy+" Conv2D dW", w.Grad.Data()[i], want, 1e-6)
	}
	return yv
}

func expectNear(t *testing.T, what string, got float32, want, tol float64) {
	t.Helper()
	if d := math.Abs(float64(got) - want); !(d <= tol+1e-7) {
		t.Fatalf("%s = %v, want %v (off by %g, tolerance %g)", what, got, want, d, tol)
	}
}
