package main

import (
	"encoding/json"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras/saving"
)

// shapesFolder writes a folder of three classes of perPicture 16×16 RGB
// PNGs: bars (horizontal stripes), columns (vertical stripes) and dot (one
// square blob), each in random colours on a random background, at a random
// offset, so that a classifier must look at the pattern, not a colour.
func shapesFolder(t *testing.T, dir string, perClass int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	randColor := func(lo, hi int) color.NRGBA {
		c := func() uint8 { return uint8(lo + rng.IntN(hi-lo)) }
		return color.NRGBA{c(), c(), c(), 255}
	}
	for _, class := range []string{"bars", "columns", "dot"} {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perClass {
			bg, ink := randColor(0, 60), randColor(190, 256)
			off, dx, dy := rng.IntN(2), 3+rng.IntN(8), 3+rng.IntN(8)
			img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
			for y := range 16 {
				for x := range 16 {
					on := false
					switch class {
					case "bars":
						on = (y+off)%4 < 2
					case "columns":
						on = (x+off)%4 < 2
					case "dot":
						on = x >= dx && x < dx+3 && y >= dy && y < dy+3
					}
					if on {
						img.SetNRGBA(x, y, ink)
					} else {
						img.SetNRGBA(x, y, bg)
					}
				}
			}
			writePNG(t, filepath.Join(dir, class, strconv.Itoa(i)+".png"), img)
		}
	}
}

var valLine = regexp.MustCompile(`(?m)^val_loss: (\d+\.\d{4}) - val_accuracy: (\d\.\d{4})\n\z`)

// valScores checks that stdout ends with the folder's line and returns
// its accuracy.
func valScores(t *testing.T, stdout string) float64 {
	t.Helper()
	m := valLine.FindStringSubmatch(stdout)
	if m == nil || strings.Contains(stdout, "test_loss") {
		t.Fatalf("stdout does not end with one line \"val_loss: X - val_accuracy: Y\":\n%s", stdout)
	}
	acc, _ := strconv.ParseFloat(m[2], 64)
	return acc
}

// goras train --data on a folder of three patterns: the model is rebuilt
// for 16×16 RGB and three classes, learns them (chance is 1/3), keeps the
// folder's names, and goras predict answers with them.
func TestTrainOnFolder(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "shapes")
	shapesFolder(t, data, 30)
	model := filepath.Join(dir, "shapes.safetensors")
	r := cli(t, "train", "--data", data, "--image-size", "16,16", "--color-mode", "rgb", "--epochs", "3",
		"--optimizer", "adam", "--loss", "categorical_crossentropy", "--batch-size", "4", "--verbose", "2", "--output", model)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Found 90 files belonging to 3 classes.",
		"goras: training on 72 images, validating on 18 (the last 20% of " + data + " after a shuffle with seed 1, --validation-split 0.2): model mlp,",
		"data " + data} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// Flatten of 16·16·3 = 768 → Dense(50): 38,450; Dense(50 → 3): 153.
	if !strings.Contains(r.stdout, "(None, 768)") || !strings.Contains(r.stdout, "Total params: 38,603") {
		t.Errorf("the summary is not mlp rebuilt for 16×16 RGB and 3 classes:\n%s", r.stdout)
	}
	if acc := valScores(t, r.stdout); acc < 0.9 {
		t.Errorf("val_accuracy %.4f after 3 epochs, want ≥ 0.9 (chance is 0.33)\n%s", acc, r.stdout)
	}
	m, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.ClassNames(); !slices.Equal(got, []string{"bars", "columns", "dot"}) {
		t.Errorf("the saved model's class names are %q", got)
	}

	// goras predict reads the pictures as training did and names the class.
	r = cli(t, "predict", model, filepath.Join(data, "columns", "3.png"), filepath.Join(data, "dot", "5.png"))
	if r.code != 0 {
		t.Fatalf("predict: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"columns/3.png: 1 columns (", "dot/5.png: 2 dot ("} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("predict's output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = cli(t, "predict", "--json", "--top", "1", model, filepath.Join(data, "bars", "0.png"))
	var preds []struct {
		Class     int    `json:"class"`
		ClassName string `json:"class_name"`
		Top       []struct {
			ClassName string `json:"class_name"`
		} `json:"top"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &preds); err != nil || len(preds) != 1 || preds[0].Class != 0 || preds[0].ClassName != "bars" || preds[0].Top[0].ClassName != "bars" {
		t.Errorf("predict --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
}

// folderFixtures are --data folders and model files with class names, for
// docs/errors.md.
var folderFixtures = fixtures{
	// Five pictures a class, of five sizes: each is resized.
	"pictures": func(t *testing.T, path string) {
		for _, class := range []string{"cats", "dogs"} {
			mkdir(t, filepath.Join(path, class))
			for i, side := range []int{9, 16, 28, 40, 61} {
				writePNG(t, filepath.Join(path, class, strconv.Itoa(i)+".png"), image.NewGray(image.Rect(0, 0, side, side+i)))
			}
		}
	},
	"one-class": func(t *testing.T, path string) {
		mkdir(t, filepath.Join(path, "cats"))
		barPicture(t, filepath.Join(path, "cats", "a.png"))
	},
	"broken-pictures": func(t *testing.T, path string) {
		for _, class := range []string{"cats", "dogs"} {
			mkdir(t, filepath.Join(path, class))
			for i := range 5 {
				barPicture(t, filepath.Join(path, class, strconv.Itoa(i)+".png"))
			}
		}
		writeFile(t, filepath.Join(path, "dogs", "notes.png"), []byte("not a picture\n"))
	},
	"bad-names.safetensors": func(t *testing.T, path string) {
		f := readSafetensors(t, savedTiny(t))
		f.Metadata["class_names"] = `["cat", "dog", "bird"]`
		writeSafetensors(t, path, f.Tensors, f.Metadata)
	},
}

// --resume trains on the data the run started on: the run file records
// --dataset (none, in files written before it was, means mnist) or the
// folder with its settings, unless the command line names the data.
func TestRecallData(t *testing.T) {
	cases := []struct {
		file string
		args []string
		want dataFlags
		err  string
	}{
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3}`, nil, dataFlags{dataset: "mnist", validationSplit: 0.2}, ""},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "dataset": "fashion_mnist"}`, nil, dataFlags{dataset: "fashion_mnist", validationSplit: 0.2}, ""},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "dataset": "fashion_mnist"}`, []string{"--dataset", "mnist"}, dataFlags{dataset: "mnist", validationSplit: 0.2}, ""},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "data": {"dir": "/pics", "image_size": [16, 24], "color_mode": "rgb", "validation_split": 0.25}}`, nil,
			dataFlags{dataset: "mnist", data: "/pics", imageSize: "16,24", colorMode: "rgb", validationSplit: 0.25}, ""},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "data": {"dir": "/pics", "image_size": [16, 24], "color_mode": "rgb", "validation_split": 0.25}}`, []string{"--image-size", "32,32"},
			dataFlags{dataset: "mnist", data: "/pics", imageSize: "32,32", colorMode: "rgb", validationSplit: 0.25}, ""},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "data": {"dir": "/pics", "image_size": [16, 24], "color_mode": "rgb", "validation_split": 0.25}}`, []string{"--dataset", "fashion_mnist"},
			dataFlags{dataset: "fashion_mnist", validationSplit: 0.2}, ""},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "dataset": "cifar10"}`, nil, dataFlags{}, `dataset "cifar10" is none of mnist, fashion_mnist`},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "data": {"dir": "/pics", "image_size": [0, 24], "color_mode": "rgb", "validation_split": 0.25}}`, nil, dataFlags{}, "image size 0×24 is not 1 to 16384 pixels a side"},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "data": {"dir": "/pics", "image_size": [8, 8], "color_mode": "cmyk", "validation_split": 0.25}}`, nil, dataFlags{}, `colour mode "cmyk" is not grayscale, rgb or rgba`},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "data": {"dir": "/pics", "image_size": [8, 8], "color_mode": "rgb", "validation_split": 1}}`, nil, dataFlags{}, "validation split 1 is not between 0 and 1"},
		{`{"model": "mlp", "epochs": 2, "batch_size": 10, "seed": 3, "dataset": "mnist", "data": {"dir": "/pics", "image_size": [8, 8], "color_mode": "rgb", "validation_split": 0.5}}`, nil, dataFlags{}, `it names both a dataset, "mnist", and a folder, /pics`},
	}
	for _, c := range cases {
		cmd, f := newTrainCmdFlags()
		if err := cmd.ParseFlags(append([]string{"--checkpoint-dir", "ck", "--resume"}, c.args...)); err != nil {
			t.Fatal(err)
		}
		set, err := f.recallFrom([]byte(c.file), "ck/"+runFile, cmd.Flags().Changed)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), "--resume: ck/goras-train.json is damaged ("+c.err) {
				t.Errorf("%s: %v, want %q", c.file, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if f.data != c.want {
			t.Errorf("%s %v: recalled %+v, want %+v", c.file, c.args, f.data, c.want)
		}
		// What was recalled counts as given: a folder's settings pass the
		// check that they come with --data, and the data set is not
		// refused beside a recalled folder.
		if _, err := f.data.check(set); err != nil {
			t.Errorf("%s %v: the recalled data does not check: %v", c.file, c.args, err)
		}
	}
}

// A run on a folder, interrupted after one epoch, goes on with --resume
// alone: the folder, its size and split come from the run file, and the
// model keeps its class names.
func TestResumeOnFolder(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "shapes")
	shapesFolder(t, data, 10)
	ck, model := filepath.Join(dir, "ck"), filepath.Join(dir, "m.safetensors")
	train := []string{"train", "--checkpoint-dir", ck, "--verbose", "0", "--optimizer", "adam", "--batch-size", "6"}
	r := cli(t, append(train, "--data", data, "--image-size", "12,12", "--color-mode", "rgb", "--validation-split", "0.3", "--epochs", "1")...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var s runSettings
	if err := json.Unmarshal(readFile(t, filepath.Join(ck, runFile)), &s); err != nil {
		t.Fatal(err)
	}
	if s.Dataset != "" || s.Folder == nil || *s.Folder != (folderSettings{Dir: data, ImageSize: [2]int{12, 12}, ColorMode: "rgb", ValidationSplit: 0.3}) {
		t.Fatalf("the run file holds %+v, data %+v", s, s.Folder)
	}
	r = cli(t, append(train, "--resume", "--epochs", "2", "--output", model)...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Found 30 files belonging to 3 classes.", "resuming from " + filepath.Join(ck, "ckpt-0001.safetensors"),
		"training on 21 images, validating on 9 (the last 30% of " + data + " after a shuffle with seed 1", "epochs 2, seed 1, data " + data} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("resume: stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	valScores(t, r.stdout)
	m, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.ClassNames(), []string{"bars", "columns", "dot"}) || !slices.Equal(m.InputShape(), []int{12, 12, 3}) {
		t.Errorf("the resumed model has names %q and input %v", m.ClassNames(), m.InputShape())
	}
}

// The data flags' errors that docs/errors.md does not hold: in the fixed
// recipes, evaluate, ensemble and predict.
func TestDataFlagsElsewhere(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	mkdir(t, empty)
	// A recipe takes --dataset, and looks for Fashion-MNIST's files.
	wantFail(t, "--data-dir "+empty+" is empty; it should hold the four Fashion-MNIST files", "train", "--model", "fast", "--dataset", "fashion_mnist", "--data-dir", empty)
	wantFail(t, `unknown --dataset "fashion"; known: mnist, fashion_mnist`, "train", "--model", "best", "--dataset", "fashion")
	model, _ := tinyModel(t, dir, "m.safetensors")
	wantFail(t, `unknown --dataset "cifar10"; known: mnist, fashion_mnist`, "evaluate", "--dataset", "cifar10", model)
	wantFail(t, `unknown --dataset "cifar10"; known: mnist, fashion_mnist`, "ensemble", "--dataset", "cifar10", model)

	// --show cannot draw colour pictures.
	data := filepath.Join(dir, "shapes")
	shapesFolder(t, data, 5)
	rgb := filepath.Join(dir, "rgb.safetensors")
	if r := cli(t, "train", "--data", data, "--image-size", "8,8", "--color-mode", "rgb", "--epochs", "1", "--verbose", "0", "--output", rgb); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	wantFail(t, "--show draws grayscale pictures, and "+rgb+" reads rgb pictures of 8×8; leave out --show",
		"predict", "--show", filepath.Join(dir, "seen.png"), rgb, filepath.Join(data, "dot", "0.png"))
	// A picture predict cannot read is named, as for digits.
	notes := filepath.Join(dir, "notes.png")
	writeFile(t, notes, []byte("no picture"))
	wantFail(t, notes+": not a PNG, JPEG or GIF picture that Go can read", "predict", rgb, notes)
}
