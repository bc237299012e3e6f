package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/saving"
)

// The tests of the files commands write (issue 14): their paths checked
// before the work starts, --force, and symbolic links.

// Every file a command writes has its extensions, and a path that cannot
// be written is refused before the work starts, in the same words for
// every flag: the flag, the user's path, then what is wrong.
func TestOutputFilesCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	model, _ := tinyModel(t, dir, "m.safetensors")
	pic := filepath.Join(dir, "one.png")
	barPicture(t, pic)
	ro := map[string]string{}
	for _, name := range []string{"ro.safetensors", "ro.csv", "ro.png"} {
		ro[name] = filepath.Join(dir, name)
		if err := os.WriteFile(ro[name], []byte("old"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "link.png") // a link to a read-only file is the file
	if err := os.Symlink(ro["ro.png"], link); err != nil {
		t.Fatal(err)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--output " + p("m.txt") + ": the file name must end in .safetensors", []string{"train", "--output", p("m.txt")}},
		{"--history " + p("h.txt") + ": the file name must end in .csv or .json", []string{"train", "--history", p("h.txt")}},
		{"--plot " + p("c.pdf") + ": the file name must end in .png or .svg", []string{"train", "--plot", p("c.pdf")}},
		{"--output " + p("m.txt") + ": the file name must end in .safetensors", []string{"train", "--model", "fast", "--output", p("m.txt")}},
		{"--output " + ro["ro.safetensors"] + ": the file is read-only (mode -r--r--r--); add --force to replace it", []string{"train", "--output", ro["ro.safetensors"]}},
		{"--history " + ro["ro.csv"] + ": the file is read-only", []string{"train", "--history", ro["ro.csv"]}},
		{"--plot " + ro["ro.png"] + ": the file is read-only", []string{"train", "--plot", ro["ro.png"]}},
		{"--plot " + link + ": the file is read-only", []string{"train", "--plot", link}},
		{"--history " + ro["ro.csv"] + ": the file is read-only", []string{"train", "--model", "best", "--history", ro["ro.csv"]}},
		{"--show " + ro["ro.png"] + ": the file is read-only", []string{"predict", "--show", ro["ro.png"], model, pic}},
		{"--confusion " + ro["ro.png"] + ": the file is read-only", []string{"evaluate", "--confusion", ro["ro.png"], model}},
		{"--confusion and --errors both name " + dir + "/./cm.png; give each its own file", []string{"evaluate", "--confusion", p("cm.png"), "--errors", dir + "/./cm.png", model}},
		{"-o " + ro["ro.png"] + ": the file is read-only", []string{"plot", "h.csv", "-o", ro["ro.png"]}},
		{"--show " + p("missing/s.png") + ": the directory " + p("missing") + " does not exist", []string{"predict", "--show", p("missing/s.png"), model, pic}},
	} {
		wantFail(t, c.want, c.args...)
	}
	// --force passes the check.
	r := resolveArgs(t, "--output", ro["ro.safetensors"], "--history", ro["ro.csv"], "--plot", link, "--force")
	if r.model == nil {
		t.Fatal("no model")
	}
}

// --force replaces a read-only file, which stays read-only; a symbolic
// link is written through to its target and stays a link.
func TestOutputForceAndLinks(t *testing.T) {
	dir := t.TempDir()
	h := &goras.History{Epoch: []int{0}, History: map[string][]float64{"loss": {0.5}}, Seconds: []float64{1}}
	ro := filepath.Join(dir, "ro.csv")
	if err := os.WriteFile(ro, []byte("old"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := saveHistory(h, ro, false); err == nil || !strings.Contains(err.Error(), "--history "+ro) {
		t.Errorf("without --force: %v", err)
	}
	if err := saveHistory(h, ro, true); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(ro)
	fi, _ := os.Stat(ro)
	if err != nil || string(b) != "epoch,loss,seconds\n0,0.5,1.000\n" || fi.Mode().Perm() != 0o444 {
		t.Errorf("after --force: %q (%v), mode %v; want the history, mode 0444", b, err, fi.Mode().Perm())
	}

	target, link := filepath.Join(dir, "real.json"), filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := saveHistory(h, link, false); err != nil {
		t.Fatal(err)
	}
	if li, err := os.Lstat(link); err != nil || li.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a link: %v", link, err)
	}
	if b, err := os.ReadFile(target); err != nil || !bytes.Contains(b, []byte(`"loss"`)) {
		t.Errorf("the link's target holds %q (%v), want the history", b, err)
	}

	m := filepath.Join(dir, "m.safetensors")
	mlink := filepath.Join(dir, "mlink.safetensors")
	if err := os.Symlink(m, mlink); err != nil {
		t.Fatal(err)
	}
	_, model := tinyModel(t, dir, "other.safetensors")
	if err := saveModel(model, mlink, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := saving.Load(m); err != nil {
		t.Errorf("--output through a link did not write its target: %v", err)
	}
	if li, err := os.Lstat(mlink); err != nil || li.Mode()&os.ModeSymlink == 0 {
		t.Errorf("%s is no longer a link", mlink)
	}
}
