package main

import (
	"bytes"
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// The tests of issue 14's CLI items: NaN, output files checked before the
// work, messages for bad inputs, and newcomers' first steps.

// tinyModel saves a compiled, untrained Flatten → Dense(10, softmax) model
// (its outputs are probabilities) to dir/name and returns the path and the
// model.
func tinyModel(t *testing.T, dir, name string) (string, *goras.Model) {
	t.Helper()
	m := goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	m.SetSeed(5)
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.CategoricalCrossentropy{}, Metrics: []string{"accuracy"}}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := saving.Save(m, p); err != nil {
		t.Fatal(err)
	}
	return p, m
}

// barPicture writes a 40×40 PNG of a dark bar on white paper, which
// predict reads as a digit (a 1, more or less).
func barPicture(t *testing.T, path string) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 6; y < 34; y++ {
		for x := 18; x < 23; x++ {
			img.SetGray(x, y, color.Gray{0})
		}
	}
	writePNG(t, path, img)
}

// wantFail runs goras with args and checks it exits 1 with want on stderr
// and nothing on stdout.
func wantFail(t *testing.T, want string, args ...string) result {
	t.Helper()
	r := cli(t, args...)
	if r.code != 1 || !strings.Contains(r.stderr, want) || r.stdout != "" {
		t.Errorf("goras %s: exit %d, stdout %q, stderr %q; want exit 1, no stdout and %q", strings.Join(args, " "), r.code, r.stdout, r.stderr, want)
	}
	return r
}

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

// A misspelt flag gets the nearest one suggested.
func TestFlagSuggestions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--epoch", "3"}, "unknown flag: --epoch; did you mean --epochs? (see 'goras train --help')"},
		{[]string{"train", "--lr", "0.1"}, "did you mean --learning-rate?"},
		{[]string{"train", "--chekpoint-dir", "x"}, "did you mean --checkpoint-dir?"},
		{[]string{"train", "--hist", "h.csv"}, "did you mean --history?"},
		{[]string{"predict", "--jsn"}, "did you mean --json?"},
		{[]string{"train", "--zzzzzzz"}, "unknown flag: --zzzzzzz (see 'goras train --help')"},
	} {
		wantFail(t, c.want, c.args...)
	}
	if d := editDistance("kitten", "sitting"); d != 3 {
		t.Errorf("editDistance(kitten, sitting) = %d, want 3", d)
	}
}

// goras version and --version print goras.Version, the version model files
// carry.
func TestVersionIsGorasVersion(t *testing.T) {
	for _, c := range []struct{ args, prefix string }{{"version", "goras " + goras.Version + " ("}, {"--version", "goras version " + goras.Version + " ("}} {
		r := cli(t, c.args)
		if r.code != 0 || !strings.HasPrefix(r.stdout, c.prefix) {
			t.Errorf("goras %s: exit %d, %q; want it to start with %q", c.args, r.code, r.stdout, c.prefix)
		}
	}
}

// --checkpoint-dir on a looping or dangling symbolic link is refused before
// anything runs, saying what the link is.
func TestCheckpointDirLinks(t *testing.T) {
	dir := t.TempDir()
	a, b, dangling := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "gone")
	for _, l := range [][2]string{{b, a}, {a, b}, {filepath.Join(dir, "nowhere"), dangling}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	wantFail(t, "--checkpoint-dir "+a+" is a symbolic link that loops back on itself", "train", "--checkpoint-dir", a)
	wantFail(t, "--checkpoint-dir "+a+" is a symbolic link that loops back on itself", "train", "--checkpoint-dir", a, "--resume")
	wantFail(t, "--checkpoint-dir "+dangling+" is a symbolic link to "+filepath.Join(dir, "nowhere")+", which does not exist", "train", "--checkpoint-dir", dangling)
}

// failingWriter stands for a run killed at its first output: every write
// fails.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("killed") }

// The run's settings are written before anything else: a run that dies at
// its first line of output can be resumed as itself, and a directory
// without them is refused with --resume instead of training the default
// model.
func TestRunSettingsFirst(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"train", "--model", "lenet5", "--epochs", "3", "--limit", "500", "--checkpoint-dir", dir}, failingWriter{}, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, runFile))
	if err != nil {
		t.Fatalf("no %s after a run that died at its first output: %v", runFile, err)
	}
	if !strings.Contains(string(b), `"model": "lenet5"`) {
		t.Errorf("%s: %s", runFile, b)
	}
	cmd, f := newTrainCmdFlags()
	if err := cmd.ParseFlags([]string{"--checkpoint-dir", dir, "--resume"}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r, ck, err := f.start(cmd.Flags().Changed, &log)
	if err != nil || ck != nil || r.spec.Name != "lenet5" || r.epochs != 3 || r.limit != 500 {
		t.Fatalf("resumed %+v, %v, %v; want lenet5, 3 epochs, limit 500, no checkpoint", r, ck, err)
	}
	if !strings.Contains(log.String(), "no checkpoint in "+dir+" yet; training from scratch") {
		t.Errorf("log: %q", log.String())
	}

	empty := t.TempDir()
	wantFail(t, "--resume: "+empty+" holds no goras-train.json, the settings goras train writes there before anything else, so there is no run to resume",
		"train", "--checkpoint-dir", empty, "--resume")
	wantFail(t, "holds no goras-train.json", "train", "--checkpoint-dir", filepath.Join(empty, "new"), "--resume")
}

// The NaN guard stops at a non-finite loss, naming the epoch and step, and
// at the end of an epoch whose weights are no longer finite although the
// loss was; an epoch so stopped is not backed up.
func TestNaNGuard(t *testing.T) {
	_, m := tinyModel(t, t.TempDir(), "m.safetensors")
	var out bytes.Buffer
	g := newNaNGuard(&out, 5, 10)
	g.SetModel(m)
	g.OnTrainBegin(nil)
	g.OnEpochBegin(1, nil)
	g.OnTrainBatchEnd(5, goras.Logs{"loss": 0.3})
	g.OnEpochEnd(1, goras.Logs{"loss": 0.3})
	if g.Err() != nil || m.StopTraining {
		t.Fatalf("finite run stopped: %v", g.Err())
	}
	g.OnTrainBatchEnd(6, goras.Logs{"loss": math.NaN()})
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "training stopped at epoch 2/5, step 7/10: the loss became NaN") || !m.StopTraining {
		t.Errorf("NaN loss: %v, StopTraining %v", err, m.StopTraining)
	}
	if out.String() != "Batch 6: Invalid loss, terminating training\n" {
		t.Errorf("TerminateOnNaN's message: %q", out.String())
	}

	dir := t.TempDir()
	_, m = tinyModel(t, dir, "m.safetensors")
	g = newNaNGuard(io.Discard, 5, 10)
	backup, err := callbacks.NewBackupAndRestore(filepath.Join(dir, "ckpt"), callbacks.BackupAndRestoreConfig{Keep: -1})
	if err != nil {
		t.Fatal(err)
	}
	cbs := []goras.Callback{g, noNaNBackup{backup, g}}
	for _, c := range cbs {
		c.SetModel(m)
		c.OnTrainBegin(nil)
		c.OnEpochBegin(0, nil)
	}
	for _, c := range cbs {
		c.OnEpochEnd(0, goras.Logs{"loss": 0.3})
	}
	m.Params()[1].Value.Data()[3] = float32(math.Inf(-1))
	for _, c := range cbs {
		c.OnEpochBegin(1, nil)
		c.OnTrainBatchEnd(9, goras.Logs{"loss": 0.3})
	}
	for _, c := range cbs {
		c.OnEpochEnd(1, goras.Logs{"loss": 0.3})
	}
	want := "training stopped at the end of epoch 2/5 (step 10/10): weight " + m.Params()[1].Name + " holds -Inf although the loss stayed finite"
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), want) || !m.StopTraining {
		t.Errorf("non-finite weight: %v; want %q", err, want)
	}
	if got := dirNames(t, filepath.Join(dir, "ckpt")); !slices.Equal(got, []string{"ckpt-0001.safetensors"}) {
		t.Errorf("backups %v; want epoch 1's only", got)
	}
}

// predict and evaluate call a model with NaN weights broken, not a model
// without softmax.
func TestNaNModelIsBroken(t *testing.T) {
	dir := t.TempDir()
	_, m := tinyModel(t, dir, "ok.safetensors")
	m.Params()[0].Value.Data()[100] = float32(math.NaN())
	broken := filepath.Join(dir, "nan.safetensors")
	if err := saving.Save(m, broken); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(dir, "one.png")
	barPicture(t, pic)
	want := broken + " is broken: its weight " + m.Params()[0].Name + " holds NaN"
	wantFail(t, want, "predict", broken, pic)
	wantFail(t, want, "evaluate", broken)
}

// A learning rate of 1e30 makes the loss NaN within the first epoch:
// training stops there, says where, exits 1 and does not save the model;
// the history, which shows the divergence, is written.
func TestTrainStopsAtNaN(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	out, hist := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "h.csv")
	r := cli(t, "train", "--learning-rate", "1e30", "--limit", "500", "--epochs", "3", "--verbose", "0", "--output", out, "--history", hist)
	stop := regexp.MustCompile(`goras: training stopped at epoch 1/3, step [1-5]/5: the loss became (NaN|[+-]Inf)`)
	if r.code != 1 || !stop.MatchString(r.stderr) || !strings.Contains(r.stderr, "The model was not saved to "+out) {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "test_loss") || !strings.Contains(r.stdout, "Invalid loss, terminating training") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the NaN model was saved: %v", err)
	}
	if _, err := os.Stat(hist); err != nil {
		t.Errorf("no history: %v", err)
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

// goras plot on a model file says what to plot instead, in CLI terms.
func TestPlotModelFile(t *testing.T) {
	dir := t.TempDir()
	model, _ := tinyModel(t, dir, "m.safetensors")
	r := wantFail(t, model+" is a model file, not a checkpoint: it holds no training history", "plot", model, "-o", filepath.Join(dir, "c.png"))
	if !strings.Contains(r.stderr, "goras train --history run.csv") || strings.Contains(r.stderr, "saving.Load") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// The CLI's networks are package applications' zoo, every one of them.
func TestModelsAreTheZoo(t *testing.T) {
	help := cli(t, "train", "--help").stdout
	for _, name := range applications.Names() {
		spec, err := applications.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := spec.New(1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := newModel(spec, 1, modelArch)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(classes(got), classes(want)) || got.CountParams() != want.CountParams() {
			t.Errorf("--model %s builds %v, the zoo %v", name, classes(got), classes(want))
		}
		if first := strings.SplitN(spec.Description, "\n", 2)[0]; !strings.Contains(help, name+": "+first) {
			t.Errorf("train --help lacks %s: %s", name, first)
		}
		if isRecipe(name) != (spec.Recipe != nil) {
			t.Errorf("isRecipe(%s) = %v", name, isRecipe(name))
		}
	}
}

// The help of train says what docs/bounty.md measured for the recipes.
func TestTrainHelpMeasuredTimes(t *testing.T) {
	help := cli(t, "train", "--help").stdout
	for _, want := range []string{"fast 99.16–99.32 % test accuracy in 7.2–10.1 s", "sprint\n99.58–99.65 % in 64–101 s", "best 99.60–99.66 % in 3–15 minutes"} {
		if !strings.Contains(help, want) {
			t.Errorf("train --help lacks %q", want)
		}
	}
}

// No function of the command is over 80 lines.
func TestNoLongFunctions(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok {
				if n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1; n > 80 {
					t.Errorf("%s: %s is %d lines, over 80", name, fn.Name.Name, n)
				}
			}
		}
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

// evaluate refuses a model without an output per class, by name and
// before loading the data; it failed inside mnist.ToCategorical ("label 7
// at index 0 is not below numClasses=3") after loading it.
func TestEvaluateNeedsTenOutputs(t *testing.T) {
	dir := t.TempDir()
	m := goras.NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(3, layers.WithActivation("softmax")))
	sgd, err := optimizers.NewSGD(optimizers.LearningRate(0.1))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Optimizer: sgd, Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "three.safetensors")
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
	q, err := quantize.Quantize(m, tensor.New(4, 28, 28))
	if err != nil {
		t.Fatal(err)
	}
	qpath := filepath.Join(dir, "three-int8.safetensors")
	if err := q.Save(qpath); err != nil {
		t.Fatal(err)
	}
	// An empty --data-dir would be refused first: the check needs no data.
	for _, p := range []string{path, qpath} {
		r := wantFail(t, p+" outputs shape (None, 3), but the test set has 10 classes (labels 0 to 9); evaluate needs a model with one output per class, (10)", "evaluate", p)
		if strings.Contains(r.stderr, "mnist:") {
			t.Errorf("evaluate %s loaded the data first: %q", p, r.stderr)
		}
	}
}

// summary of an int8 model file prints its layers and numbers (it said
// "dtype I8 is valid safetensors but goras reads only [F32 F64 F16
// BF16]"), and a model file with --model, --dropout or --l2 is refused
// (they were ignored).
func TestSummaryOfFiles(t *testing.T) {
	dir := t.TempDir()
	model, m := tinyModel(t, dir, "m.safetensors")
	q, err := quantize.Quantize(m, tensor.New(4, 28, 28))
	if err != nil {
		t.Fatal(err)
	}
	qpath := filepath.Join(dir, "m-int8.safetensors")
	if err := q.Save(qpath); err != nil {
		t.Fatal(err)
	}
	r := cli(t, "summary", qpath)
	// Dense(10) on 784 inputs: 7,840 int8 weights, 10 scales and 10 biases.
	for _, want := range []string{`Model: "sequential" (int8, from goras quantize)`, "Flatten", "(None, 784)", "dense (Dense)", "(None, 10)", "7,840",
		" Total: 7,840 int8 weights and 20 float32 scales and biases (7,920 bytes)\n"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("summary of an int8 file: exit %d, stderr %q, stdout:\n%s\nwant %q", r.code, r.stderr, r.stdout, want)
		}
	}
	for _, flag := range [][]string{{"--model", "lenet5"}, {"--dropout", "0.5"}, {"--l2", "0.01"}} {
		wantFail(t, flag[0]+" names or changes a network, and summary was given the model file "+model, append([]string{"summary", model}, flag...)...)
	}
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
