package imagefolder

import (
	"fmt"
	"io"
	"slices"
)

// Option configures Load and LoadSplit, as the keyword arguments of
// keras.utils.image_dataset_from_directory do.
type Option func(*config)

type config struct {
	height, width   int
	colorMode       string
	labelMode       string
	classNames      []string
	shuffle         bool
	seed            uint64
	seedSet         bool
	validationSplit float64
	subset          string
	interpolation   string
	crop, pad       bool
	rescale         float64
	cacheBytes      int64
	log             io.Writer
}

func newConfig(opts []Option) *config {
	c := &config{height: 256, width: 256, colorMode: "rgb", labelMode: "int", shuffle: true,
		interpolation: "bilinear", rescale: 1.0 / 255, cacheBytes: 256 << 20}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// ImageSize sets the size every picture is resized to, height then width.
// Default 256×256, Keras's. A model's input size, e.g. ImageSize(28, 28)
// for the MNIST models.
func ImageSize(height, width int) Option {
	return func(c *config) { c.height, c.width = height, width }
}

// ColorMode sets the channels: "rgb" (3, the default), "grayscale" (1;
// luma 0.299 R + 0.587 G + 0.114 B, as a JPEG stores it) or "rgba" (4).
func ColorMode(mode string) Option { return func(c *config) { c.colorMode = mode } }

// LabelMode sets the labels' form: "int" (a class index per picture, shape
// (N), for sparse_categorical_crossentropy; the default), "categorical"
// (one-hot, (N, classes), for categorical_crossentropy) or "binary" (0 or
// 1, (N, 1), for binary_crossentropy; exactly two classes).
func LabelMode(mode string) Option { return func(c *config) { c.labelMode = mode } }

// ClassNames lists the class folders to use, in the order that numbers the
// classes; each must be a folder of the directory, named once. Default:
// every folder, sorted by name (Keras's order).
func ClassNames(names ...string) Option {
	return func(c *config) { c.classNames = slices.Clone(names) }
}

// Shuffle says whether the pictures are shuffled (with Seed) once, before
// the split, as Keras does; without it they stay in the order of their
// paths. Default true. (Fit reshuffles the training set every epoch
// anyway.)
func Shuffle(on bool) Option { return func(c *config) { c.shuffle = on } }

// Seed fixes the shuffle, and so the split: the two calls that load the
// training and the validation subset must use the same seed, or the
// subsets overlap. Required with ValidationSplit when shuffling, as in
// Keras. Default: 0, the same order on every run (Keras picks a random
// one).
func Seed(seed uint64) Option { return func(c *config) { c.seed, c.seedSet = seed, true } }

// ValidationSplit sets the fraction of the pictures, in (0, 1), kept for
// validation: the last int(fraction·N) pictures after the shuffle, as
// Keras's validation_split. With Load, Subset says which part to return;
// LoadSplit returns both. Default none.
func ValidationSplit(fraction float64) Option {
	return func(c *config) { c.validationSplit = fraction }
}

// Subset chooses, with ValidationSplit, the part Load returns: "training"
// or "validation" (LoadSplit is Keras's "both"). Default none.
func Subset(subset string) Option { return func(c *config) { c.subset = subset } }

// Interpolation sets how pictures are resized: "bilinear" (the default,
// Keras's, without antialiasing) or "nearest".
func Interpolation(method string) Option { return func(c *config) { c.interpolation = method } }

// CropToAspectRatio crops each picture to the largest centred box of the
// target aspect ratio before resizing, so that nothing is stretched (Keras's
// crop_to_aspect_ratio). Default false: pictures are stretched.
func CropToAspectRatio(on bool) Option { return func(c *config) { c.crop = on } }

// PadToAspectRatio resizes each picture to fit inside the target size,
// keeping its aspect ratio, and pads the rest with zeros (Keras's
// pad_to_aspect_ratio). Default false.
func PadToAspectRatio(on bool) Option { return func(c *config) { c.pad = on } }

// Rescale sets the factor pixels (0..255) are multiplied by as they are
// gathered. Default 1/255, giving values in [0, 1] like package mnist's
// data, so that the same models train on both; Rescale(1) gives Keras's
// raw 0..255 (for a model that starts with a Rescaling layer).
func Rescale(factor float64) Option { return func(c *config) { c.rescale = factor } }

// CacheBytes sets how much memory the decoded, resized pictures may keep
// (uint8, height·width·channels bytes each). When the whole set fits, it is
// decoded once by Load and every later batch is a copy; otherwise pictures
// are decoded as batches ask for them and the first ones decoded are kept
// until the budget is used. Default 256 MiB.
func CacheBytes(n int64) Option { return func(c *config) { c.cacheBytes = n } }

// Logger makes Load report what it found, as Keras prints it ("Found 120
// files belonging to 3 classes."), to w. Default nil, silent.
func Logger(w io.Writer) Option { return func(c *config) { c.log = w } }

func (c *config) logf(format string, args ...any) {
	if c.log != nil {
		fmt.Fprintf(c.log, format+"\n", args...)
	}
}

// channels is the number of channels of the color mode.
func (c *config) channels() int {
	return map[string]int{"grayscale": 1, "rgb": 3, "rgba": 4}[c.colorMode]
}

// check validates the options as Keras does, with goras's wording.
func (c *config) check(both bool) error {
	switch {
	case c.height < 1 || c.width < 1 || c.height > 1<<14 || c.width > 1<<14:
		return fmt.Errorf("imagefolder: ImageSize(%d, %d): want sides in 1..16384", c.height, c.width)
	case c.channels() == 0:
		return fmt.Errorf("imagefolder: ColorMode(%q): want \"rgb\", \"grayscale\" or \"rgba\"", c.colorMode)
	case !slices.Contains([]string{"int", "categorical", "binary"}, c.labelMode):
		return fmt.Errorf("imagefolder: LabelMode(%q): want \"int\", \"categorical\" or \"binary\"", c.labelMode)
	case c.interpolation != "bilinear" && c.interpolation != "nearest":
		return fmt.Errorf("imagefolder: Interpolation(%q): want \"bilinear\" or \"nearest\"", c.interpolation)
	case c.crop && c.pad:
		return fmt.Errorf("imagefolder: only one of CropToAspectRatio and PadToAspectRatio can be on")
	case c.validationSplit != 0 && !(c.validationSplit > 0 && c.validationSplit < 1):
		return fmt.Errorf("imagefolder: ValidationSplit(%v): want a fraction strictly between 0 and 1, e.g. 0.2", c.validationSplit)
	case both && c.validationSplit == 0:
		return fmt.Errorf("imagefolder: LoadSplit needs ValidationSplit, e.g. ValidationSplit(0.2)")
	case both && c.subset != "":
		return fmt.Errorf("imagefolder: LoadSplit returns both subsets; Subset(%q) is for Load", c.subset)
	case !both && (c.validationSplit != 0) != (c.subset != ""):
		return fmt.Errorf("imagefolder: ValidationSplit and Subset go together: give both (Subset(\"training\") or Subset(\"validation\")), or use LoadSplit for both subsets")
	case !both && c.subset != "" && c.subset != "training" && c.subset != "validation":
		return fmt.Errorf("imagefolder: Subset(%q): want \"training\" or \"validation\" (LoadSplit gives both)", c.subset)
	case c.validationSplit != 0 && c.shuffle && !c.seedSet:
		return fmt.Errorf("imagefolder: with ValidationSplit and shuffling, give a Seed, and the same one to the call for the other subset, so that the two subsets do not overlap")
	}
	return nil
}
