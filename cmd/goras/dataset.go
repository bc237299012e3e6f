package main

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/imagefolder"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/predict"
	"github.com/spf13/pflag"
)

// The data a run trains on: one of Keras's data sets by its keras.datasets
// name (--dataset: MNIST, the default, or Fashion-MNIST, both 60,000
// training and 10,000 test pictures of 28×28), or a folder of the user's
// own pictures (--data DIR, a folder per class, read by
// datasets/imagefolder as Keras's image_dataset_from_directory, its
// validation split taking the test set's place).

// The names --dataset takes, Keras's.
const (
	datasetMNIST   = "mnist"
	datasetFashion = "fashion_mnist"
)

// datasetNames lists them, the default first.
var datasetNames = []string{datasetMNIST, datasetFashion}

// dataFlags are goras train's flags choosing the data.
type dataFlags struct {
	dataset         string
	data            string
	validationSplit float64
	imageSize       string
	colorMode       string
}

// addDatasetFlag adds --dataset, shared by train and evaluate.
func addDatasetFlag(fl *pflag.FlagSet, dataset *string) {
	fl.StringVar(dataset, "dataset", datasetMNIST, "the data set, by its keras.datasets `NAME`: "+strings.Join(datasetNames, " (handwritten digits), ")+
		" (Zalando's\npictures of clothes, 10 classes named T-shirt/top … Ankle boot); both 60,000 training\nand 10,000 test pictures of 28×28")
}

// addDataFlags adds --dataset, --data and the flags of --data to fl.
func addDataFlags(fl *pflag.FlagSet, d *dataFlags) {
	addDatasetFlag(fl, &d.dataset)
	fl.StringVar(&d.data, "data", "", "train on your own pictures instead: `DIR` holds a folder per class (its name the\n"+
		"class's), PNG, JPEG or GIF pictures in each, as Keras's\nimage_dataset_from_directory reads it; the model is rebuilt for the pictures' size\n"+
		"and the folder's classes, and validates on --validation-split of them")
	fl.Float64Var(&d.validationSplit, "validation-split", 0.2, "with --data, the `FRACTION` of the pictures kept for validation: the last ones\nafter a shuffle with --seed, as Keras's validation_split")
	fl.StringVar(&d.imageSize, "image-size", "", "with --data, resize the pictures to `HEIGHT,WIDTH` pixels (default: the model's input\nsize, 28,28 for every model of the zoo)")
	fl.StringVar(&d.colorMode, "color-mode", "", "with --data, read the pictures as `MODE`: grayscale, rgb or rgba (default: the\nmodel's, grayscale for every model of the zoo)")
}

// source is the data a run trains on, as the flags chose it.
type source struct {
	dataset string // a datasetNames name, or "" for a folder
	folder  string // --data
	// The folder's pictures as the model takes them, and their split.
	height, width int
	colorMode     string
	split         float64
	train, val    *imagefolder.Dataset // loaded by load
}

// isFolder tells a folder of the user's pictures from a named data set.
func (s *source) isFolder() bool { return s.folder != "" }

// String names the data for the run's description.
func (s *source) String() string {
	if s.isFolder() {
		return s.folder
	}
	return s.dataset
}

// classNames are the names a model trained on the data carries: a
// folder's, Fashion-MNIST's, none for MNIST's digits, which name
// themselves.
func (s *source) classNames() []string {
	switch {
	case s.isFolder() && s.train != nil:
		return s.train.ClassNames
	case s.dataset == datasetFashion:
		return fashionmnist.ClassNames()
	}
	return nil
}

// validationName is what the final line calls the data it scores: the
// test set of a named data set, the validation split of a folder (Keras's
// val_loss and val_accuracy).
func (s *source) validationName() string {
	if s.isFolder() {
		return "val"
	}
	return "test"
}

// splitNote says, for a folder, which pictures validate: "" for a data
// set, whose test pictures do.
func (s *source) splitNote(seed uint64) string {
	if !s.isFolder() {
		return ""
	}
	return fmt.Sprintf(" (the last %g%% of %s after a shuffle with seed %d, --validation-split %g)", 100*s.split, s.folder, seed, s.split)
}

// check validates the data flags; set reports whether a flag was given.
func (d *dataFlags) check(set func(string) bool) (*source, error) {
	if !slices.Contains(datasetNames, d.dataset) {
		return nil, unknownDataset(d.dataset)
	}
	if d.data == "" {
		for _, flag := range []string{"validation-split", "image-size", "color-mode"} {
			if set(flag) {
				return nil, fmt.Errorf("--%s applies to --data DIR, a folder of your own pictures; %s validates on its 10,000 test pictures of 28×28 grayscale", flag, d.dataset)
			}
		}
		return &source{dataset: d.dataset}, nil
	}
	if set("dataset") {
		return nil, fmt.Errorf("--data %s and --dataset %s both name the data to train on; give one: --data for a folder of your own pictures, --dataset for one of %s", d.data, d.dataset, strings.Join(datasetNames, ", "))
	}
	if set("limit") {
		return nil, fmt.Errorf("--limit applies to --dataset (the first N of its 60,000 training pictures); with --data %s, train on a folder holding fewer pictures", d.data)
	}
	s := &source{folder: d.data, split: d.validationSplit, colorMode: d.colorMode}
	if !(s.split > 0 && s.split < 1) {
		return nil, fmt.Errorf("--validation-split must be a fraction strictly between 0 and 1 of the pictures (e.g. 0.2), got %v", d.validationSplit)
	}
	if d.imageSize != "" {
		var err error
		if s.height, s.width, err = parseImageSize(d.imageSize); err != nil {
			return nil, err
		}
	}
	if s.colorMode != "" && !slices.Contains([]string{"grayscale", "rgb", "rgba"}, s.colorMode) {
		return nil, fmt.Errorf("--color-mode %q: want grayscale, rgb or rgba", s.colorMode)
	}
	return s, nil
}

// unknownDataset is the error of a --dataset that is none of Keras's
// names goras knows.
func unknownDataset(name string) error {
	return fmt.Errorf("unknown --dataset %q; known: %s (or --data DIR for a folder of your own pictures)", name, strings.Join(datasetNames, ", "))
}

// parseImageSize reads --image-size: HEIGHT,WIDTH, or one number for a
// square.
func parseImageSize(v string) (h, w int, err error) {
	parts := strings.Split(v, ",")
	sides := make([]int, 0, 2)
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 16384 {
			sides = nil
			break
		}
		sides = append(sides, n)
	}
	switch len(sides) {
	case 1:
		return sides[0], sides[0], nil
	case 2:
		if len(parts) == 2 {
			return sides[0], sides[1], nil
		}
	}
	return 0, 0, fmt.Errorf("--image-size %q: want HEIGHT,WIDTH in pixels, each 1 to 16384, e.g. 64,64", v)
}

// channels is the number of channels of the folder's colour mode.
func (s *source) channels() int {
	return map[string]int{"grayscale": 1, "rgb": 3, "rgba": 4}[s.colorMode]
}

// load reads the folder, its pictures resized to the size and colour
// mode the flags give or else the ones spec's network takes, its labels
// as loss reads them, split with seed, and logs what it found to log.
// Named data sets are loaded later, once the model is known to be right.
func (s *source) load(spec applications.Spec, loss losses.Loss, seed uint64, log io.Writer) error {
	if !s.isFolder() {
		return nil
	}
	if s.height == 0 || s.colorMode == "" {
		m, err := spec.New(seed)
		if err != nil {
			return err
		}
		h, w, mode, err := predict.PictureInput(m, "--model "+spec.Name, "--data")
		if err != nil {
			return fmt.Errorf("%w; give --image-size and --color-mode", err)
		}
		if s.height == 0 {
			s.height, s.width = h, w
		}
		if s.colorMode == "" {
			s.colorMode = mode
		}
	}
	labels := "categorical"
	if _, sparse := loss.(losses.SparseCategoricalCrossentropy); sparse {
		labels = "int"
	}
	train, val, err := imagefolder.LoadSplit(s.folder, imagefolder.ImageSize(s.height, s.width), imagefolder.ColorMode(s.colorMode),
		imagefolder.ValidationSplit(s.split), imagefolder.Seed(seed), imagefolder.LabelMode(labels), imagefolder.Logger(log))
	if err != nil {
		return fmt.Errorf("--data: %s", strings.TrimPrefix(err.Error(), "imagefolder: "))
	}
	s.train, s.val = train, val
	return nil
}

// input is the per-sample shape of the folder's pictures.
func (s *source) input() []int { return []int{s.height, s.width, s.channels()} }

// absFolder is the folder as the run settings keep it: absolute, so that
// --resume finds it from any directory.
func absFolder(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
