package main

import (
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/saving"
	"github.com/goras-ml/goras/tensor"
)

// The tests of goras evaluate: its confusion matrix, report and pictures,
// and the models it refuses.

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
