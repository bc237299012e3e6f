package imagefolder

import "math"

// pixels is an image as bytes: h rows of w pixels of c channels.
type pixels struct {
	h, w, c int
	v       []uint8
}

// resize writes src resized to dst's size into dst, as TensorFlow's
// tf.image.resize does for Keras (half-pixel centres, no antialiasing):
// output pixel i samples the input at (i + 0.5)·in/out - 0.5. Bilinear
// interpolates the four neighbours of that point (clamped at the edges);
// nearest takes the pixel under (i + 0.5)·in/out. Values are rounded to
// the nearest byte.
func resize(dst, src pixels, bilinear bool) {
	ys := samples(dst.h, src.h, bilinear)
	xs := samples(dst.w, src.w, bilinear)
	c := src.c
	for i, y := range ys {
		top, bot := src.v[y.lo*src.w*c:], src.v[y.hi*src.w*c:]
		out := dst.v[i*dst.w*c : (i+1)*dst.w*c]
		for j, x := range xs {
			for k := 0; k < c; k++ {
				a, b := float32(top[x.lo*c+k]), float32(top[x.hi*c+k])
				d, e := float32(bot[x.lo*c+k]), float32(bot[x.hi*c+k])
				upper := a + (b-a)*x.frac
				lower := d + (e-d)*x.frac
				out[j*c+k] = uint8(upper + (lower-upper)*y.frac + 0.5)
			}
		}
	}
}

// sample is where one output row or column reads: between input lo and hi,
// frac of the way to hi.
type sample struct {
	lo, hi int
	frac   float32
}

// samples computes, once per resize, the input positions of out outputs
// over in inputs, in float32 as TensorFlow's kernel does.
func samples(out, in int, bilinear bool) []sample {
	s := make([]sample, out)
	scale := float32(in) / float32(out)
	for i := range s {
		if !bilinear {
			n := min(int(math.Floor(float64((float32(i)+0.5)*scale))), in-1)
			s[i] = sample{lo: n, hi: n}
			continue
		}
		p := (float32(i)+0.5)*scale - 0.5
		f := float32(math.Floor(float64(p)))
		lo := max(int(f), 0)
		hi := min(int(math.Ceil(float64(p))), in-1)
		s[i] = sample{lo: min(lo, in-1), hi: max(hi, 0), frac: p - f}
	}
	return s
}

// cropBox returns the largest centred box of src with the aspect ratio of
// h×w, as Keras's smart_resize computes it.
func cropBox(srcH, srcW, h, w int) (top, left, ch, cw int) {
	// Multiplied as floats: srcW·h reaches 2^40 (2^26 pixels wide, 2^14
	// high), past a 32-bit int.
	ch = max(min(srcH, int(float64(srcW)*float64(h)/float64(w))), 1)
	cw = max(min(srcW, int(float64(srcH)*float64(w)/float64(h))), 1)
	return int(float64(srcH-ch) / 2), int(float64(srcW-cw) / 2), ch, cw
}

// crop copies the box of src into a new image.
func crop(src pixels, top, left, h, w int) pixels {
	out := pixels{h: h, w: w, c: src.c, v: make([]uint8, h*w*src.c)}
	for y := range h {
		row := src.v[((top+y)*src.w+left)*src.c:]
		copy(out.v[y*w*src.c:(y+1)*w*src.c], row[:w*src.c])
	}
	return out
}

// resizeWithPad resizes src to fit inside dst keeping its aspect ratio and
// centres it on zeros, as tf.image.resize_with_pad (Keras's
// pad_to_aspect_ratio).
func resizeWithPad(dst, src pixels, bilinear bool) {
	ratio := max(float64(src.w)/float64(dst.w), float64(src.h)/float64(dst.h))
	fh, fw := float64(src.h)/ratio, float64(src.w)/ratio
	rh := max(min(int(math.Floor(fh)), dst.h), 1)
	rw := max(min(int(math.Floor(fw)), dst.w), 1)
	// The offsets come from the unrounded sizes, as TensorFlow computes them.
	top := min(max(int(math.Floor((float64(dst.h)-fh)/2)), 0), dst.h-rh)
	left := min(max(int(math.Floor((float64(dst.w)-fw)/2)), 0), dst.w-rw)
	inner := pixels{h: rh, w: rw, c: src.c, v: make([]uint8, rh*rw*src.c)}
	resize(inner, src, bilinear)
	clear(dst.v)
	for y := range rh {
		copy(dst.v[((top+y)*dst.w+left)*dst.c:], inner.v[y*rw*src.c:(y+1)*rw*src.c])
	}
}
