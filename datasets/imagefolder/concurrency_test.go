package imagefolder

import (
	"path/filepath"
	"strings"
	"testing"
)

// A panic while decoding (a decoder's bug, made here by a config that
// disagrees with the buffers: 4 rows written into pictures of 3) happens
// on the goroutines that Verify and Gather start. It comes back to the
// caller as an error naming the file, and from Gather as a panic on the
// caller's goroutine, which Fit's recover reports, instead of ending the
// process from a goroutine no recover can reach.
func TestDecodePanicComesBack(t *testing.T) {
	dir := zoo(t)
	d, err := Load(dir, ImageSize(3, 3), Shuffle(false), CacheBytes(1)) // headers only: nothing decoded yet
	if err != nil {
		t.Fatal(err)
	}
	d.X.cfg.height = 4
	first := filepath.Join(dir, "cats", "a.png")
	wantErr(t, d.X.Verify(), "imagefolder: 6 of 6 pictures cannot be read", first+": panic while reading the picture", "out of range")
	if n := strings.Count(d.X.Verify().Error(), "[running]"); n != 1 {
		t.Errorf("the error holds %d stacks, want the first panic's only", n)
	}

	defer func() {
		r := recover()
		if s, ok := r.(string); !ok || !strings.Contains(s, first+": panic while reading the picture") {
			t.Errorf("Gather of pictures whose decoding panics: panic %v, want one naming %s", r, first)
		}
	}()
	d.X.Gather(make([]float32, 2*27), []int{0, 1})
}
