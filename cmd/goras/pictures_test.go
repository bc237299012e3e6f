package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/internal/testdigits"
)

// Pictures for the tests: writing PNG files (writePNG, barPicture,
// renderDigits) and checking the ones goras draws (readPicture).

// writePNG writes img to path.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// barPicture writes a 40×40 PNG of a dark bar on white paper, which
// predict reads as a digit (a 1, more or less).
func barPicture(t *testing.T, path string) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 6; y < 34; y++ {
		for x := 18; x < 23; x++ {
			img.SetGray(x, y, color.Gray{0})
		}
	}
	writePNG(t, path, img)
}

// readPicture decodes a PNG and checks it is at least w×h pixels and not
// one flat colour.
func readPicture(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a valid PNG: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() < w || b.Dy() < h {
		t.Errorf("%s is %d×%d pixels, want at least %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	first := img.At(b.Min.X, b.Min.Y)
	flat := true
	for y := b.Min.Y; y < b.Max.Y && flat; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			if img.At(x, y) != first {
				flat = false
				break
			}
		}
	}
	if flat {
		t.Errorf("%s is one flat colour", path)
	}
	return img
}

// renderDigits saves test digits first..first+n-1 as PNG pictures at other
// sizes (×2 to ×5: 56 to 140 pixels), colours and offsets, and returns the
// paths and the true classes.
func renderDigits(t *testing.T, dir string, test mnist.Dataset, first, n int) (paths []string, want []int) {
	t.Helper()
	schemes := [][2]color.RGBA{
		{{0, 0, 0, 255}, {255, 255, 255, 255}},    // pencil on paper
		{{255, 255, 255, 255}, {0, 0, 0, 255}},    // chalk on a board
		{{30, 40, 200, 255}, {250, 235, 90, 255}}, // blue on yellow
		{{70, 60, 50, 255}, {230, 225, 210, 255}}, // grey on cream
	}
	for j := range n {
		i := first + j
		k := 2 + i%4
		s := schemes[i%len(schemes)]
		img := testdigits.Picture(test.X.Image(i), k, 28*k+13*(i%5)+7, 28*k+9*(i%3)+5, 3+3*(i%5), 2+4*(i%3), s[0], s[1])
		p := filepath.Join(dir, fmt.Sprintf("digit%02d.png", i))
		writePNG(t, p, img)
		paths = append(paths, p)
		want = append(want, int(test.Y[i]))
	}
	return paths, want
}
