package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/goras-ml/goras/internal/kernel"
)

// TestParamBF16ProductsOverridesThePackages builds a MatMul and a Conv2D
// under each package setting (SetBF16Products) for weights with no setting
// of their own, float32 and bfloat16 (Param.SetBF16Products), and checks
// that the ops take the weight's setting where it has one and the
// package's otherwise: their bf16 flags, and their outputs, the same bits
// for one precision whichever setting chose it, different between the two.
func TestParamBF16ProductsOverridesThePackages(t *testing.T) {
	defer SetBF16Products(false)
	if !SetBF16Products(true) {
		w := NewParam("w", true, 2, 2)
		if w.SetBF16Products(true) || w.BF16Products() {
			t.Error("a weight asked for bfloat16 products on a CPU without fast ones has them")
		}
		t.Skip("this CPU has no fast bfloat16 products")
	}
	var outs [2][]float32 // by precision: float32, bfloat16
	for _, global := range []bool{false, true} {
		for _, own := range []string{"none", "float32", "bfloat16"} {
			SetBF16Products(global)
			want := global
			if own != "none" {
				want = own == "bfloat16"
			}
			name := fmt.Sprintf("package %v, weight %s", global, own)
			rng := rand.New(rand.NewPCG(5, 6))
			p := NewPlan(3)
			x := leaf(p, rng, false, 3, 6, 6, 8)
			wc, wd := param(p, rng, "wc", 3, 3, 8, 8), param(p, rng, "wd", 8, 5)
			if own != "none" {
				for _, w := range []*Param{wc, wd} {
					if got := w.SetBF16Products(own == "bfloat16"); got != want || w.BF16Products() != want {
						t.Fatalf("%s: SetBF16Products reported %v, BF16Products %v; want %v", name, got, w.BF16Products(), want)
					}
				}
			}
			c := p.Conv2D(x, wc, 1, 1, 1, 1, 1, 1)
			y := p.MatMul(c, wd)
			for _, op := range p.ops {
				if mm, ok := op.(*matMul); ok && mm.bf16 != want {
					t.Errorf("%s: MatMul with bfloat16 products %v, want %v", name, mm.bf16, want)
				}
				if cv, ok := op.(*conv2D); ok && (cv.kb != nil) != want {
					t.Errorf("%s: Conv2D with bfloat16 products %v, want %v", name, cv.kb != nil, want)
				}
			}
			p.Forward(true)
			got := append([]float32(nil), y.Value.Data()...)
			i := 0
			if want {
				i = 1
			}
			if outs[i] == nil {
				outs[i] = got
				continue
			}
			for k := range got {
				if math.Float32bits(got[k]) != math.Float32bits(outs[i][k]) {
					t.Fatalf("%s: output %d = %v, %v under the other setting of the same precision", name, k, got[k], outs[i][k])
				}
			}
		}
	}
	differ := 0
	for k := range outs[0] {
		if outs[0][k] != outs[1][k] {
			differ++
		}
	}
	if differ < len(outs[0])/2 {
		t.Errorf("only %d of %d outputs differ between float32 and bfloat16 products", differ, len(outs[0]))
	}
}

// TestConv2DTransposeBF16 checks that Conv2DTranspose's products follow
// its kernel's precision: in bfloat16 its output is, up to the order of
// the sums, the float32 op's on operands rounded to bfloat16 first (their
// products are exact in float32), and not the float32 op's on the
// operands as they are.
func TestConv2DTransposeBF16(t *testing.T) {
	defer SetBF16Products(false)
	if !SetBF16Products(true) {
		t.Skip("this CPU has no fast bfloat16 products")
	}
	SetBF16Products(false)
	run := func(bf16, round bool) []float32 {
		rng := rand.New(rand.NewPCG(7, 8))
		p := NewPlan(2)
		x, w := leaf(p, rng, false, 2, 5, 4, 16), param(p, rng, "w", 3, 3, 8, 16)
		if round {
			for _, v := range [][]float32{x.Value.Data(), w.Value.Data()} {
				for i := range v {
					v[i] = kernel.RoundBF16(v[i])
				}
			}
		}
		if bf16 {
			w.SetBF16Products(true)
		}
		g := Conv2DGeometry{StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 0}
		y := p.Conv2DTranspose(x, w, nil, g)
		p.Forward(false)
		return append([]float32(nil), y.Value.Data()...)
	}
	got, ref, plain := run(true, false), run(false, true), run(false, false)
	differ := 0
	for i := range got {
		if math.Abs(float64(got[i]-ref[i])) > 1e-5*(1+math.Abs(float64(ref[i]))) {
			t.Fatalf("output %d = %v in bfloat16, %v from float32 products of the rounded operands", i, got[i], ref[i])
		}
		if got[i] != plain[i] {
			differ++
		}
	}
	if differ < len(got)/2 {
		t.Errorf("only %d of %d outputs differ from float32 products of the unrounded operands", differ, len(got))
	}
}
