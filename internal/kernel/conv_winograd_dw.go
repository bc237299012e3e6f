package kernel

// The weight gradient on training's Winograd path. The forward pass is
//
//	Y = Aᵀ [U ⊙ V] A,  U = G g Gᵀ,  M[ξ] (tiles, F) = V[ξ] (tiles, C) · U[ξ] (C, F)
//
// per 2×2 output tile, so by the chain rule, with D = A dY Aᵀ the tile's
// output gradient brought to the 4×4 cells,
//
//	∂L/∂U[ξ] (C, F) = Σ_tiles V[ξ]ᵀ · D[ξ],   ∂L/∂g = Gᵀ (∂L/∂U) G
//
// The sum over a batch group's tiles is 16 products of depth tiles (V the
// same input transform as the forward's); Gᵀ·G, 16 cells to 9 taps, runs
// once per group. 16 multiply-adds per 2×2 outputs and channel pair where
// shiftedDW does 36. The gradient's sums are the direct path's within a few
// roundings, not its bits (TestConv2DWinogradTraining).

// winoDWOK says whether Backward's dw takes Winograd: the output's sides
// even.
func (cv *Conv2D) winoDWOK() bool {
	return !winoTrainOff && cv.wino != nil && cv.shifted && cv.oh%2 == 0 && cv.ow%2 == 0
}

// winoDWBuffers makes, on the first Backward that needs them, the batch
// groups' sums of ∂L/∂U.
func (cv *Conv2D) winoDWBuffers() {
	if cv.partWM != nil {
		return
	}
	cv.partWM = make([][]float32, cv.groups)
	for i := range cv.groups {
		cv.partWM[i] = make([]float32, 16*cv.c*cv.f)
	}
}

// winoSampleDW adds sample n's ∂L/∂U to pm (16, C, F): src is the padded
// sample (HP, WP, C), dyg its output gradient on src's grid (OH rows of WP
// pixels of F channels).
func (cv *Conv2D) winoSampleDW(s *convScratch, pm, src, dyg []float32) {
	c, f := cv.c, cv.f
	th, tw := cv.oh/2, cv.ow/2
	chunk := winoChunk(th, tw)
	mr, nr := cv.kern.mr, cv.kern.nr
	for t0 := 0; t0 < th; t0 += chunk {
		t1 := min(th, t0+chunk)
		tiles := (t1 - t0) * tw
		v, d := s.wv[:16*tiles*c], s.wm[:16*tiles*f]
		for tr := t0; tr < t1; tr++ {
			cv.wino.input(v[(tr-t0)*tw*c:], tiles*c, src[2*tr*cv.wp*c:], cv.wp*c, c, tw)
			cv.wino.grad(d[(tr-t0)*tw*f:], tiles*f, dyg[2*tr*cv.wp*f:], cv.wp*f, f, tw)
		}
		// V[ξ]ᵀ·D[ξ]: A read down V's columns (rsa 1, csa C), the tile's
		// columns loop, as shiftedDW reads x.
		for xi := 0; xi < 16; xi++ {
			a, b, out := v[xi*tiles*c:], d[xi*tiles*f:], pm[xi*c*f:]
			for r0 := 0; r0 < c; r0 += mr {
				rows := min(mr, c-r0)
				for f0 := 0; f0 < f; f0 += nr {
					cv.kern.tile(tiles, a[r0:], 1, c, b[f0:], f, out[r0*f+f0:], f, 1, 1, rows, min(nr, f-f0))
				}
			}
		}
	}
}

// winoGradGo transforms the output gradient of tiles consecutive tiles of
// one tile row: tile j's values are y[r][q] = dy[r·rs + (2j+q)·f + ch], and
// d[(4r'+s')·ds + j·f + ch] = (A y Aᵀ)[r'][s'] for every channel ch < f,
// with A = [1 0; 1 1; 1 -1; 0 -1] (Aᵀ the forward's output transform).
func winoGradGo(d []float32, ds int, dy []float32, rs, f, tiles int) {
	for j := 0; j < tiles; j++ {
		y0, y1 := dy[2*j*f:][:2*f], dy[rs+2*j*f:][:2*f]
		o := d[j*f:]
		for ch := 0; ch < f; ch++ {
			a, b, c, e := y0[ch], y0[f+ch], y1[ch], y1[f+ch]
			// t = A y, (4, 2); then each row r of t times Aᵀ.
			t := [4][2]float32{{a, b}, {a + c, b + e}, {a - c, b - e}, {-c, -e}}
			for r := 0; r < 4; r++ {
				p, q := t[r][0], t[r][1]
				row := o[4*r*ds+ch:]
				row[0] = p
				row[ds] = p + q
				row[2*ds] = p - q
				row[3*ds] = -q
			}
		}
	}
}

// winoDWOut adds to dw (3, 3, C, F) the gradient Gᵀ M G of the sums m
// (16, C, F), G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
func winoDWOut(dw, m []float32, c, f int) {
	cf := c * f
	m = m[:16*cf]
	dw = dw[:9*cf]
	for i := 0; i < cf; i++ {
		// n = Gᵀ M, (3, 4); then each row of n times G.
		var n [3][4]float32
		for s := 0; s < 4; s++ {
			m0, m1, m2, m3 := m[s*cf+i], m[(4+s)*cf+i], m[(8+s)*cf+i], m[(12+s)*cf+i]
			n[0][s] = m0 + 0.5*(m1+m2)
			n[1][s] = 0.5 * (m1 - m2)
			n[2][s] = 0.5*(m1+m2) + m3
		}
		for k := 0; k < 3; k++ {
			p := n[k]
			dw[(3*k)*cf+i] += p[0] + 0.5*(p[1]+p[2])
			dw[(3*k+1)*cf+i] += 0.5 * (p[1] - p[2])
			dw[(3*k+2)*cf+i] += 0.5*(p[1]+p[2]) + p[3]
		}
	}
}
