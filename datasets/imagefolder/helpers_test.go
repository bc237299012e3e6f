package imagefolder

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// solid is a w×h picture of one colour.
func solid(w, h int, c color.Color) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, c)
		}
	}
	return m
}

// save writes m to path (its folder made), encoded by the extension.
func save(t testing.TB, path string, m image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		err = png.Encode(f, m)
	case ".jpg", ".jpeg":
		err = jpeg.Encode(f, m, &jpeg.Options{Quality: 100})
	case ".gif":
		err = gif.Encode(f, m, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gather returns every picture of d's X and every label, as floats.
func gather(d *Dataset) (x, y []float32) {
	n := d.X.Shape()[0]
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	per := d.X.size
	x = make([]float32, n*per)
	d.X.Gather(x, rows)
	ys := d.Y.Shape()
	k := 1
	if len(ys) == 2 {
		k = ys[1]
	}
	y = make([]float32, n*k)
	d.Y.Gather(y, rows)
	return x, y
}

// bombPNG is a 59-byte PNG whose header claims side×side pixels of 16-bit
// RGBA (8 bytes each) and whose data stops after the zlib header.
func bombPNG(side uint32) []byte { return headerPNG(side, side) }

// headerPNG is a 59-byte PNG whose header claims w×h pixels of 16-bit RGBA
// and whose data stops after the zlib header: what Load checks of a
// picture too large to decode, without the seconds of encoding a real one.
func headerPNG(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		b = append(append(b, typ...), data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 16, 6, 0, 0, 0) // 16-bit RGBA, no interlace
	b := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	b = append(b, chunk("IDAT", []byte{0x78, 0x9c})...)
	return append(b, chunk("IEND", nil)...)
}
