package ensemble

import (
	"fmt"

	"github.com/goras-ml/goras"
)

// shifted is a view of image data whose images come out moved by a Shift.
type shifted struct {
	x       goras.Data
	shift   Shift
	h, w, c int
	image   []float32 // one image, reused by Gather
}

// Shifted returns x (N, H, W) or (N, H, W, C) with every image moved by s
// as it is gathered: pixel (i, j) of the result is pixel (i-s.DY, j-s.DX)
// of the original, or 0 where that falls outside. A zero shift returns x
// itself. The view reuses one scratch image, so it must not be gathered
// from by two goroutines at once.
func Shifted(x goras.Data, s Shift) (goras.Data, error) {
	if s == (Shift{}) {
		return x, nil
	}
	shape := x.Shape()
	if len(shape) != 3 && len(shape) != 4 {
		return nil, fmt.Errorf("ensemble: shifting needs images (N, H, W) or (N, H, W, C), got shape %v", shape)
	}
	v := &shifted{x: x, shift: s, h: shape[1], w: shape[2], c: 1}
	if len(shape) == 4 {
		v.c = shape[3]
	}
	if abs(s.DY) >= v.h || abs(s.DX) >= v.w {
		return nil, fmt.Errorf("ensemble: shift (%d, %d) moves %d×%d images out of view", s.DY, s.DX, v.h, v.w)
	}
	v.image = make([]float32, v.h*v.w*v.c)
	return v, nil
}

func abs(n int) int { return max(n, -n) }

func (v *shifted) Shape() []int { return v.x.Shape() }

func (v *shifted) Gather(dst []float32, rows []int) {
	v.x.Gather(dst, rows)
	size := len(v.image)
	for i := range rows {
		img := dst[i*size : (i+1)*size]
		copy(v.image, img)
		shiftImage(img, v.image, v.h, v.w, v.c, v.shift)
	}
}

// shiftImage writes src (h, w, c) moved by s into dst, 0 where nothing
// moves in.
func shiftImage(dst, src []float32, h, w, c int, s Shift) {
	clear(dst)
	row := w * c
	for i := max(0, s.DY); i < min(h, h+s.DY); i++ {
		j0, j1 := max(0, s.DX), min(w, w+s.DX)
		from := (i-s.DY)*row + (j0-s.DX)*c
		copy(dst[i*row+j0*c:i*row+j1*c], src[from:from+(j1-j0)*c])
	}
}
