package main

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// The tests of goras predict.

// predictLine is one line of goras predict: "file: 7 (0.9812), 2 (0.0121), 3 (0.0032)".
var predictLine = regexp.MustCompile(`^(.+): (\d) \((\d\.\d{4})\), (\d) \((\d\.\d{4})\), (\d) \((\d\.\d{4})\)$`)

// Issue 5's check: goras predict with a LeNet-5 reads at least 18 of 20
// test digits re-drawn at other sizes, colours and offsets. Its text and
// JSON outputs say the same, in their documented formats.
func TestPredictOwnDigits(t *testing.T) {
	model := lenetModel(t)
	_, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	paths, want := renderDigits(t, t.TempDir(), test, 0, 20)
	r := cliOK(t, append([]string{"predict", model}, paths...)...)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 20 || r.stderr != "" {
		t.Fatalf("want 20 lines and nothing on stderr, got:\n%s\n%s", r.stdout, r.stderr)
	}
	right := 0
	textClass := make([]int, 20)
	for i, line := range lines {
		m := predictLine.FindStringSubmatch(line)
		if m == nil || m[1] != paths[i] {
			t.Fatalf("line %d %q is not \"%s: c (p), c (p), c (p)\"", i, line, paths[i])
		}
		textClass[i], _ = strconv.Atoi(m[2])
		p1, _ := strconv.ParseFloat(m[3], 64)
		p2, _ := strconv.ParseFloat(m[5], 64)
		p3, _ := strconv.ParseFloat(m[7], 64)
		if !(p1 >= p2 && p2 >= p3) || p1+p2+p3 > 1.0002 || m[2] == m[4] || m[4] == m[6] || m[2] == m[6] {
			t.Errorf("line %q: classes repeated or probabilities not sorted or summing above 1", line)
		}
		if textClass[i] == want[i] {
			right++
		} else {
			t.Logf("%s: a %d read as %d", filepath.Base(paths[i]), want[i], textClass[i])
		}
	}
	t.Logf("goras predict: %d of 20 re-drawn digits right", right)
	if right < 18 {
		t.Errorf("%d of 20 re-drawn digits recognised, want at least 18", right)
	}

	j := cliOK(t, append([]string{"predict", "--json", model}, paths...)...)
	var got []struct {
		File  *string `json:"file"`
		Class *int    `json:"class"`
		Top   []struct {
			Class       *int     `json:"class"`
			Probability *float64 `json:"probability"`
		} `json:"top"`
	}
	dec := json.NewDecoder(strings.NewReader(j.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil || dec.More() {
		t.Fatalf("--json output is not one JSON array of the documented objects (%v):\n%s", err, j.stdout)
	}
	if len(got) != 20 {
		t.Fatalf("--json gave %d objects for 20 images", len(got))
	}
	for i, o := range got {
		if o.File == nil || *o.File != paths[i] || o.Class == nil || *o.Class != textClass[i] || len(o.Top) != 3 {
			t.Fatalf("object %d: %s", i, mustJSON(o))
		}
		sum, seen := 0.0, map[int]bool{}
		for k, c := range o.Top {
			if c.Class == nil || c.Probability == nil || *c.Class < 0 || *c.Class > 9 || seen[*c.Class] || *c.Probability < 0 ||
				(k > 0 && *c.Probability > *o.Top[k-1].Probability) {
				t.Fatalf("object %d: top %s not 3 distinct classes sorted by probability", i, mustJSON(o.Top))
			}
			seen[*c.Class] = true
			sum += *c.Probability
		}
		if *o.Top[0].Class != *o.Class || sum > 1+1e-6 {
			t.Errorf("object %d: class %d, top %s (sum %g)", i, *o.Class, mustJSON(o.Top), sum)
		}
	}
	// The exact layout of one object, as the issue writes it.
	if !regexp.MustCompile(`(?s)^\[\n  \{"file":"[^"]+digit00\.png","class":7,"top":\[\{"class":7,"probability":0\.\d+\},\{"class":\d,"probability":[0-9.e-]+\},\{"class":\d,"probability":[0-9.e-]+\}\]\},\n`).MatchString(j.stdout) {
		t.Errorf("--json layout:\n%s", j.stdout)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// predict works on a model that takes (28, 28) too, and --top changes the
// number of classes; bad pictures and models get errors that name them.
func TestPredictInputsAndErrors(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	_, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	paths, want := renderDigits(t, dir, test, 0, 2)
	mlp := filepath.Join(dir, "mlp.safetensors")
	cliOK(t, "train", "--loss", "categorical_crossentropy", "--optimizer", "adam", "--limit", "5000", "--epochs", "1", "--verbose", "0", "--output", mlp)
	show := filepath.Join(dir, "seen.png")
	r := cliOK(t, "predict", "--top", "1", "--show", show, mlp, paths[0], paths[1])
	if r.stderr != "goras: drew the 2 digits as the model saw them in "+show+"\n" {
		t.Errorf("--show: stderr %q", r.stderr)
	}
	readPicture(t, show, 100, 50)
	top1 := regexp.MustCompile(`(?m)^(.+): (\d) \((\d\.\d{4})\)$`).FindAllStringSubmatch(r.stdout, -1)
	if len(top1) != 2 || strings.Count(r.stdout, "\n") != 2 {
		t.Fatalf("--top 1 on the MLP:\n%s", r.stdout)
	}
	for i, m := range top1 {
		if m[1] != paths[i] || m[2] != strconv.Itoa(want[i]) {
			t.Errorf("--top 1 on the MLP: %q; want %s read as %d", m[0], paths[i], want[i])
		}
	}

	other := filepath.Join(dir, "other.safetensors")
	m := goras.NewSequential(layers.Input(32, 32), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	if err := saving.Save(m, other); err != nil {
		t.Fatal(err)
	}
	linear := filepath.Join(dir, "linear.safetensors")
	m = goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(10))
	m.SetSeed(3)
	if err := saving.Save(m, linear); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	blank := filepath.Join(dir, "blank.png")
	writePNG(t, blank, image.NewGray(image.Rect(0, 0, 40, 40)))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"predict", mlp}, "predict takes a MODEL_FILE and at least one IMAGE, got 1 arguments"},
		{[]string{"predict", "--top", "0", mlp, paths[0]}, "--top must be at least 1, got 0"},
		{[]string{"predict", "--show", filepath.Join(dir, "s.bmp"), mlp, paths[0]}, "--show " + filepath.Join(dir, "s.bmp") + ": the file name must end in .png or .svg"},
		{[]string{"predict", "--show", dir + "/./" + filepath.Base(paths[1]), mlp, paths[0], paths[1]}, "--show " + dir + "/./" + filepath.Base(paths[1]) + " is also one of the pictures to read"},
		{[]string{"predict", filepath.Join(dir, "none.safetensors"), paths[0]}, "none.safetensors: no such file or directory"},
		{[]string{"predict", mlp, filepath.Join(dir, "missing.png")}, "missing.png: no such file or directory"},
		{[]string{"predict", mlp, notImage}, notImage + " is not a readable PNG, JPEG or GIF image"},
		{[]string{"predict", mlp, blank}, blank + ": no ink found"},
		{[]string{"predict", other, paths[0]}, other + " takes inputs of shape (None, 32, 32); goras predict reads 28×28 grayscale digits"},
		{[]string{"predict", linear, paths[0]}, "predict needs a model ending in softmax"},
	}
	for _, c := range cases {
		r := cli(t, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "goras: ") {
			t.Errorf("goras %s: exit %d, stdout %q, stderr %q; want exit 1 and one line with %q", strings.Join(c.args, " "), r.code, r.stdout, r.stderr, c.want)
		}
	}
}

// One bad picture among good ones: the good ones are predicted, each bad
// one reported by name with what is wrong, and the exit status is 1.
func TestPredictSomeBadPictures(t *testing.T) {
	dir := t.TempDir()
	model, _ := tinyModel(t, dir, "m.safetensors")
	good1, good2 := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	barPicture(t, good1)
	barPicture(t, good2)
	folder := filepath.Join(dir, "pics.png")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.png")
	r := cli(t, "predict", model, good1, folder, missing, good2)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 1 || len(lines) != 2 || !strings.HasPrefix(lines[0], good1+": ") || !strings.HasPrefix(lines[1], good2+": ") {
		t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
	want := "goras: " + folder + " is a directory, not a picture; name the pictures in it, e.g. " + filepath.Join(folder, "*.png") + "\n" +
		"goras: open " + missing + ": no such file or directory\n" +
		"goras: 2 of 4 pictures could not be read (above); the others were predicted\n"
	if r.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
	wantFail(t, folder+" is a directory, not a picture", "predict", model, folder)
	wantFail(t, dir+" is a directory, not a model file", "predict", dir, good1)
	wantFail(t, dir+" is a directory, not a model file", "evaluate", dir)
}

// predict on an int8 model of many classes allocates what the model needs,
// not a float32 Dense of inputs × classes weights for its shape checks
// (784 × 2^20 × 4 bytes, 3.2 GB, for a 9 MB file).
func TestPredictInt8ManyClasses(t *testing.T) {
	dir := t.TempDir()
	const classes = 1 << 18
	m := goras.NewSequential(layers.Input(28, 28, 1), layers.MaxPooling2D(), layers.MaxPooling2D(), layers.MaxPooling2D(),
		layers.MaxPooling2D(), layers.Flatten(), layers.Dense(classes, layers.WithActivation("softmax")))
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	q, err := quantize.Quantize(m, tensor.New(4, 28, 28, 1))
	if err != nil {
		t.Fatal(err)
	}
	qpath := filepath.Join(dir, "wide-int8.safetensors")
	if err := q.Save(qpath); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(dir, "one.png")
	barPicture(t, pic)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := cli(t, "predict", "--top", "2", qpath, pic)
	runtime.ReadMemStats(&after)
	if r.code != 0 || !strings.HasPrefix(r.stdout, pic+": ") || strings.Count(r.stdout, "(") != 2 {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// The model's own buffers: 32 rows of int32 sums and the outputs, 40 MB.
	if n := after.TotalAlloc - before.TotalAlloc; n > 300<<20 {
		t.Errorf("predict allocated %d MB; a float32 Dense of 784 × %d weights is %d MB", n>>20, classes, 784*classes*4>>20)
	}
}
