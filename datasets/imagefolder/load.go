package imagefolder

import (
	"fmt"
)

// Dataset is a folder of pictures, one folder per class, ready for Fit:
// X the pictures, Y their labels.
type Dataset struct {
	X *Images
	Y *Labels
	// ClassNames names the classes, index i naming label i: the class
	// folders, sorted (or as ClassNames gave them).
	ClassNames []string
}

// Labels is the class of each picture as a goras.Data, shaped by
// LabelMode: (N) class indices, (N, classes) one-hot, or (N, 1) 0/1.
type Labels struct {
	idx     []int
	classes int
	mode    string
}

// Shape is (N), (N, classes) or (N, 1), by LabelMode.
func (l *Labels) Shape() []int {
	switch l.mode {
	case "categorical":
		return []int{len(l.idx), l.classes}
	case "binary":
		return []int{len(l.idx), 1}
	}
	return []int{len(l.idx)}
}

// Gather writes the labels of rows into dst (goras.Data).
func (l *Labels) Gather(dst []float32, rows []int) {
	if l.mode == "categorical" {
		if len(dst) != len(rows)*l.classes {
			panic(fmt.Sprintf("imagefolder: Gather of %d one-hot labels into %d values", len(rows), len(dst)))
		}
		clear(dst)
		for i, r := range rows {
			dst[i*l.classes+l.idx[r]] = 1
		}
		return
	}
	if len(dst) != len(rows) {
		panic(fmt.Sprintf("imagefolder: Gather of %d labels into %d values", len(rows), len(dst)))
	}
	for i, r := range rows {
		dst[i] = float32(l.idx[r])
	}
}

// Finite says labels are finite (goras.FiniteData).
func (l *Labels) Finite() bool { return true }

// Indices returns the class index of every picture.
func (l *Labels) Indices() []int { return append([]int(nil), l.idx...) }

// Load reads the folder dir as keras.utils.image_dataset_from_directory
// does: one folder per class (its name the class's; folders are sorted, so
// the labels are the same on every machine), PNG, JPEG and GIF pictures in
// them and their subfolders, each resized to ImageSize (default 256×256)
// in ColorMode (default "rgb"). With ValidationSplit and Subset it returns
// the training or the validation part; LoadSplit returns both.
//
// Load checks everything it can before training starts, and says what is
// wrong: an empty folder, pictures without class folders, a single class,
// a class folder without pictures, files that are not pictures Go can read
// (all of them named). Pictures of mixed sizes are each resized.
func Load(dir string, opts ...Option) (*Dataset, error) {
	c := newConfig(opts)
	if err := c.check(false); err != nil {
		return nil, err
	}
	classes, paths, labels, err := c.indexAll(dir)
	if err != nil {
		return nil, err
	}
	lo, hi := 0, len(paths)
	if c.subset != "" {
		lo, hi = split(len(paths), c.validationSplit, c.subset)
		c.logf("Using %d files for %s.", hi-lo, c.subset)
	}
	return c.dataset(dir, classes, paths[lo:hi], labels[lo:hi], c.cacheBytes)
}

// LoadSplit is Load with Keras's subset="both": it returns the training
// and the validation parts of the folder, split by ValidationSplit (which
// it needs) after the shuffle fixed by Seed. The two share CacheBytes in
// proportion to their sizes.
func LoadSplit(dir string, opts ...Option) (train, val *Dataset, err error) {
	c := newConfig(opts)
	if err := c.check(true); err != nil {
		return nil, nil, err
	}
	classes, paths, labels, err := c.indexAll(dir)
	if err != nil {
		return nil, nil, err
	}
	n := len(paths)
	_, cut := split(n, c.validationSplit, "training")
	c.logf("Using %d files for training.", cut)
	c.logf("Using %d files for validation.", n-cut)
	trainBudget := int64(float64(c.cacheBytes) * float64(cut) / float64(n))
	if train, err = c.dataset(dir, classes, paths[:cut], labels[:cut], trainBudget); err != nil {
		return nil, nil, err
	}
	if val, err = c.dataset(dir, classes, paths[cut:], labels[cut:], c.cacheBytes-trainBudget); err != nil {
		return nil, nil, err
	}
	return train, val, nil
}

// indexAll lists and shuffles the pictures, as Keras's index_directory.
func (c *config) indexAll(dir string) (classes, paths []string, labels []int, err error) {
	classes, paths, labels, err = index(dir, c.classNames)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.labelMode == "binary" && len(classes) != 2 {
		return nil, nil, nil, fmt.Errorf("imagefolder: LabelMode(\"binary\") needs exactly 2 classes, %s has %d (%v); use \"int\" or \"categorical\"", dir, len(classes), classes)
	}
	c.logf("Found %d files belonging to %d classes.", len(paths), len(classes))
	if c.shuffle {
		shuffle(paths, labels, c.seed)
	}
	return classes, paths, labels, nil
}

// dataset makes one subset and checks (or decodes) its files.
func (c *config) dataset(dir string, classes, paths []string, labels []int, budget int64) (*Dataset, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("imagefolder: the split leaves no pictures in a subset of %s; use a ValidationSplit that keeps at least one picture on each side", dir)
	}
	im := newImages(c, paths, budget)
	if err := im.preload(); err != nil {
		return nil, err
	}
	return &Dataset{
		X:          im,
		Y:          &Labels{idx: append([]int(nil), labels...), classes: len(classes), mode: c.labelMode},
		ClassNames: append([]string(nil), classes...),
	}, nil
}
