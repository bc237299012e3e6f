package fashionmnist

import (
	"context"
	"io"
	"os"

	"github.com/goras-ml/goras/datasets/internal/fetch"
	"github.com/goras-ml/goras/datasets/internal/idx"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/tensor"
)

// The types are package mnist's: the two data sets share their format and
// their uses, so a program written for one runs on the other.
type (
	// Images is a stack of grey-scale pictures, 0 (background) to 255,
	// Keras's x_train; see mnist.Images for its methods (Float32, Gather,
	// WithChannelAxis, Slice, Image).
	Images = mnist.Images
	// Labels holds one class index 0..9 per picture (see ClassNames):
	// Keras's y_train.
	Labels = mnist.Labels
	// Dataset pairs images with their labels.
	Dataset = mnist.Dataset
	// File describes one of the four files (see Files).
	File = mnist.File
)

// classNames are the classes as Keras's fashion_mnist.load_data documents
// them, index i naming label i.
var classNames = [10]string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// ClassNames returns the name of each class, index i naming label i:
// T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
// Ankle boot.
func ClassNames() []string { return append([]string(nil), classNames[:]...) }

// ToCategorical one-hot encodes labels as a tensor of shape
// (len(labels), numClasses), as keras.utils.to_categorical; numClasses ≤ 0
// means max(labels)+1. It is mnist.ToCategorical.
func ToCategorical(labels []uint8, numClasses int) (*tensor.Tensor, error) {
	return mnist.ToCategorical(labels, numClasses)
}

// Environment variables LoadData reads.
const (
	EnvDir     = "GORAS_FASHION_MNIST_DIR"     // a directory holding the four files; searched first
	EnvCache   = fetch.EnvCache                // goras's cache root; Fashion-MNIST is cached in its fashion-mnist/ folder
	EnvMirrors = "GORAS_FASHION_MNIST_MIRRORS" // comma-separated base URLs tried before the built-in ones
)

// DebianDir is where Debian's dataset-fashion-mnist package installs the
// four gzipped files.
const DebianDir = "/usr/share/datasets/fashion-mnist"

// defaultMirrors hold the files under their canonical names: the
// publisher's URLs (those of Fashion-MNIST's README), then the copy Keras's
// load_data downloads.
var defaultMirrors = []string{
	"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
	"https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
}

// Option configures LoadData.
type Option func(*config)

type config struct {
	f       fetch.Config
	mirrors []string // WithMirrors, $GORAS_FASHION_MNIST_MIRRORS
	builtin []string // defaultMirrors; tests empty it
}

// WithDir names a directory holding the four files (gzipped or not, see
// Files); it is searched before anything else. A directory holding none of
// them is an error, not a quiet fall back to the cache. Default:
// $GORAS_FASHION_MNIST_DIR, or no such directory.
func WithDir(dir string) Option {
	return func(c *config) { c.f.Dir, c.f.DirFrom = dir, "WithDir" }
}

// WithCacheDir sets the directory where downloaded files are kept and
// looked for. Default: $GORAS_CACHE/fashion-mnist, else
// os.UserCacheDir()/goras/fashion-mnist.
func WithCacheDir(dir string) Option {
	return func(c *config) { c.f.CacheDir, c.f.CacheFrom = dir, "WithCacheDir" }
}

// WithLogger makes LoadData report where it found or fetched the data, and
// any file it rejected, one line each, to w. Default: nil, silent.
func WithLogger(w io.Writer) Option { return func(c *config) { c.f.Log = w } }

// WithMirrors sets base URLs (each holding the four .gz files) to try
// before the built-in ones. Default: the comma-separated list in
// $GORAS_FASHION_MNIST_MIRRORS, or none.
func WithMirrors(baseURLs ...string) Option {
	return func(c *config) { c.mirrors = append([]string(nil), baseURLs...) }
}

// WithDownload(false) keeps LoadData off the network: it uses only files
// already on disk. Default: true.
func WithDownload(enabled bool) Option { return func(c *config) { c.f.Download = enabled } }

// WithContext bounds the downloads LoadData may start; cancelling ctx stops
// them. Default: context.Background().
func WithContext(ctx context.Context) Option { return func(c *config) { c.f.Ctx = ctx } }

func newConfig(opts []Option) *config {
	c := &config{builtin: defaultMirrors, mirrors: fetch.EnvList(EnvMirrors)}
	c.f = fetch.Config{
		Name: "fashionmnist", Title: "Fashion-MNIST", Files: canonical[:],
		Download: true, EnvDir: EnvDir, EnvCache: EnvCache,
		System: []fetch.SystemDir{{Path: DebianDir, Label: "Debian's dataset-fashion-mnist package",
			Hint: "on Debian or Ubuntu, `apt-get install dataset-fashion-mnist`"}},
	}
	if d := os.Getenv(EnvDir); d != "" {
		c.f.Dir, c.f.DirFrom = d, "$"+EnvDir
	}
	c.f.CacheDir, c.f.CacheFrom = fetch.DefaultCache("fashion-mnist")
	for _, o := range opts {
		o(c)
	}
	c.f.Mirrors = append(append([]string(nil), c.mirrors...), c.builtin...)
	return c
}

// LoadData returns Fashion-MNIST as Keras's fashion_mnist.load_data does:
// 60000 training and 10000 test pictures of 28×28 pixels (0..255) with
// their class labels 0..9 (see ClassNames). See the package documentation
// for where the files are looked for; every copy is checked against the
// pinned SHA-256 hashes of Files before it is used.
func LoadData(opts ...Option) (train, test Dataset, err error) {
	c := newConfig(opts)
	blobs, where, err := fetch.Find(&c.f)
	if err != nil {
		return train, test, err
	}
	set, err := idx.DecodeSet("fashionmnist", blobs, where, 10, "a class")
	if err != nil {
		return train, test, err
	}
	train = Dataset{X: images(set.TrainX), Y: Labels(set.TrainY)}
	test = Dataset{X: images(set.TestX), Y: Labels(set.TestY)}
	return train, test, nil
}

func images(im *idx.Images) *Images {
	return &Images{N: im.N, Rows: im.Rows, Cols: im.Cols, Pixels: im.Pixels}
}
