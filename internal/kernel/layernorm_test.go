package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// layerNormRef is layer normalization of one row in float64, written from
// the definition: the output and the Jacobian ∂y_j/∂x_k, from which the
// test forms dx = Jᵀ·dy and compares it with LayerNormBackward's algebra.
//
//	centered:     y_j = γ_j·(x_j - μ)·s + β_j, s = (σ² + ε)^-½
//	              ∂y_j/∂x_k = γ_j·s·(δ_jk - 1/n - x̂_j·x̂_k/n)
//	not centered: y_j = γ_j·x_j·s
//	              ∂y_j/∂x_k = γ_j·(δ_jk·s - x_j·s³·(x_k - μ)/n)
func layerNormRef(x, gamma, beta []float64, eps float64, centered bool) (y []float64, jac [][]float64) {
	n := float64(len(x))
	var mu, v float64
	for _, xi := range x {
		mu += xi / n
	}
	for _, xi := range x {
		v += (xi - mu) * (xi - mu) / n
	}
	s := 1 / math.Sqrt(v+eps)
	y = make([]float64, len(x))
	jac = make([][]float64, len(x))
	for j := range x {
		jac[j] = make([]float64, len(x))
		for k := range x {
			delta := 0.0
			if j == k {
				delta = 1
			}
			if centered {
				jac[j][k] = gamma[j] * s * (delta - 1/n - (x[j]-mu)*s*(x[k]-mu)*s/n)
			} else {
				jac[j][k] = gamma[j] * (delta*s - x[j]*s*s*s*(x[k]-mu)/n)
			}
		}
		if centered {
			y[j] = gamma[j]*(x[j]-mu)*s + beta[j]
		} else {
			y[j] = gamma[j] * x[j] * s
		}
	}
	return y, jac
}

func TestLayerNormKernels(t *testing.T) {
	const m, n, eps = 5, 7, 1e-3
	rng := rand.New(rand.NewPCG(3, 3))
	for _, centered := range []bool{true, false} {
		for _, offset := range []float64{0, 1000} { // a mean far from 0 against a spread of 1
			x, dy := make([]float32, m*n), make([]float32, m*n)
			gamma, beta := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], dy[i] = float32(offset+rng.NormFloat64()), float32(rng.NormFloat64())
			}
			for j := range gamma {
				gamma[j], beta[j] = float32(1+0.5*rng.NormFloat64()), float32(rng.NormFloat64())
			}
			mean, inv := make([]float64, m), make([]float64, m)
			LayerNormStats(mean, inv, x, m, n, eps)
			y := make([]float32, m*n)
			LayerNormForward(y, x, mean, inv, gamma, beta, m, n, centered)
			dx, dgamma := make([]float32, m*n), make([]float64, n)
			for i := range dx {
				dx[i] = 0.5 // the gradient is added
			}
			LayerNormBackward(dx, dgamma, dy, x, mean, inv, gamma, m, n, centered)

			wantDgamma := make([]float64, n)
			for i := range m {
				row, g64, b64 := make([]float64, n), make([]float64, n), make([]float64, n)
				for j := range n {
					row[j], g64[j], b64[j] = float64(x[i*n+j]), float64(gamma[j]), float64(beta[j])
				}
				wantY, jac := layerNormRef(row, g64, b64, eps, centered)
				ones := make([]float64, n)
				for j := range ones {
					ones[j] = 1
				}
				unscaled, _ := layerNormRef(row, ones, make([]float64, n), eps, centered)
				for j := range n {
					// The kernel works in float64 on the same float32
					// inputs: only the output's rounding is left, also
					// for a mean of 1000 (a one-pass variance,
					// E[x²] - mean², would lose 6 digits of 16 there).
					tol := 1e-6 * (1 + math.Abs(wantY[j]))
					if got := float64(y[i*n+j]); math.Abs(got-wantY[j]) > tol {
						t.Fatalf("centered %v offset %v: y[%d,%d] = %v, want %v", centered, offset, i, j, got, wantY[j])
					}
					var wantDx float64
					for k := range n {
						wantDx += float64(dy[i*n+k]) * jac[k][j]
					}
					wantDx += 0.5
					if got := float64(dx[i*n+j]); math.Abs(got-wantDx) > tol*10 {
						t.Errorf("centered %v offset %v: dx[%d,%d] = %v, want %v", centered, offset, i, j, got, wantDx)
					}
					wantDgamma[j] += float64(dy[i*n+j]) * unscaled[j]
				}
			}
			for j := range n {
				if math.Abs(dgamma[j]-wantDgamma[j]) > 1e-4*(1+math.Abs(wantDgamma[j])) {
					t.Errorf("centered %v offset %v: dγ[%d] = %v, want %v", centered, offset, j, dgamma[j], wantDgamma[j])
				}
			}
		}
	}
}

// TestLayerNormKernelsAlias: y may be x.
func TestLayerNormKernelsAlias(t *testing.T) {
	x := []float32{1, 2, 4, -1, 0, 3}
	want := make([]float32, len(x))
	mean, inv := make([]float64, 2), make([]float64, 2)
	gamma, beta := []float32{1, 2, 3}, []float32{0.5, 0, -0.5}
	LayerNormStats(mean, inv, x, 2, 3, 1e-3)
	LayerNormForward(want, x, mean, inv, gamma, beta, 2, 3, true)
	LayerNormForward(x, x, mean, inv, gamma, beta, 2, 3, true)
	for i := range x {
		if x[i] != want[i] {
			t.Fatalf("in place %v, want %v", x, want)
		}
	}
}

func TestLayerNormKernelsPanic(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("LayerNormForward with a short gamma did not panic")
		}
	}()
	x := make([]float32, 6)
	LayerNormForward(x, x, make([]float64, 2), make([]float64, 2), make([]float32, 2), make([]float32, 3), 2, 3, true)
}
