package imagefolder

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refBilinear is TensorFlow's half-pixel bilinear resize in float64,
// written from its definition: output (i, j) samples the input at
// ((i+0.5)·H/h - 0.5, (j+0.5)·W/w - 0.5), clamped to the edges.
func refBilinear(src []float64, sh, sw, h, w int) []float64 {
	out := make([]float64, h*w)
	at := func(y, x int) float64 {
		y = min(max(y, 0), sh-1)
		x = min(max(x, 0), sw-1)
		return src[y*sw+x]
	}
	for i := range h {
		py := (float64(i)+0.5)*float64(sh)/float64(h) - 0.5
		y0 := math.Floor(py)
		fy := py - y0
		for j := range w {
			px := (float64(j)+0.5)*float64(sw)/float64(w) - 0.5
			x0 := math.Floor(px)
			fx := px - x0
			top := at(int(y0), int(x0))*(1-fx) + at(int(y0), int(x0)+1)*fx
			bot := at(int(y0)+1, int(x0))*(1-fx) + at(int(y0)+1, int(x0)+1)*fx
			out[i*w+j] = top*(1-fy) + bot*fy
		}
	}
	return out
}

func TestResizeMatchesTensorFlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range [][4]int{{5, 7, 3, 4}, {3, 4, 8, 5}, {6, 6, 6, 6}, {1, 9, 4, 2}, {28, 28, 13, 17}} {
		sh, sw, h, w := c[0], c[1], c[2], c[3]
		src := pixels{h: sh, w: sw, c: 1, v: make([]uint8, sh*sw)}
		ref := make([]float64, sh*sw)
		for i := range src.v {
			src.v[i] = uint8(rng.IntN(256))
			ref[i] = float64(src.v[i])
		}
		dst := pixels{h: h, w: w, c: 1, v: make([]uint8, h*w)}
		resize(dst, src, true)
		for i, want := range refBilinear(ref, sh, sw, h, w) {
			if math.Abs(float64(dst.v[i])-want) > 0.5+1e-3 {
				t.Errorf("%v: pixel %d = %d, reference %.4f", c, i, dst.v[i], want)
			}
		}
	}
	// By hand: [[0, 100], [200, 255]] doubled. Output (1, 1) samples
	// (0.25, 0.25): top 0+100·0.25 = 25, bottom 200+55·0.25 = 213.75,
	// 25 + 188.75·0.25 = 72.19 → 72; output (0, 0) samples (-0.25, -0.25),
	// clamped to pixel (0, 0).
	src := pixels{h: 2, w: 2, c: 1, v: []uint8{0, 100, 200, 255}}
	dst := pixels{h: 4, w: 4, c: 1, v: make([]uint8, 16)}
	resize(dst, src, true)
	if dst.v[5] != 72 || dst.v[0] != 0 || dst.v[15] != 255 {
		t.Errorf("2×2 doubled: %v", dst.v)
	}
	// Nearest halves a 4×4 by taking rows and columns floor((i+0.5)·2) = 1, 3.
	src = pixels{h: 4, w: 4, c: 1, v: make([]uint8, 16)}
	for i := range src.v {
		src.v[i] = uint8(i)
	}
	dst = pixels{h: 2, w: 2, c: 1, v: make([]uint8, 4)}
	resize(dst, src, false)
	if dst.v[0] != 5 || dst.v[1] != 7 || dst.v[2] != 13 || dst.v[3] != 15 {
		t.Errorf("nearest 4×4 → 2×2: %v", dst.v)
	}
}

// Crop keeps the centred box of the target's aspect ratio; pad fits the
// picture inside and centres it on zeros, as Keras's options do.
func TestCropAndPad(t *testing.T) {
	// 2×4, columns 0..3 = 10, 20, 30, 40.
	src := pixels{h: 2, w: 4, c: 1, v: []uint8{10, 20, 30, 40, 10, 20, 30, 40}}
	top, left, h, w := cropBox(2, 4, 2, 2)
	if top != 0 || left != 1 || h != 2 || w != 2 {
		t.Fatalf("cropBox(2, 4 → 2, 2) = %d, %d, %d, %d; want 0, 1, 2, 2", top, left, h, w)
	}
	// A panorama of 2^23×2 pixels to 256×256: 2^23·256 overflows a
	// 32-bit int, which cropped it to one row.
	if top, left, h, w := cropBox(2, 1<<23, 256, 256); top != 0 || left != (1<<23-2)/2 || h != 2 || w != 2 {
		t.Errorf("cropBox(2, 2^23 → 256, 256) = %d, %d, %d, %d; want 0, %d, 2, 2", top, left, h, w, (1<<23-2)/2)
	}
	out := pixels{h: 2, w: 2, c: 1, v: make([]uint8, 4)}
	resize(out, crop(src, top, left, h, w), true)
	if out.v[0] != 20 || out.v[1] != 30 {
		t.Errorf("cropped: %v, want columns 20, 30", out.v)
	}
	padded := pixels{h: 4, w: 4, c: 1, v: make([]uint8, 16)}
	for i := range padded.v {
		padded.v[i] = 99
	}
	resizeWithPad(padded, src, true)
	want := []uint8{0, 0, 0, 0, 10, 20, 30, 40, 10, 20, 30, 40, 0, 0, 0, 0}
	for i := range want {
		if padded.v[i] != want[i] {
			t.Fatalf("padded: %v, want %v", padded.v, want)
		}
	}
}
