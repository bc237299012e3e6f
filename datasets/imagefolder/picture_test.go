package imagefolder

import (
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// LoadImage gives a picture as Load's batches give it, for every colour
// mode and resizing: the two share one decoder, which resize_test.go holds
// against TensorFlow's numbers.
func TestLoadImageIsLoadsPicture(t *testing.T) {
	dir := t.TempDir()
	g := image.NewNRGBA(image.Rect(0, 0, 7, 5))
	for y := range 5 {
		for x := range 7 {
			g.Set(x, y, color.NRGBA{uint8(30 * x), uint8(50 * y), uint8(9 * x * y), uint8(255 - 20*x)})
		}
	}
	pic := filepath.Join(dir, "b", "grad.png")
	save(t, pic, g)
	save(t, filepath.Join(dir, "a", "one.png"), solid(3, 3, color.White))
	for _, opts := range [][]Option{
		{ImageSize(4, 6)},
		{ImageSize(10, 3), ColorMode("grayscale"), Interpolation("nearest")},
		{ImageSize(5, 5), ColorMode("rgba"), CropToAspectRatio(true), Rescale(1)},
		{ImageSize(3, 9), PadToAspectRatio(true)},
	} {
		d, err := Load(dir, append(opts, Shuffle(false))...)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := gather(d)
		want := x[len(x)/2:] // b/grad.png comes second
		got, err := LoadImage(pic, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("LoadImage: %d values, Load %d", len(got), len(want))
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("value %d: LoadImage %v, Load %v", i, got[i], want[i])
			}
		}
		b, err := os.ReadFile(pic)
		if err != nil {
			t.Fatal(err)
		}
		fromBytes, err := DecodeImage(b, "upload.png", opts...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Float32bits(fromBytes[i]) != math.Float32bits(want[i]) {
				t.Fatalf("value %d: DecodeImage %v, Load %v", i, fromBytes[i], want[i])
			}
		}
	}
	if _, err := DecodeImage([]byte("not a picture"), "upload.png"); err == nil || !strings.Contains(err.Error(), "imagefolder: upload.png: not a PNG, JPEG or GIF picture") {
		t.Errorf("DecodeImage of text: %v, want the name and what is wrong", err)
	}
}

func TestLoadImageErrors(t *testing.T) {
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.png")
	writeFile(t, notes, "not a picture")
	cases := []struct {
		path string
		opts []Option
		want string
	}{
		{notes, nil, "imagefolder: " + notes + ": not a PNG, JPEG or GIF picture that Go can read"},
		{filepath.Join(dir, "missing.png"), nil, "missing.png: no such file"},
		{notes, []Option{ColorMode("cmyk")}, `ColorMode("cmyk")`},
	}
	for _, c := range cases {
		if _, err := LoadImage(c.path, c.opts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadImage(%s): %v, want %q", c.path, err, c.want)
		}
	}
}
