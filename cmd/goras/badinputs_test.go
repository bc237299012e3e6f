package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests of input files goras cannot use (issue 14): truncated models,
// data directories without MNIST, and devices named as files.

// A truncated model file is called truncated, with the bytes missing.
func TestTruncatedModel(t *testing.T) {
	dir := t.TempDir()
	model, _ := tinyModel(t, dir, "m.safetensors")
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.safetensors")
	if err := os.WriteFile(cut, b[:len(b)-1000], 0o644); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(dir, "one.png")
	barPicture(t, pic)
	for _, args := range [][]string{{"evaluate", cut}, {"predict", cut, pic}} {
		wantFail(t, cut+": the file is truncated: 1000 bytes are missing", args...)
	}
}

// --data-dir on an empty folder, or one without the MNIST files, is refused
// before the model is built, in the CLI's words.
func TestDataDirWithoutMNIST(t *testing.T) {
	empty := t.TempDir()
	r := wantFail(t, "--data-dir "+empty+" is empty; it should hold the four MNIST files, train-images-idx3-ubyte.gz", "train", "--data-dir", empty)
	if !strings.Contains(r.stderr, "leave out --data-dir to take them from $GORAS_MNIST_DIR, the cache") || strings.Contains(r.stderr, "WithDir") {
		t.Errorf("stderr %q", r.stderr)
	}
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"train"}, {"evaluate", "m.safetensors"}, {"ensemble", "m.safetensors"}, {"train", "--model", "fast"}} {
		wantFail(t, "--data-dir "+empty+" holds none of them (1 other entries)", append(cmd, "--data-dir", empty)...)
	}
}

// A model file or a picture that is a device, not a regular file, is
// refused by name before it is read: reading a named pipe waited for a
// writer forever, deaf to SIGTERM, and an .onnx link to /dev/zero read
// until memory ran out. (os.DevNull stands in for both: it ends at once.)
func TestNotRegularFiles(t *testing.T) {
	dir := t.TempDir()
	model, _ := tinyModel(t, dir, "m.safetensors")
	pic := filepath.Join(dir, "one.png")
	barPicture(t, pic)
	links := map[string]string{}
	for _, name := range []string{"dev.onnx", "dev.safetensors", "dev.png"} {
		links[name] = filepath.Join(dir, name)
		if err := os.Symlink(os.DevNull, links[name]); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode().IsRegular() {
		t.Skipf("%s is not a device here", os.DevNull)
	}
	for _, name := range []string{"dev.onnx", "dev.safetensors"} {
		path := links[name]
		for _, args := range [][]string{{"predict", path, pic}, {"evaluate", path}, {"summary", path}} {
			wantFail(t, path+" is not a regular file (its mode is D", args...)
		}
	}
	r := cli(t, "predict", model, links["dev.png"], pic)
	if r.code != 1 || !strings.HasPrefix(r.stdout, pic+": ") ||
		!strings.Contains(r.stderr, links["dev.png"]+" is not a regular file (its mode is D") {
		t.Errorf("a device among the pictures: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
