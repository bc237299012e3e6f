package ensemble

import (
	"fmt"

	"github.com/goras-ml/goras"
)

// shifted is a view of image data whose images come out moved by a Shift.
// It holds nothing but its settings: Gather shifts each image in place in
// the caller's dst, so calls on several goroutines share no memory.
type shifted struct {
	x       goras.Data
	shift   Shift
	h, w, c int
}

// Shifted returns x (N, H, W) or (N, H, W, C) with every image moved by s
// as it is gathered: pixel (i, j) of the result is pixel (i-s.DY, j-s.DX)
// of the original, or 0 where that falls outside. A zero shift returns x
// itself. The view says what x says of itself (goras.FiniteData,
// goras.ConcurrentData), as both still hold: its values are x's and zeros,
// and its Gather may run on several goroutines at once when x's may, so a
// shifted view of mnist.Images is not looked over for NaN and is gathered
// by Predict's workers, as the images themselves are.
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
	return v, nil
}

func abs(n int) int { return max(n, -n) }

func (v *shifted) Shape() []int { return v.x.Shape() }

func (v *shifted) Gather(dst []float32, rows []int) {
	v.x.Gather(dst, rows)
	size := v.h * v.w * v.c
	for i := range rows {
		shiftImage(dst[i*size:(i+1)*size], v.h, v.w, v.c, v.shift)
	}
}

// Finite reports whether x says it holds no NaN or ±Inf
// (goras.FiniteData): moving its values and filling with 0 keeps that.
func (v *shifted) Finite() bool {
	f, ok := v.x.(goras.FiniteData)
	return ok && f.Finite()
}

// ConcurrentGather reports whether x's Gather may run on several
// goroutines at once (goras.ConcurrentData): the view's then may, as it
// writes only to its dst.
func (v *shifted) ConcurrentGather() bool {
	c, ok := v.x.(goras.ConcurrentData)
	return ok && c.ConcurrentGather()
}

// shiftImage moves img (h, w, c) by s in place, 0 where nothing moves in.
// Rows are moved in the order that reads each before it is written (from
// the bottom when moving down), a row's pixels by copy, which allows
// overlap, so no scratch image is needed.
func shiftImage(img []float32, h, w, c int, s Shift) {
	row := w * c
	j0, j1 := max(0, s.DX), min(w, w+s.DX) // the columns that receive pixels
	i0, i1 := max(0, s.DY), min(h, h+s.DY) // the rows that receive pixels
	move := func(i int) {
		to := img[i*row : (i+1)*row]
		from := (i-s.DY)*row + (j0-s.DX)*c
		copy(to[j0*c:j1*c], img[from:from+(j1-j0)*c])
		clear(to[:j0*c])
		clear(to[j1*c:])
	}
	if s.DY > 0 {
		for i := i1 - 1; i >= i0; i-- {
			move(i)
		}
	} else {
		for i := i0; i < i1; i++ {
			move(i)
		}
	}
	clear(img[:i0*row])
	clear(img[i1*row:])
}
