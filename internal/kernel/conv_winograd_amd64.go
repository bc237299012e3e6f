//go:build amd64 && !purego

package kernel

//go:generate sh -c "cd _asm && go run ./winograd -out ../conv_winograd_amd64.s -stubs ../conv_winograd_stub_amd64.go -pkg kernel"

// winoAVX512 is the transforms of conv_winograd_amd64.s, 16 channels a
// vector; each wrapper checks its operands' extents by indexing their
// last values.
var winoAVX512 = winoImpl{
	name: "avx512",
	input: func(v []float32, vs int, x []float32, rs, c, tiles int) {
		_ = v[15*vs+tiles*c-1]
		_ = x[3*rs+(2*tiles+2)*c-1]
		winoInputAVX512(&v[0], vs, &x[0], rs, c, tiles)
	},
	output: func(y []float32, ldy int, m []float32, ms, f, tiles int, scale, shift []float32, flags int) {
		_ = y[ldy+2*tiles*f-1]
		_ = m[15*ms+tiles*f-1]
		sc, sh := epiloguePtrs(scale, shift, flags, f)
		winoOutputAVX512(&y[0], ldy, &m[0], ms, f, tiles, sc, sh, flags)
	},
	kernel: func(u []float32, us int, w []float32, c, f int) {
		_ = u[15*us+c*f-1]
		_ = w[9*c*f-1]
		winoKernelAVX512(&u[0], us, &w[0], c, f)
	},
	grad: func(d []float32, ds int, dy []float32, rs, f, tiles int) {
		_ = d[15*ds+tiles*f-1]
		_ = dy[rs+2*tiles*f-1]
		winoGradAVX512(&d[0], ds, &dy[0], rs, f, tiles)
	},
}

func init() {
	if activeTile == &avx512Tile {
		winoImpls = append(winoImpls, &winoAVX512)
	}
}

// defaultWino is the assembly transforms with the AVX-512 tile, the
// pure-Go ones with the pure-Go tile, none without a tile.
func defaultWino(t *directTile) *winoImpl {
	switch t {
	case &avx512Tile:
		return &winoAVX512
	case &goTile:
		return &winoGo
	}
	return nil
}
