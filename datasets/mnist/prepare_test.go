package mnist

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras/internal/testdigits"
)

// stroke is a line segment in a unit box, (x0, y0) → (x1, y1), y down.
type stroke struct{ x0, y0, x1, y1 float64 }

// glyphs are thick-stroke digits drawn in a unit box.
var glyphs = map[string][]stroke{
	"1": {{0.5, 0, 0.5, 1}},
	"7": {{0, 0, 1, 0}, {1, 0, 0.35, 1}},
	"0": ellipse(0.5, 0.5, 0.5, 0.5, 24),
	"L": {{0, 0, 0, 1}, {0, 1, 0.6, 1}}, // lopsided: its centre of mass is far from its box's centre
}

func ellipse(cx, cy, rx, ry float64, n int) []stroke {
	var s []stroke
	for i := range n {
		a0, a1 := 2*math.Pi*float64(i)/float64(n), 2*math.Pi*float64(i+1)/float64(n)
		s = append(s, stroke{cx + rx*math.Cos(a0), cy + ry*math.Sin(a0), cx + rx*math.Cos(a1), cy + ry*math.Sin(a1)})
	}
	return s
}

// render draws glyph g on a w×h canvas of colour bg, the glyph's unit box
// mapped to the rectangle at (ox, oy) of size bw×bh, with strokes of
// radius r pixels, anti-aliased by distance (coverage = r + 0.5 - distance).
func render(g []stroke, w, h int, ox, oy, bw, bh, r float64, ink, bg color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			px, py := float64(x)+0.5, float64(y)+0.5
			d := math.Inf(1)
			for _, s := range g {
				d = min(d, segDist(px, py, ox+s.x0*bw, oy+s.y0*bh, ox+s.x1*bw, oy+s.y1*bh))
			}
			c := min(max(r+0.5-d, 0), 1)
			img.SetRGBA(x, y, mix(bg, ink, c))
		}
	}
	return img
}

func segDist(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = min(max(((px-ax)*dx+(py-ay)*dy)/l, 0), 1)
	}
	return math.Hypot(px-ax-t*dx, py-ay-t*dy)
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	f := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 255}
}

var (
	black  = color.RGBA{0, 0, 0, 255}
	white  = color.RGBA{255, 255, 255, 255}
	blue   = color.RGBA{30, 40, 200, 255}
	yellow = color.RGBA{250, 235, 90, 255}
	grey   = color.RGBA{90, 90, 90, 255}
	paper  = color.RGBA{225, 222, 215, 255}
)

// geometry measures a prepared 28×28 image: its centre of mass and the
// width and height of the box of non-zero pixels.
func geometry(x []float32) (cx, cy float64, bw, bh int) {
	var s float64
	x0, y0, x1, y1 := Side, Side, 0, 0
	for y := range Side {
		for xx := range Side {
			v := float64(x[y*Side+xx])
			s, cx, cy = s+v, cx+v*float64(xx), cy+v*float64(y)
			if v > 0 {
				x0, y0, x1, y1 = min(x0, xx), min(y0, y), max(x1, xx+1), max(y1, y+1)
			}
		}
	}
	return cx / s, cy / s, x1 - x0, y1 - y0
}

func TestPrepareImageGeometry(t *testing.T) {
	cases := []struct {
		name              string
		glyph             string
		w, h              int
		ox, oy, bw, bh, r float64
		ink, bg           color.RGBA
		wantW, wantH      int // expected ink box, ±1
	}{
		{"1 dark on white 100x100", "1", 100, 100, 30, 10, 0, 80, 5, black, white, 0, 20},
		{"7 white on black 100x100 offset", "7", 100, 100, 8, 40, 40, 50, 4, white, black, 0, 20},
		{"0 blue on yellow 13x40", "0", 13, 40, 3, 3, 7, 34, 1.2, blue, yellow, 0, 20},
		{"7 grey on paper wide", "7", 300, 90, 180, 10, 100, 60, 6, grey, paper, 20, 0},
		{"L lopsided", "L", 64, 64, 10, 10, 40, 40, 3, black, white, 0, 20},
		{"0 tiny 9x12", "0", 9, 12, 1.5, 1.5, 6, 9, 0.8, black, white, 0, 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img := render(glyphs[tc.glyph], tc.w, tc.h, tc.ox, tc.oy, tc.bw, tc.bh, tc.r, tc.ink, tc.bg)
			x, err := PrepareImage(img)
			if err != nil {
				t.Fatal(err)
			}
			if len(x) != Side*Side {
				t.Fatalf("len = %d, want %d", len(x), Side*Side)
			}
			cx, cy, bw, bh := geometry(x)
			if math.Abs(cx-Centre) > 0.5 || math.Abs(cy-Centre) > 0.5 {
				t.Errorf("centre of mass (%.2f, %.2f), want within 0.5 of (%d, %d)", cx, cy, Centre, Centre)
			}
			if max(bw, bh) != DigitBox {
				t.Errorf("ink box %d×%d, want the longer side %d", bw, bh, DigitBox)
			}
			// The stroke's aspect survives: a 7 drawn wide stays wide.
			if tc.wantW > 0 && bw < bh {
				t.Errorf("ink box %d×%d, want wider than tall", bw, bh)
			}
			if tc.wantH > 0 && bh < bw {
				t.Errorf("ink box %d×%d, want taller than wide", bw, bh)
			}
			var peak float32
			for _, v := range x {
				if v < 0 || v > 1 || math.Abs(float64(v)*255-math.Round(float64(v)*255)) > 1e-4 {
					t.Fatalf("value %v is not a multiple of 1/255 in [0, 1]", v)
				}
				peak = max(peak, v)
			}
			if peak < 0.9 {
				t.Errorf("strongest ink %v; the contrast stretch should bring it near 1", peak)
			}
			for _, i := range []int{0, Side - 1, Side * (Side - 1), Side*Side - 1} {
				if x[i] != 0 {
					t.Errorf("corner pixel %d = %v, want background 0", i, x[i])
				}
			}
		})
	}
}

// TestPrepareImageColoursAgree draws one digit in several colour schemes
// (light and dark backgrounds, coloured, transparent) and checks they all
// give the same input, within rounding of the anti-aliased edges.
func TestPrepareImageColoursAgree(t *testing.T) {
	draw := func(ink, bg color.RGBA) image.Image {
		return render(glyphs["7"], 120, 100, 30, 20, 50, 65, 5, ink, bg)
	}
	ref, err := PrepareImage(draw(white, black))
	if err != nil {
		t.Fatal(err)
	}
	// Black ink on a transparent background, as drawing programs save it.
	transparent := image.NewNRGBA(image.Rect(0, 0, 120, 100))
	src := draw(white, black)
	for y := range 100 {
		for x := range 120 {
			r, _, _, _ := src.At(x, y).RGBA()
			transparent.SetNRGBA(x, y, color.NRGBA{0, 0, 0, uint8(r >> 8)})
		}
	}
	others := map[string]image.Image{
		"black on white":       draw(black, white),
		"blue on yellow":       draw(blue, yellow),
		"yellow on blue":       draw(yellow, blue),
		"grey on paper":        draw(grey, paper),
		"black on transparent": transparent,
	}
	for name, img := range others {
		x, err := PrepareImage(img)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		worst := 0.0
		for i := range x {
			worst = max(worst, math.Abs(float64(x[i]-ref[i])))
		}
		if worst > 0.03 {
			t.Errorf("%s: differs from white on black by up to %.3f", name, worst)
		}
	}
}

func TestPrepareImageNoInk(t *testing.T) {
	flat := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for i := range flat.Pix {
		flat.Pix[i] = 200
	}
	faint := render(glyphs["1"], 50, 40, 10, 5, 0, 30, 3, color.RGBA{250, 250, 250, 255}, white)
	for name, img := range map[string]image.Image{
		"flat":  flat,
		"faint": faint, // contrast 5/255
		"empty": image.NewGray(image.Rect(0, 0, 0, 0)),
	} {
		_, err := PrepareImage(img)
		if !errors.Is(err, ErrNoInk) || !strings.HasPrefix(err.Error(), "mnist: PrepareImage: no ink found") {
			t.Errorf("%s: err = %v, want ErrNoInk", name, err)
		}
	}
}

// TestLoadImageFormats writes one digit as PNG, JPEG, GIF and a grey PNG and
// loads each: the lossless ones give exactly PrepareImage's result, JPEG
// nearly.
func TestLoadImageFormats(t *testing.T) {
	dir := t.TempDir()
	img := render(glyphs["0"], 60, 80, 12, 10, 30, 55, 3, black, white)
	want, err := PrepareImage(img)
	if err != nil {
		t.Fatal(err)
	}
	gray := image.NewGray(img.Bounds())
	for y := range 80 {
		for x := range 60 {
			gray.Set(x, y, img.At(x, y))
		}
	}
	// A GIF with a 256-grey palette holds the grey image exactly.
	greys := make(color.Palette, 256)
	for i := range greys {
		greys[i] = color.Gray{uint8(i)}
	}
	paletted := image.NewPaletted(img.Bounds(), greys)
	for i, v := range gray.Pix {
		paletted.Pix[i] = v
	}
	files := map[string]struct {
		write func(*bytes.Buffer) error
		tol   float64
	}{
		"digit.png":  {func(b *bytes.Buffer) error { return png.Encode(b, img) }, 0},
		"gray.png":   {func(b *bytes.Buffer) error { return png.Encode(b, gray) }, 1.0 / 255},
		"digit.gif":  {func(b *bytes.Buffer) error { return gif.Encode(b, paletted, nil) }, 1.0 / 255},
		"digit.jpg":  {func(b *bytes.Buffer) error { return jpeg.Encode(b, img, &jpeg.Options{Quality: 90}) }, 0.15},
		"noext.data": {func(b *bytes.Buffer) error { return png.Encode(b, img) }, 0}, // the content decides, not the name
	}
	var paths []string
	for name, f := range files {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		got, err := LoadImage(p)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		worst := 0.0
		for i := range got {
			worst = max(worst, math.Abs(float64(got[i]-want[i])))
		}
		if worst > f.tol {
			t.Errorf("%s: differs from PrepareImage by up to %.4f, want ≤ %.4f", name, worst, f.tol)
		}
	}
	stack, err := LoadImages(paths...)
	if err != nil {
		t.Fatal(err)
	}
	if s := stack.Shape(); len(s) != 3 || s[0] != len(paths) || s[1] != Side || s[2] != Side {
		t.Errorf("LoadImages shape %v", s)
	}
}

func TestLoadImageErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var blank bytes.Buffer
	png.Encode(&blank, image.NewGray(image.Rect(0, 0, 30, 30)))
	var good bytes.Buffer
	png.Encode(&good, render(glyphs["1"], 30, 30, 5, 5, 0, 20, 2, black, white))
	truncated := good.Bytes()[:good.Len()/2]
	cases := []struct {
		path string
		want []string
	}{
		{filepath.Join(dir, "missing.png"), []string{"mnist:", "missing.png", "no such file"}},
		{write("text.png", []byte("this is not an image")), []string{"text.png", "not a readable PNG, JPEG or GIF"}},
		{write("blank.png", blank.Bytes()), []string{"blank.png", "no ink found"}},
		{write("half.png", truncated), []string{"half.png", "broken png image"}},
	}
	for _, tc := range cases {
		_, err := LoadImage(tc.path)
		if err == nil {
			t.Errorf("%s: no error", tc.path)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", filepath.Base(tc.path), err, w)
			}
		}
	}
	if _, err := LoadImages(cases[1].path); err == nil {
		t.Error("LoadImages of a text file: no error")
	}
}

func correlation(a []float32, b []uint8) float64 {
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i]) / 255
	}
	ma, mb = ma/float64(len(a)), mb/float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		da, db := float64(a[i])-ma, float64(b[i])/255-mb
		sab, saa, sbb = sab+da*db, saa+da*da, sbb+db*db
	}
	return sab / math.Sqrt(saa*sbb)
}

// TestPrepareImageRealDigits re-renders 20 real test digits at 3× on larger
// canvases, off-centre, in four colour schemes, and checks PrepareImage
// brings them back close to the originals.
func TestPrepareImageRealDigits(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the real MNIST; skipped with -short")
	}
	_, test, err := LoadData()
	if err != nil {
		t.Fatal(err)
	}
	schemes := [][2]color.RGBA{{black, white}, {white, black}, {blue, yellow}, {grey, paper}}
	sum, worst := 0.0, 1.0
	for i := range 20 {
		px := test.X.Image(i)
		s := schemes[i%len(schemes)]
		img := testdigits.Picture(px, 3, 90+7*i, 130-i, 5+2*i, 40-i, s[0], s[1])
		x, err := PrepareImage(img)
		if err != nil {
			t.Fatalf("digit %d: %v", i, err)
		}
		r := correlation(x, px)
		sum += r
		// A digit whose centre of mass sits near a half pixel may be
		// rounded the other way than MNIST did: allow a 1-pixel shift.
		best := r
		for _, d := range [][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
			best = max(best, correlation(shift(x, d[0], d[1]), px))
		}
		worst = min(worst, best)
		if best < 0.85 {
			t.Errorf("digit %d (a %d): correlation with the original %.3f (%.3f at the best 1-pixel shift)", i, test.Y[i], r, best)
		}
	}
	t.Logf("correlation with the originals: mean %.3f; worst %.3f after a shift of at most 1 pixel", sum/20, worst)
	if sum/20 < 0.9 {
		t.Errorf("mean correlation %.3f, want ≥ 0.9", sum/20)
	}
}

// shift moves a 28×28 image by (dx, dy) pixels, filling with 0.
func shift(x []float32, dx, dy int) []float32 {
	out := make([]float32, len(x))
	for y := range Side {
		for xx := range Side {
			tx, ty := xx+dx, y+dy
			if tx >= 0 && ty >= 0 && tx < Side && ty < Side {
				out[ty*Side+tx] = x[y*Side+xx]
			}
		}
	}
	return out
}

// pngChunk is one PNG chunk: length, type, data, CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// A PNG header claiming 64 megapixels of 16-bit RGBA in a 72-byte file is
// refused before the decoder allocates the 512 MB picture.
func TestLoadImageHostileHeader(t *testing.T) {
	ihdr := binary.BigEndian.AppendUint32(nil, 8192)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 8192)
	ihdr = append(ihdr, 16, 6, 0, 0, 0) // 16-bit RGBA, no interlace
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 100)) // the first rows only
	zw.Close()
	file := append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
	file = append(file, pngChunk("IDAT", z.Bytes())...)
	file = append(file, pngChunk("IEND", nil)...)
	p := filepath.Join(t.TempDir(), "bomb.png")
	os.WriteFile(p, file, 0o644)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := LoadImage(p)
	runtime.ReadMemStats(&after)
	want := fmt.Sprintf("mnist: %s claims 8192×8192 pixels, more than a file of %d bytes can encode: it is truncated or corrupt", p, len(file))
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("allocated %d bytes, want under 1 MiB", got)
	}
}

// endless is a picture of w×h white pixels that stores none of them.
type endless struct{ w, h int }

func (e endless) ColorModel() color.Model { return color.GrayModel }
func (e endless) Bounds() image.Rectangle { return image.Rect(0, 0, e.w, e.h) }
func (e endless) At(x, y int) color.Color { return color.White }

// Pictures whose pixel count overflows an int (w·h wraps to 0 or below)
// are refused as too large, not taken for empty sizes that panic later:
// image.Uniform's bounds are 2e9×2e9, which wraps on 32-bit platforms.
func TestPrepareImageHugeBounds(t *testing.T) {
	side := 1 << (strconv.IntSize / 2) // side·side is 2^IntSize, 0 as an int
	for name, img := range map[string]image.Image{
		"uniform":   image.NewUniform(color.White),
		"2^64 wrap": endless{side, side},
	} {
		_, err := PrepareImage(img)
		if err == nil || !strings.Contains(err.Error(), "at most 64 megapixels are taken") {
			t.Errorf("%s: err = %v, want the size refused", name, err)
		}
	}
}
