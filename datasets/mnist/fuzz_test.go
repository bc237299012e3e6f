package mnist

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/goras-ml/goras/datasets/internal/idx"
)

// Fuzz targets for every reader of outside bytes in this package. Seeds
// live in testdata/fuzz/<target>; run one with e.g.
//
//	go test -run XXX -fuzz '^FuzzReadIDX$' -fuzztime 1m ./datasets/mnist/

// checkIDX reads data as images and as labels, from a reader that tells
// its size and from a stream that does not, and checks that both agree and
// that what they accept is consistent.
func checkIDX(t *testing.T, data []byte) {
	im, err := ReadImages(bytes.NewReader(data), "f")
	im2, err2 := ReadImages(stream{bytes.NewReader(data)}, "f")
	if (err == nil) != (err2 == nil) {
		t.Fatalf("images: sized reader says %v, stream says %v", err, err2)
	}
	if err == nil {
		if len(im.Pixels) != im.N*im.Rows*im.Cols || !bytes.Equal(im.Pixels, im2.Pixels) {
			t.Fatalf("images: %d×%d×%d with %d pixels, stream %d", im.N, im.Rows, im.Cols, len(im.Pixels), len(im2.Pixels))
		}
		if !isGzip(data) && !bytes.Equal(im.Pixels, data[16:]) {
			t.Fatal("images: pixels are not the bytes after the header")
		}
	}
	l, err := ReadLabels(bytes.NewReader(data), "f")
	l2, err2 := ReadLabels(stream{bytes.NewReader(data)}, "f")
	if (err == nil) != (err2 == nil) {
		t.Fatalf("labels: sized reader says %v, stream says %v", err, err2)
	}
	if err == nil {
		if !bytes.Equal(l, l2) {
			t.Fatal("labels: the stream read other labels")
		}
		for _, v := range l {
			if v > 9 {
				t.Fatalf("accepted label %d", v)
			}
		}
	}
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// FuzzReadIDX feeds arbitrary bytes, raw IDX or gzip, to both readers.
func FuzzReadIDX(f *testing.F) {
	f.Add(imagesIDX(2, 3, 4))
	f.Add(labelsIDX(1, 2, 3))
	f.Add(gz(labelsIDX(9, 0)))
	f.Fuzz(func(t *testing.T, data []byte) { checkIDX(t, data) })
}

// FuzzReadIDXGzip gzips its input first, so that the mutations explore the
// IDX layer behind gzip rather than the gzip format, and checks that the
// gzipped and raw readings agree.
func FuzzReadIDXGzip(f *testing.F) {
	f.Add(imagesIDX(2, 3, 4))
	f.Add(labelsIDX(1, 2, 3))
	f.Add(idxFile(idx.ImagesMagic, []int{60000, 28, 28}, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		if isGzip(data) {
			return // read raw, this would be gunzipped: another target's case
		}
		z := gz(data)
		checkIDX(t, z)
		_, errRaw := ReadImages(bytes.NewReader(data), "f")
		_, errGz := ReadImages(bytes.NewReader(z), "f")
		if (errRaw == nil) != (errGz == nil) {
			t.Fatalf("raw says %v, gzipped says %v", errRaw, errGz)
		}
		_, errRaw = ReadLabels(bytes.NewReader(data), "f")
		_, errGz = ReadLabels(bytes.NewReader(z), "f")
		if (errRaw == nil) != (errGz == nil) {
			t.Fatalf("labels: raw says %v, gzipped says %v", errRaw, errGz)
		}
	})
}

// checkDigit asserts what PrepareImage promises of an input it accepts.
func checkDigit(t *testing.T, x []float32) {
	t.Helper()
	if len(x) != Side*Side {
		t.Fatalf("%d values, want %d", len(x), Side*Side)
	}
	for i, v := range x {
		if !(v >= 0 && v <= 1) || v != scale255[int(v*255+0.5)] {
			t.Fatalf("value %d is %v, want a multiple of 1/255 in [0, 1]", i, v)
		}
	}
}

// FuzzDecodeImage feeds arbitrary bytes to LoadImage's decoder: PNG, GIF
// or JPEG, broken or not.
func FuzzDecodeImage(f *testing.F) {
	img := image.NewGray(image.Rect(0, 0, 12, 9))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 2; y < 7; y++ {
		img.Pix[y*12+5] = 0
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	f.Add(bytes.Clone(b.Bytes()))
	b.Reset()
	gif.Encode(&b, img, nil)
	f.Add(bytes.Clone(b.Bytes()))
	b.Reset()
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	f.Add(bytes.Clone(b.Bytes()))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := decodeImage(bytes.NewReader(data), "f")
		if err == nil {
			checkDigit(t, x)
		}
	})
}

// FuzzPrepareImage runs PrepareImage on arbitrary small pictures, with
// and without transparency.
func FuzzPrepareImage(f *testing.F) {
	f.Add(uint8(3), []byte{255, 0, 255, 255, 0, 255, 255, 0, 255}, false)
	f.Add(uint8(2), []byte{0, 0, 0, 255, 255, 255, 255, 0}, true)
	f.Fuzz(func(t *testing.T, w uint8, pix []byte, alpha bool) {
		if w == 0 {
			return
		}
		var img image.Image
		if alpha {
			h := len(pix) / 4 / int(w)
			m := image.NewNRGBA(image.Rect(0, 0, int(w), h))
			copy(m.Pix, pix)
			img = m
		} else {
			h := len(pix) / int(w)
			m := image.NewGray(image.Rect(0, 0, int(w), h))
			copy(m.Pix, pix)
			img = m
		}
		x, err := PrepareImage(img)
		if err == nil {
			checkDigit(t, x)
		}
	})
}
