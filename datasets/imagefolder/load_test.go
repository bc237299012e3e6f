package imagefolder

import (
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// zoo makes a folder of three classes of one-colour pictures of mixed
// sizes and formats: cats (3 red PNGs), dogs (2 grey JPEGs, one in a
// subfolder), owls (1 blue GIF), plus files Keras and goras ignore.
func zoo(t *testing.T) string {
	dir := t.TempDir()
	red, grey, blue := color.NRGBA{255, 0, 0, 255}, color.NRGBA{128, 128, 128, 255}, color.NRGBA{0, 0, 255, 255}
	save(t, filepath.Join(dir, "cats", "a.png"), solid(6, 4, red))
	save(t, filepath.Join(dir, "cats", "b.png"), solid(3, 9, red))
	save(t, filepath.Join(dir, "cats", "c.PNG"), solid(5, 5, red))
	save(t, filepath.Join(dir, "dogs", "z.jpg"), solid(10, 10, grey))
	save(t, filepath.Join(dir, "dogs", "more", "a.jpeg"), solid(7, 3, grey))
	save(t, filepath.Join(dir, "owls", "o.gif"), solid(8, 8, blue))
	writeFile(t, filepath.Join(dir, "cats", "notes.txt"), "not a picture")
	writeFile(t, filepath.Join(dir, ".hidden", "x.png"), "ignored folder")
	return dir
}

func TestLoadFolder(t *testing.T) {
	dir := zoo(t)
	var log strings.Builder
	d, err := Load(dir, ImageSize(4, 3), ColorMode("grayscale"), Shuffle(false), Logger(&log))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.ClassNames, []string{"cats", "dogs", "owls"}) || !slices.Equal(d.X.Shape(), []int{6, 4, 3, 1}) {
		t.Fatalf("classes %v, shape %v", d.ClassNames, d.X.Shape())
	}
	// Keras's order: by folder, a folder's own files before its subfolders'.
	rel := func(p string) string { r, _ := filepath.Rel(dir, p); return r }
	var got []string
	for _, p := range d.X.Paths() {
		got = append(got, rel(p))
	}
	want := []string{"cats/a.png", "cats/b.png", "cats/c.PNG", "dogs/z.jpg", "dogs/more/a.jpeg", "owls/o.gif"}
	if !slices.Equal(got, want) || !slices.Equal(d.Y.Indices(), []int{0, 0, 0, 1, 1, 2}) {
		t.Errorf("paths %v labels %v, want %v", got, d.Y.Indices(), want)
	}
	if log.String() != "Found 6 files belonging to 3 classes.\n" {
		t.Errorf("log %q", log.String())
	}
	x, y := gather(d)
	// Luma (19595 R + 38470 G + 7471 B) / 65536: red 76, grey 128, blue 29;
	// a one-colour picture stays one colour whatever its size.
	for i, v := range []float32{76, 76, 76, 128, 128, 29} {
		for _, got := range x[i*12 : (i+1)*12] {
			if d := got*255 - v; d > 1.01 || d < -1.01 { // JPEG may be off by one
				t.Fatalf("picture %d: value %v, want %v/255", i, got, v)
			}
		}
	}
	if !slices.Equal(y, []float32{0, 0, 0, 1, 1, 2}) {
		t.Errorf("labels %v", y)
	}
}

func TestColorModesAndLabelModes(t *testing.T) {
	dir := zoo(t)
	d, err := Load(dir, ImageSize(2, 2), ColorMode("rgba"), LabelMode("categorical"), Shuffle(false), Rescale(1))
	if err != nil {
		t.Fatal(err)
	}
	x, y := gather(d)
	if got := x[:4]; !slices.Equal(got, []float32{255, 0, 0, 255}) {
		t.Errorf("first red pixel, RGBA 0..255: %v", got)
	}
	if owl := x[5*16 : 5*16+4]; !slices.Equal(owl, []float32{0, 0, 255, 255}) {
		t.Errorf("GIF pixel %v", owl)
	}
	if !slices.Equal(d.Y.Shape(), []int{6, 3}) || !slices.Equal(y[9:12], []float32{0, 1, 0}) {
		t.Errorf("one-hot labels %v %v", d.Y.Shape(), y)
	}
	// Binary labels need two classes.
	_, err = Load(dir, LabelMode("binary"))
	wantErr(t, err, "LabelMode(\"binary\") needs exactly 2 classes", "has 3 ([cats dogs owls])")
	two, err := Load(dir, ClassNames("owls", "cats"), LabelMode("binary"), ImageSize(1, 1), Shuffle(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, y := gather(two); !slices.Equal(two.Y.Shape(), []int{4, 1}) || !slices.Equal(y, []float32{0, 1, 1, 1}) {
		t.Errorf("binary labels %v %v (owls first, as ClassNames ordered them)", two.Y.Shape(), y)
	}
}

// TestSplit checks Keras's subset semantics: the same seed gives the same
// shuffle, validation is its last int(0.25·N) pictures, the subsets are
// disjoint and cover the folder, and LoadSplit agrees with two Loads.
func TestSplit(t *testing.T) {
	dir := t.TempDir()
	for i := range 9 {
		class := []string{"a", "b", "c"}[i%3]
		save(t, filepath.Join(dir, class, string(rune('a'+i))+".png"), solid(2, 2, color.Gray{uint8(i * 20)}))
	}
	opts := []Option{ImageSize(2, 2), ValidationSplit(0.25), Seed(7)}
	train, err := Load(dir, append(opts, Subset("training"))...)
	if err != nil {
		t.Fatal(err)
	}
	val, err := Load(dir, append(opts, Subset("validation"))...)
	if err != nil {
		t.Fatal(err)
	}
	if train.X.Shape()[0] != 7 || val.X.Shape()[0] != 2 {
		t.Fatalf("sizes %d + %d, want 7 + 2 (int(0.25·9) = 2)", train.X.Shape()[0], val.X.Shape()[0])
	}
	all := append(train.X.Paths(), val.X.Paths()...)
	sorted := slices.Sorted(slices.Values(all))
	if len(slices.Compact(sorted)) != 9 {
		t.Errorf("the subsets overlap or miss pictures: %v", all)
	}
	tr, va, err := LoadSplit(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tr.X.Paths(), train.X.Paths()) || !slices.Equal(va.X.Paths(), val.X.Paths()) || !slices.Equal(va.Y.Indices(), val.Y.Indices()) {
		t.Errorf("LoadSplit differs from two Loads")
	}
	other, _ := Load(dir, ImageSize(2, 2), ValidationSplit(0.25), Seed(8), Subset("training"))
	if slices.Equal(other.X.Paths(), train.X.Paths()) {
		t.Errorf("seeds 7 and 8 gave the same shuffle")
	}
	for i, p := range train.X.Paths() { // labels follow their pictures
		if want := filepath.Base(filepath.Dir(p)); train.ClassNames[train.Y.Indices()[i]] != want {
			t.Errorf("%s labelled %s", p, train.ClassNames[train.Y.Indices()[i]])
		}
	}
}

func TestLoadErrors(t *testing.T) {
	empty := t.TempDir()
	_, err := Load(empty)
	wantErr(t, err, "imagefolder: "+empty+" is empty: it should hold one folder per class")

	loose := t.TempDir()
	save(t, filepath.Join(loose, "x.png"), solid(1, 1, color.Black))
	_, err = Load(loose)
	wantErr(t, err, "holds 1 pictures (e.g. x.png) but no class folders", loose+"/cats/…")

	one := t.TempDir()
	save(t, filepath.Join(one, "cats", "x.png"), solid(1, 1, color.Black))
	_, err = Load(one)
	wantErr(t, err, "holds one class folder, cats: a classifier needs at least two classes")

	save(t, filepath.Join(one, "dogs", "x.bmp"), solid(1, 1, color.Black)) // a PNG named .bmp
	_, err = Load(one)
	wantErr(t, err, "the class folder "+filepath.Join(one, "dogs")+" holds no PNG, JPEG or GIF pictures (it has BMP files, e.g. ")

	dir := zoo(t)
	writeFile(t, filepath.Join(dir, "dogs", "broken.jpg"), "not a jpeg")
	writeFile(t, filepath.Join(dir, "owls", "empty.png"), "")
	_, err = Load(dir, ImageSize(2, 2))
	wantErr(t, err, "imagefolder: 2 of 8 pictures cannot be read:",
		filepath.Join(dir, "dogs", "broken.jpg")+": not a PNG, JPEG or GIF picture that Go can read",
		filepath.Join(dir, "owls", "empty.png")+": ", "fix or remove these files")
	// The same with a cache too small for the set: headers are checked.
	_, err = Load(dir, ImageSize(2, 2), CacheBytes(1))
	wantErr(t, err, "2 of 8 pictures cannot be read", "broken.jpg")

	for _, c := range []struct {
		opts []Option
		want string
	}{
		{[]Option{ValidationSplit(0.2), Subset("training")}, "give a Seed, and the same one"},
		{[]Option{ValidationSplit(0.2)}, "ValidationSplit and Subset go together"},
		{[]Option{ValidationSplit(1.5), Subset("training"), Seed(1)}, "want a fraction strictly between 0 and 1"},
		{[]Option{ColorMode("cmyk")}, "ColorMode(\"cmyk\")"},
		{[]Option{ImageSize(0, 28)}, "ImageSize(0, 28)"},
		{[]Option{ClassNames("cats", "cows")}, "ClassNames names \"cows\", which is not a folder of"},
		{[]Option{ClassNames("cats", "dogs", "cats")}, "ClassNames names \"cats\" twice"},
		{[]Option{CropToAspectRatio(true), PadToAspectRatio(true)}, "only one of CropToAspectRatio and PadToAspectRatio"},
	} {
		_, err := Load(zoo(t), c.opts...)
		wantErr(t, err, c.want)
	}
	_, _, err = LoadSplit(zoo(t), Seed(1))
	wantErr(t, err, "LoadSplit needs ValidationSplit")
}

// A class folder may be a link to a folder, as Keras's isdir follows links:
// skipped, its class would vanish and the classes after it change labels.
func TestLinkedClassFolder(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	save(t, filepath.Join(dir, "a", "1.png"), solid(2, 2, color.White))
	save(t, filepath.Join(root, "shared", "1.png"), solid(2, 2, color.Black))
	save(t, filepath.Join(dir, "c", "1.png"), solid(2, 2, color.White))
	if err := os.Symlink(filepath.Join(root, "shared"), filepath.Join(dir, "b")); err != nil {
		t.Skip(err)
	}
	d, err := Load(dir, ImageSize(1, 1), ColorMode("grayscale"), Shuffle(false))
	if err != nil {
		t.Fatal(err)
	}
	x, y := gather(d)
	if !slices.Equal(d.ClassNames, []string{"a", "b", "c"}) || !slices.Equal(y, []float32{0, 1, 2}) || !slices.Equal(x, []float32{1, 0, 1}) {
		t.Errorf("classes %v, labels %v, pictures %v; want [a b c], [0 1 2], [1 0 1]", d.ClassNames, y, x)
	}
	if p := d.X.Paths()[1]; p != filepath.Join(dir, "b", "1.png") {
		t.Errorf("the linked class's picture is %s, want it under %s", p, filepath.Join(dir, "b"))
	}
}

// With a cache too small for the set, pictures are decoded as batches ask
// for them, the first ones kept; the values are those of the fully cached
// set. A picture damaged after Load makes Gather panic with its name.
func TestCacheRule(t *testing.T) {
	dir := zoo(t)
	full, err := Load(dir, ImageSize(3, 3), Shuffle(false))
	if err != nil {
		t.Fatal(err)
	}
	if !full.X.all.Load() {
		t.Fatal("a set within the budget should be decoded by Load")
	}
	small, err := Load(dir, ImageSize(3, 3), Shuffle(false), CacheBytes(2*27))
	if err != nil {
		t.Fatal(err)
	}
	if small.X.all.Load() {
		t.Fatal("a set over the budget should not be decoded by Load")
	}
	a, _ := gather(full)
	b, _ := gather(small)
	if !slices.Equal(a, b) {
		t.Error("decoding on demand gives other values than the cache")
	}
	kept := 0
	for _, px := range small.X.cache {
		if px != nil {
			kept++
		}
	}
	if kept != 2 {
		t.Errorf("kept %d pictures, want 2 (the budget)", kept)
	}
	if err := small.X.Verify(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "owls", "o.gif"), []byte("GIF89a broken"), 0o644)
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), filepath.Join(dir, "owls", "o.gif")) {
			t.Errorf("Gather of a damaged file: panic %v, want one naming the file", r)
		}
	}()
	dst := make([]float32, 27)
	small.X.Gather(dst, []int{5})
}

// A picture too large to decode is refused from its header. (Only the
// header is written: encoding a real 8192×16384 PNG took 13 s under -race.)
func TestHugePictureRefused(t *testing.T) {
	dir := zoo(t)
	writeFile(t, filepath.Join(dir, "owls", "big.png"), string(headerPNG(1<<13, 1<<14)))
	_, err := Load(dir, ImageSize(2, 2), CacheBytes(1))
	wantErr(t, err, "big.png: a png of 8192×16384 pixels; goras reads pictures of 1 to 67108864 pixels")
}

// A tiny file whose header claims a picture it cannot hold is refused
// from its header: Go's PNG decoder would allocate the whole picture (512
// MB here) before finding the data missing, once per core in Load.
func TestHostileHeaderRefused(t *testing.T) {
	bomb := bombPNG(8192)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := DecodeImage(bomb, "bomb.png", ImageSize(2, 2))
	runtime.ReadMemStats(&after)
	wantErr(t, err, "imagefolder: bomb.png: a png claiming 8192×8192 pixels, more than a file of 59 bytes can encode")
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("DecodeImage allocated %d bytes, want under 1 MiB", got)
	}
	dir := zoo(t)
	if err := os.WriteFile(filepath.Join(dir, "owls", "bomb.png"), bomb, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int64{256 << 20, 1} { // decoded by Load, or headers checked
		_, err = Load(dir, ImageSize(2, 2), CacheBytes(budget))
		wantErr(t, err, "1 of 7 pictures cannot be read", "bomb.png: a png claiming 8192×8192 pixels")
	}
}

func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q\n  does not contain %q", err, s)
		}
	}
}

// Gather may run concurrently: four goroutines reading a set over its
// budget all get the values of the fully cached set (run with -race).
func TestGatherConcurrently(t *testing.T) {
	dir := zoo(t)
	full, err := Load(dir, ImageSize(3, 3), Shuffle(false))
	if err != nil {
		t.Fatal(err)
	}
	small, err := Load(dir, ImageSize(3, 3), Shuffle(false), CacheBytes(3*27))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := gather(full)
	done := make(chan []float32)
	for g := range 4 {
		go func() {
			rows := []int{(g + 0) % 6, (g + 1) % 6, (g + 2) % 6, (g + 3) % 6, (g + 4) % 6, (g + 5) % 6}
			dst := make([]float32, 6*27)
			small.X.Gather(dst, rows)
			out := make([]float32, 6*27)
			for i, r := range rows {
				copy(out[r*27:(r+1)*27], dst[i*27:(i+1)*27])
			}
			done <- out
		}()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want) {
			t.Error("concurrent Gather gave other values")
		}
	}
}
