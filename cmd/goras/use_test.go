package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/internal/testdigits"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/saving"
)

// The tests of goras train --checkpoint-dir/--resume/--plot, predict,
// evaluate's confusion matrix and pictures, and plot.

// mustOK fails the test unless the run exited 0.
func mustOK(t *testing.T, r result, args ...string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("goras %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
}

func cliOK(t *testing.T, args ...string) result {
	t.Helper()
	r := cli(t, args...)
	mustOK(t, r, args...)
	return r
}

// checkpointFiles lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
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

// --checkpoint-dir writes one checkpoint per epoch and keeps the newest
// --keep; each holds the history up to its epoch.
func TestTrainCheckpointDir(t *testing.T) {
	skipShort(t)
	dir := filepath.Join(t.TempDir(), "ckpt") // created by train
	cliOK(t, "train", "--limit", "300", "--epochs", "4", "--verbose", "0", "--checkpoint-dir", dir, "--keep", "2")
	if got, want := dirNames(t, dir), []string{"ckpt-0003.safetensors", "ckpt-0004.safetensors", runFile}; !slices.Equal(got, want) {
		t.Fatalf("checkpoint directory holds %v, want %v", got, want)
	}
	_, ck, err := saving.LoadCheckpoint(filepath.Join(dir, "ckpt-0004.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 3 || !slices.Equal(ck.History.Epoch, []int{0, 1, 2, 3}) || len(ck.History.History["val_loss"]) != 4 {
		t.Errorf("the last checkpoint holds epoch %d and history epochs %v", ck.Epoch, ck.History.Epoch)
	}
	// A new run in the same directory is refused before it starts: it would
	// go on from the earlier run's checkpoints.
	r := cli(t, "train", "--limit", "300", "--epochs", "3", "--verbose", "0", "--checkpoint-dir", dir)
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, dir+" already holds 2 checkpoints of an earlier run (newest ckpt-0004.safetensors); add --resume") {
		t.Errorf("a new run in a used directory: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// --keep 0 keeps them all.
	dir = filepath.Join(filepath.Dir(dir), "all")
	cliOK(t, "train", "--limit", "300", "--epochs", "3", "--verbose", "0", "--checkpoint-dir", dir, "--keep", "0")
	if got, want := dirNames(t, dir), []string{"ckpt-0001.safetensors", "ckpt-0002.safetensors", "ckpt-0003.safetensors", runFile}; !slices.Equal(got, want) {
		t.Errorf("with --keep 0 the directory holds %v, want %v", got, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, runFile))
	if err != nil {
		t.Fatal(err)
	}
	var s runSettings
	if err := json.Unmarshal(b, &s); err != nil || s != (runSettings{Model: "mlp", Epochs: 3, BatchSize: 100, Limit: 300, Seed: 1, Dataset: "mnist"}) {
		t.Errorf("%s: %s (%v)", runFile, b, err)
	}
}

// sameWeights reports whether two model files hold the same tensors, bit
// for bit.
func sameWeights(t *testing.T, a, b string) bool {
	t.Helper()
	ma, err := saving.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := saving.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := ma.Params(), mb.Params()
	if len(pa) != len(pb) || len(pa) == 0 {
		t.Fatalf("%s has %d weights, %s %d", a, len(pa), b, len(pb))
	}
	for i := range pa {
		da, db := pa[i].Value.Data(), pb[i].Value.Data()
		if pa[i].Name != pb[i].Name || len(da) != len(db) {
			t.Fatalf("weight %d: %s vs %s", i, pa[i].Name, pb[i].Name)
		}
		for j := range da {
			if math.Float32bits(da[j]) != math.Float32bits(db[j]) {
				t.Logf("%s[%d]: %v vs %v", pa[i].Name, j, da[j], db[j])
				return false
			}
		}
	}
	return true
}

// One epoch, then --resume with --epochs 2, trains exactly as two epochs
// straight: the same weights bit for bit and the same test line. Adam's
// moments, its step count, the shuffling generator and Dropout's generator
// all have to come back for that. The history and curves cover both
// epochs.
func TestTrainResume(t *testing.T) {
	skipShort(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "ckpt")
	recipe := []string{"--loss", "categorical_crossentropy", "--optimizer", "adam", "--dropout", "0.2", "--limit", "1000", "--verbose", "2"}
	first := cliOK(t, append([]string{"train", "--epochs", "1", "--checkpoint-dir", dir}, recipe...)...)

	resumed, straight := filepath.Join(tmp, "resumed.safetensors"), filepath.Join(tmp, "straight.safetensors")
	hist, curves := filepath.Join(tmp, "h.csv"), filepath.Join(tmp, "curves.png")
	args := append([]string{"train", "--epochs", "2", "--checkpoint-dir", dir, "--resume",
		"--output", resumed, "--history", hist, "--plot", curves}, recipe...)
	r := cliOK(t, args...)
	ckpt1 := filepath.Join(dir, "ckpt-0001.safetensors")
	for _, want := range []string{"goras: resuming from " + ckpt1 + ", saved after epoch 1\n", "model resumed from " + ckpt1,
		"wrote the history of 2 epochs", "drew the curves of 2 epochs in " + curves} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("resuming with the same flags warned:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout, "Epoch 1/2") || strings.Count(r.stdout, "Epoch 2/2\n") != 1 {
		t.Errorf("the resumed run did not train epoch 2 alone:\n%s", r.stdout)
	}
	s := cliOK(t, append([]string{"train", "--epochs", "2", "--output", straight}, recipe...)...)
	if !sameWeights(t, resumed, straight) {
		t.Errorf("resumed weights differ from an uninterrupted run's")
	}
	scores(t, r.stdout)
	scores(t, s.stdout)
	lastLine := func(s string) string { l := strings.Split(strings.TrimSpace(s), "\n"); return l[len(l)-1] }
	if lastLine(r.stdout) != lastLine(s.stdout) {
		t.Errorf("test line resumed %q, straight %q", lastLine(r.stdout), lastLine(s.stdout))
	}
	// Epoch 2's progress line is the same too (but for the timings), and
	// epoch 1's numbers are kept in the history.
	epochLine := regexp.MustCompile(`accuracy: .*`)
	if a, b := epochLine.FindAllString(r.stdout, -1), epochLine.FindAllString(s.stdout, -1); len(a) != 2 || len(b) != 3 || a[0] != b[1] {
		t.Errorf("epoch 2 logged differently: resumed %q, straight %q", a, b)
	}
	header, rows := readCSV(t, hist)
	if len(rows) != 2 {
		t.Fatalf("history has %d epochs, want 2", len(rows))
	}
	valAcc := column(t, header, rows, "val_accuracy")
	first1 := regexp.MustCompile(`val_accuracy: (\d\.\d{4})`).FindStringSubmatch(first.stdout)
	if got := fmt.Sprintf("%.4f", valAcc[0]); first1 == nil || got != first1[1] {
		t.Errorf("history's epoch 1 val_accuracy %s, the first run printed %v", got, first1)
	}
	readPicture(t, curves, 600, 300)

	// Flags describing another model: the checkpoint's goes on, with a
	// warning. Its History, saved in the checkpoint, now has 3 epochs.
	w := cliOK(t, "train", "--epochs", "3", "--checkpoint-dir", dir, "--resume", "--verbose", "0")
	if !strings.Contains(w.stderr, "goras: warning: the flags describe another model, loss or optimizer than "+filepath.Join(dir, "ckpt-0002.safetensors")) ||
		!strings.Contains(w.stderr, "optimizer Adam") {
		t.Errorf("resuming with other flags: stderr\n%s", w.stderr)
	}
	_, ck, err := saving.LatestCheckpoint(dir)
	if err != nil || ck.Epoch != 2 || len(ck.History.Epoch) != 3 {
		t.Fatalf("after the third epoch: %v, %+v", err, ck)
	}
}

// A damaged newest checkpoint is passed over with a warning naming it, and
// training goes on from the one before; the interrupted run's --limit,
// --epochs and --batch-size are recalled. (A run killed before its first
// checkpoint: TestRunSettingsFirst.)
func TestTrainResumeFallbacks(t *testing.T) {
	skipShort(t)
	dir := filepath.Join(t.TempDir(), "ckpt")
	r := cliOK(t, "train", "--limit", "300", "--batch-size", "50", "--epochs", "2", "--checkpoint-dir", dir, "--verbose", "2")
	if !strings.Contains(r.stdout, "Epoch 1/2") {
		t.Errorf("the first run:\n%s\n%s", r.stdout, r.stderr)
	}
	newest := filepath.Join(dir, "ckpt-0002.safetensors")
	b, err := os.ReadFile(newest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newest, b[:len(b)/2], 0o644); err != nil { // as a disk that lost its tail
		t.Fatal(err)
	}
	r = cliOK(t, "train", "--checkpoint-dir", dir, "--resume", "--verbose", "2")
	for _, want := range []string{"goras: warning: passed over a damaged checkpoint: ", newest,
		"resuming from " + filepath.Join(dir, "ckpt-0001.safetensors"), "training on 300 images", "batch_size 50, epochs 2"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "Epoch 2/2\n6/6 - ") || strings.Contains(r.stdout, "Epoch 1/2") {
		t.Errorf("did not train epoch 2 of 6 steps alone:\n%s", r.stdout)
	}
	// Nothing left to train: a note, and the checkpoint's model scored.
	r = cliOK(t, "train", "--checkpoint-dir", dir, "--resume", "--verbose", "2")
	if !strings.Contains(r.stderr, "the checkpoint has trained 2 epochs of 2 already; nothing left to train") || strings.Contains(r.stdout, "Epoch") {
		t.Errorf("resuming a finished run:\n%s\n%s", r.stdout, r.stderr)
	}
	scores(t, r.stdout)
}

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

// A LeNet-5 trained once for the tests that use a model: one epoch on the
// first 30,000 training digits, batch 64, seed 7 (about 8 s on two shared
// cores; 0.97 on the test set when written).
var lenet struct {
	once sync.Once
	path string
	err  string
}

func lenetModel(t *testing.T) string {
	t.Helper()
	skipShort(t)
	lenet.once.Do(func() {
		dir, err := os.MkdirTemp("", "goras-cli-test")
		if err != nil {
			lenet.err = err.Error()
			return
		}
		lenet.path = filepath.Join(dir, "lenet5.safetensors")
		args := []string{"train", "--model", "lenet5", "--limit", "30000", "--epochs", "1", "--batch-size", "64", "--seed", "7", "--verbose", "0", "--output", lenet.path}
		if r := cli(t, args...); r.code != 0 {
			lenet.err = fmt.Sprintf("goras %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	})
	if lenet.err != "" {
		t.Fatal(lenet.err)
	}
	return lenet.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if lenet.path != "" {
		os.RemoveAll(filepath.Dir(lenet.path))
	}
	os.Exit(code)
}

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

// confusionRow is a row of the text confusion matrix: the class, ten
// counts and the total.
var confusionRow = regexp.MustCompile(`(?m)^ +(\d) +((?:\d+ +){10})(\d+)$`)

// goras evaluate prints a confusion matrix whose rows count each class's
// test images, a per-class report, and last the test line; --confusion and
// --errors draw PNG pictures.
func TestEvaluateConfusion(t *testing.T) {
	model := lenetModel(t)
	_, test, err := mnist.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	var support [10]int
	for _, y := range test.Y {
		support[y]++
	}
	dir := t.TempDir()
	cm, wrong := filepath.Join(dir, "cm.png"), filepath.Join(dir, "wrong.png")
	r := cliOK(t, "evaluate", "--confusion", cm, "--errors", wrong, "--max-errors", "12", model)
	rows := confusionRow.FindAllStringSubmatch(r.stdout, -1)
	if len(rows) != 10 || !strings.HasPrefix(r.stdout, "Confusion matrix (rows: true class, columns: predicted class):\ntrue\\pred ") {
		t.Fatalf("no 10-row confusion matrix:\n%s", r.stdout)
	}
	correct := 0
	for k, row := range rows {
		counts := strings.Fields(row[2])
		sum := 0
		for p, c := range counts {
			v, _ := strconv.Atoi(c)
			sum += v
			if p == k {
				correct += v
			}
		}
		total, _ := strconv.Atoi(row[3])
		if row[1] != strconv.Itoa(k) || sum != support[k] || total != support[k] {
			t.Errorf("row %s sums to %d, total %d; class %d has %d test images", row[1], sum, total, k, support[k])
		}
	}
	_, acc := scores(t, r.stdout)
	if math.Abs(acc-float64(correct)/10000) > 0.00005 || acc < 0.95 {
		t.Errorf("test_accuracy %.4f, diagonal %d of 10000", acc, correct)
	}
	for _, want := range []string{"precision    recall  f1-score   support", "accuracy", "macro avg", "weighted avg"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^ +\d +[01]\.\d\d +[01]\.\d\d +[01]\.\d\d +\d+$`).FindAllString(r.stdout, -1)); n != 10 {
		t.Errorf("the report has %d class rows, want 10:\n%s", n, r.stdout)
	}
	if !strings.Contains(r.stderr, "drew the confusion matrix in "+cm) || !strings.Contains(r.stderr, "drew the 12 most confident errors in "+wrong) {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	readPicture(t, cm, 400, 400)
	readPicture(t, wrong, 400, 100)
}

// goras plot draws curves from a CSV, a JSON History and a checkpoint.
func TestPlot(t *testing.T) {
	dir := t.TempDir()
	h := &goras.History{
		Epoch: []int{0, 1, 2},
		History: map[string][]float64{
			"loss": {0.9, 0.5, 0.4}, "accuracy": {0.7, 0.85, 0.9},
			"val_loss": {0.6, 0.45, 0.42}, "val_accuracy": {0.8, 0.86, 0.88},
		},
		Seconds: []float64{1, 1, 1},
		Params:  map[string]int{"epochs": 3, "steps": 10, "verbose": 1},
	}
	csvPath, jsonPath := filepath.Join(dir, "h.csv"), filepath.Join(dir, "h.json")
	for _, p := range []string{csvPath, jsonPath} {
		if err := h.Save(p); err != nil {
			t.Fatal(err)
		}
	}
	png1, svg := filepath.Join(dir, "c1.png"), filepath.Join(dir, "c2.svg")
	r := cliOK(t, "plot", csvPath, "-o", png1)
	if r.stderr != "goras: drew the curves of 3 epochs in "+png1+"\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	readPicture(t, png1, 600, 300)
	cliOK(t, "plot", jsonPath, "--output", svg)
	b, err := os.ReadFile(svg)
	if err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("val_loss")) && !bytes.Contains(b, []byte("validation")) {
		t.Errorf("%s is not an SVG of the curves (%v): %.200s", svg, err, b)
	}
	// The JSON reader gives back the History written.
	got, err := loadHistory(jsonPath)
	if err != nil || !slices.Equal(got.Epoch, h.Epoch) || !slices.Equal(got.History["val_accuracy"], h.History["val_accuracy"]) {
		t.Errorf("loadHistory: %+v, %v", got, err)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"epoch": [0, 1], "history": {"loss": [0.5]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte(`{"epochs": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plot", csvPath}, "plot needs -o FILE, the .png or .svg picture to write"},
		{[]string{"plot", "-o", png1}, "plot takes one HISTORY_FILE, got 0 arguments"},
		{[]string{"plot", csvPath, "-o", filepath.Join(dir, "c.jpg")}, "c.jpg: the file name must end in .png or .svg"},
		{[]string{"plot", filepath.Join(dir, "h.txt"), "-o", png1}, "h.txt: a history file must end in .csv or .json"},
		{[]string{"plot", filepath.Join(dir, "none.csv"), "-o", png1}, "none.csv: no such file or directory"},
		{[]string{"plot", bad, "-o", png1}, bad + `: "loss" has 1 values for 2 epochs`},
		{[]string{"plot", other, "-o", png1}, other + `: not a history as History.Save writes it`},
	}
	for _, c := range cases {
		r := cli(t, c.args...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("goras %s: exit %d, stderr %q; want %q", strings.Join(c.args, " "), r.code, r.stderr, c.want)
		}
	}
}

// goras plot reads the history a checkpoint keeps.
func TestPlotCheckpoint(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	cliOK(t, "train", "--limit", "200", "--epochs", "2", "--verbose", "0", "--checkpoint-dir", dir)
	out := filepath.Join(dir, "c.png")
	r := cliOK(t, "plot", filepath.Join(dir, "ckpt-0002.safetensors"), "-o", out)
	if !strings.Contains(r.stderr, "curves of 2 epochs") {
		t.Errorf("stderr %q", r.stderr)
	}
	readPicture(t, out, 600, 300)
}
