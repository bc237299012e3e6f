//go:build !amd64 || purego

package kernel

// defaultTile is the pure-Go tile: without assembly, Forward's paths run
// the pure-Go GEMM tile too, and the direct path saves the repacking and
// the passes over the output.
func defaultTile() *directTile { return &goTile }

// defaultWino is the pure-Go transforms with the pure-Go tile.
func defaultWino(t *directTile) *winoImpl {
	if t == nil {
		return nil
	}
	return &winoGo
}
