package train

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/crossval"
	"github.com/goras-ml/goras/recipes"
)

// MNISTTrain is the number of images in MNIST's training set, from which
// the training, validation and k-fold splits are cut. The test set is never
// part of a Job: only the collecting step reads it.
const MNISTTrain = 60000

// Job is one training run, one element of the train-many pipeline. Its
// fields are plain values so that Beam can encode it and send it to any
// worker.
type Job struct {
	// ID names the run in the results table and its files:
	// Out/ID.safetensors (the model) and Out/ID.history.json (its
	// History). Letters, digits, '.', '_' and '-' only.
	ID string
	// Recipe is a recipe name of MNIST (recipes.Get: "best",
	// "best-long", "fast", "sprint"); Model the name of another network of package applications
	// ("mlp", "lenet5", "keras-convnet"). Exactly one is set.
	Recipe, Model string
	// Seed draws the weights, the shuffling, the dropout masks and the
	// augmentation: the same Job gives the same model, bit for bit.
	Seed uint64
	// Hyper overrides hyper-parameters by name (see HyperNames); a name
	// not in the map keeps the recipe's or the model's own value.
	Hyper map[string]float64
	// Data is a directory holding the four MNIST files, a local path or
	// any Beam file system's (gs://...); "" lets mnist.LoadData find them
	// (its cache, else the Go module proxy).
	Data string
	// Train is how many of MNIST's 60,000 training images the model
	// trains on, the first ones; Validation how many of the last ones it
	// is validated on after every epoch. Default (0, 0): 55,000 and
	// 5,000, the recipes' protocol (recipes.Split). With Folds set,
	// Train images are cut into folds instead and Validation must be 0.
	Train, Validation int
	// Folds and Fold make the job fold Fold (from 0) of a Folds-fold
	// cross validation on the first Train images: contiguous folds, as
	// crossval.Splitter{K: Folds}; the model validates on fold Fold and
	// trains on the others. Folds 0: no cross validation.
	Folds, Fold int
	// Out is the directory the model file and the history go to, a
	// local path or any Beam file system's.
	Out string
}

// HyperNames lists, for a recipe and for another network, the names Hyper
// takes. Integers (epochs, batch_size, filters1, ...) must be whole numbers.
//
//   - recipes (CNNConfig): epochs, batch_size, filters1, filters2,
//     convs1, convs2, dense, dropout, peak_rate, warmup_epochs,
//     label_smoothing, rotation, shift, zoom. epochs and batch_size lay the
//     recipe's schedule out anew, as recipes.RunOptions.Epochs does.
//   - networks: epochs, batch_size, learning_rate, dropout (a Dropout
//     before every Dense after a hidden layer, applications.SetDropout).
func HyperNames(recipe bool) []string {
	if recipe {
		return []string{"batch_size", "convs1", "convs2", "dense", "dropout", "epochs", "filters1", "filters2",
			"label_smoothing", "peak_rate", "rotation", "shift", "warmup_epochs", "zoom"}
	}
	return []string{"batch_size", "dropout", "epochs", "learning_rate"}
}

// integerHyper are the names whose values count something.
var integerHyper = map[string]bool{"epochs": true, "batch_size": true, "filters1": true, "filters2": true,
	"convs1": true, "convs2": true, "dense": true}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Validate checks the job before any worker sees it, so that a mistake in a
// sweep file fails at once rather than after hours of other trainings.
func (j Job) Validate() error {
	if !idPattern.MatchString(j.ID) {
		return fmt.Errorf("job ID %q must be letters, digits, '.', '_' or '-' (it names the job's files)", j.ID)
	}
	if (j.Recipe == "") == (j.Model == "") {
		return fmt.Errorf("job %s: give a recipe (%s) or a model (%s), exactly one; got recipe %q and model %q",
			j.ID, strings.Join(recipes.Names(), ", "), strings.Join(networks(), ", "), j.Recipe, j.Model)
	}
	if j.Recipe != "" {
		r, err := recipes.Get(j.Recipe)
		if err != nil {
			return fmt.Errorf("job %s: %w", j.ID, err)
		}
		if r.Dataset != "" && r.Dataset != "mnist" {
			// Jobs read MNIST's four files (loadMNIST): a recipe chosen on
			// another data set would train on digits under its name.
			return fmt.Errorf("job %s: recipe %s trains on %s, and goras-beam's jobs read MNIST only; train it with goras train --model %s, or give a recipe of MNIST (%s)",
				j.ID, j.Recipe, r.Dataset, j.Recipe, strings.Join(mnistRecipes(), ", "))
		}
	} else if spec, err := applications.Get(j.Model); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	} else if spec.Recipe != nil {
		return fmt.Errorf("job %s: %s is a recipe; give it as the recipe, not the model", j.ID, j.Model)
	}
	if err := j.checkHyper(); err != nil {
		return err
	}
	if j.Out == "" {
		return fmt.Errorf("job %s: no output directory; give Out, where its model and history go", j.ID)
	}
	_, err := j.split()
	return err
}

// mnistRecipes are the recipes chosen on MNIST, which jobs can train.
func mnistRecipes() []string {
	var out []string
	for _, n := range recipes.Names() {
		if r, _ := recipes.Get(n); r.Dataset == "" || r.Dataset == "mnist" {
			out = append(out, n)
		}
	}
	return out
}

// networks are the applications that are not recipes.
func networks() []string {
	var out []string
	for _, n := range applications.Names() {
		if s, err := applications.Get(n); err == nil && s.Recipe == nil {
			out = append(out, n)
		}
	}
	return out
}

// checkHyper refuses unknown names, non-finite values and fractional counts.
func (j Job) checkHyper() error {
	known := HyperNames(j.Recipe != "")
	for _, k := range sortedKeys(j.Hyper) {
		v := j.Hyper[k]
		if i := sort.SearchStrings(known, k); i == len(known) || known[i] != k {
			return fmt.Errorf("job %s: unknown hyper-parameter %q for a %s; known: %s", j.ID, k, j.kind(), strings.Join(known, ", "))
		}
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			return fmt.Errorf("job %s: hyper-parameter %s must be a finite number ≥ 0, got %v", j.ID, k, v)
		case integerHyper[k] && v != math.Trunc(v):
			return fmt.Errorf("job %s: hyper-parameter %s counts something and must be a whole number, got %v", j.ID, k, v)
		case (k == "epochs" || k == "batch_size") && v < 1:
			return fmt.Errorf("job %s: hyper-parameter %s must be at least 1, got %v", j.ID, k, v)
		case (k == "dropout" || k == "label_smoothing") && v >= 1:
			return fmt.Errorf("job %s: hyper-parameter %s must be below 1, got %v", j.ID, k, v)
		}
	}
	return nil
}

func (j Job) kind() string {
	if j.Recipe != "" {
		return "recipe"
	}
	return "network"
}

// Name is the recipe or the network.
func (j Job) Name() string { return j.Recipe + j.Model }

// Config describes the job without what tells the runs of one
// configuration apart (ID, Seed, Fold and Out): the recipe or network, the
// hyper-parameters by name, then those of Train, Validation and Folds that
// are set and, last, the data directory, e.g. "fast dense=64 dropout=0.3"
// or "fast epochs=2 train=1500 folds=3 data=gs://bucket/mnist". Jobs of
// one Config are one point of a sweep, trained from several seeds or
// folds on the same images. ParseConfig reads it back.
func (j Job) Config() string {
	parts := []string{j.Name()}
	for _, k := range sortedKeys(j.Hyper) {
		parts = append(parts, k+"="+strconv.FormatFloat(j.Hyper[k], 'g', -1, 64))
	}
	for _, s := range j.splitSettings() {
		if *s.v != 0 {
			parts = append(parts, s.key+"="+strconv.Itoa(*s.v))
		}
	}
	if j.Data != "" { // last, as it is: a path may hold spaces and '='
		parts = append(parts, configData+j.Data)
	}
	return strings.Join(parts, " ")
}

// configData starts the data directory in a Config, which runs to its end.
const configData = "data="

// setting is one of Config's counts: its key and the job's field.
type setting struct {
	key string
	v   *int
}

// splitSettings are Config's keys for the job's cut of the training images.
func (j *Job) splitSettings() []setting {
	return []setting{{"train", &j.Train}, {"validation", &j.Validation}, {"folds", &j.Folds}}
}

// ParseConfig reads a Config back into the job it describes, whose ID,
// Seed, Fold and Out are left for the caller to set (Validate then checks
// the whole job): ParseConfig(j.Config()) with those four of j is j (an
// empty Hyper reads back nil). A hyper-parameter without a value, or a
// count that is not a whole number, is an error.
func ParseConfig(config string) (Job, error) {
	head, data, hasData := strings.Cut(config, " "+configData)
	fields := strings.Split(head, " ")
	var j Job
	if name := fields[0]; name == "" {
		return Job{}, fmt.Errorf("config %q: want a recipe or network name first, e.g. \"fast dense=64\"", config)
	} else if _, err := recipes.Get(name); err == nil {
		j.Recipe = name
	} else {
		j.Model = name
	}
	settings := map[string]*int{}
	for _, s := range j.splitSettings() {
		settings[s.key] = s.v
	}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return Job{}, fmt.Errorf("config %q: want NAME=VALUE settings after the name, got %q", config, f)
		}
		if p, ok := settings[k]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return Job{}, fmt.Errorf("config %q: %s counts images or folds and must be a whole number, got %q", config, k, v)
			}
			*p = n
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return Job{}, fmt.Errorf("config %q: hyper-parameter %s must be a number, got %q", config, k, v)
		}
		if j.Hyper == nil {
			j.Hyper = map[string]float64{}
		}
		j.Hyper[k] = x
	}
	if hasData {
		j.Data = data
	}
	return j, nil
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// split is the job's cut of the 60,000 training images.
type split struct {
	train, val []int // image indices; nil train: the contiguous ranges below
	trainN     int   // [0, trainN)
	valLo      int   // [valLo, MNISTTrain)
}

// split returns which training images the job trains and validates on.
func (j Job) split() (split, error) {
	n, v := j.Train, j.Validation
	if n == 0 && v == 0 && j.Folds == 0 {
		n, v = recipes.TrainSamples, recipes.ValidationSamples
	}
	if j.Folds != 0 {
		return j.foldSplit(n, v)
	}
	if n < 1 || v < 1 || n+v > MNISTTrain {
		return split{}, fmt.Errorf("job %s: Train (%d) and Validation (%d) images must each be at least 1 and together at most %d, the training set; the test set is read only by the collecting step",
			j.ID, n, v, MNISTTrain)
	}
	return split{trainN: n, valLo: MNISTTrain - v}, nil
}

// foldSplit cuts the first n images into j.Folds contiguous folds with
// crossval.Splitter, as scikit-learn's KFold(shuffle=False).
func (j Job) foldSplit(n, v int) (split, error) {
	if n == 0 {
		n = MNISTTrain
	}
	if v != 0 {
		return split{}, fmt.Errorf("job %s: a k-fold job validates on its held-out fold; leave Validation 0, got %d", j.ID, v)
	}
	if j.Folds < 2 || n < j.Folds || n > MNISTTrain || j.Fold < 0 || j.Fold >= j.Folds {
		return split{}, fmt.Errorf("job %s: k-fold needs 2 ≤ Folds ≤ Train ≤ %d and 0 ≤ Fold < Folds, got Folds %d, Fold %d, Train %d",
			j.ID, MNISTTrain, j.Folds, j.Fold, n)
	}
	folds, err := crossval.Splitter{K: j.Folds}.Split(n)
	if err != nil {
		return split{}, fmt.Errorf("job %s: %w", j.ID, err)
	}
	f := folds[j.Fold]
	return split{train: f.Train, val: f.Test}, nil
}
