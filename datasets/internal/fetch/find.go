package fetch

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

// File describes one file of a data set, as its publisher distributes it:
// its gzipped name, size and SHA-256, and the size and SHA-256 of its
// uncompressed bytes. Find accepts a copy only if one of the two hashes
// matches (or the copy is gzipped differently and unpacks to the pinned
// bytes).
type File struct {
	Name      string // gzipped file name, e.g. "train-images-idx3-ubyte.gz"
	Size      int64  // bytes of the gzipped file
	SHA256    string // hex SHA-256 of the gzipped file
	RawSize   int64  // bytes once uncompressed
	RawSHA256 string // hex SHA-256 of the uncompressed bytes
}

// RawName is the file's name uncompressed, e.g. "train-images-idx3-ubyte".
func (f File) RawName() string { return strings.TrimSuffix(f.Name, ".gz") }

// SystemDir is a read-only directory where a system package installs the
// files, e.g. Debian's /usr/share/datasets/fashion-mnist.
type SystemDir struct {
	Path  string // the directory
	Label string // who puts the files there, e.g. "Debian's dataset-fashion-mnist package"
	Hint  string // how to get them there, for the error, e.g. "apt-get install dataset-fashion-mnist"
}

// Config says what to find and where to look. The zero values of the
// optional fields turn their source off.
type Config struct {
	Name  string // the calling package, prefix of errors and log lines: "mnist"
	Title string // the data set in messages: "MNIST"
	Files []File

	Ctx      context.Context // bounds downloads; nil means context.Background()
	Log      io.Writer       // one line per source used or file rejected; nil is silent
	Download bool            // false keeps Find off the network

	Dir, DirFrom     string // a directory the user named, and how ("WithDir", "$GORAS_MNIST_DIR")
	CacheDir         string // goras's cache for this data set; "" if none could be found
	CacheFrom        string // how CacheDir was chosen, for messages
	EnvDir, EnvCache string // names of the environment variables, for messages

	System       []SystemDir // searched after the cache, in order
	Module       *GoModule   // a Go module carrying the files, or nil
	GoCmd        string      // the go command; "" means "go"
	ModCacheRoot string      // overrides the GOMODCACHE lookup when not ""
	Mirrors      []string    // base URLs holding the .gz files, tried in order
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, c.Name+": "+format+"\n", args...)
	}
}

func (c *Config) ctx() context.Context {
	if c.Ctx == nil {
		return context.Background()
	}
	return c.Ctx
}

// Find returns a verified copy of every file of c.Files, in order, and
// where each came from (a path or a URL). Each file is taken from the
// first of these places that holds a good copy: c.Dir, c.CacheDir, each of
// c.System, the Go module c.Module (downloaded with the go command when
// absent and downloads are on), then c.Mirrors. Copies from the module or a
// mirror are stored in c.CacheDir. When some file is found nowhere, the
// error lists every attempt for it and says where to put it.
func Find(c *Config) (blobs [][]byte, where []string, err error) {
	if err := c.checkUserDir(); err != nil {
		return nil, nil, err
	}
	r := &resolver{Config: c, attempts: make([][]attempt, len(c.Files))}
	blobs, where = make([][]byte, len(c.Files)), make([]string, len(c.Files))
	var missing []int
	for i := range c.Files {
		blobs[i], where[i] = r.find(i)
		if blobs[i] == nil {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return nil, nil, r.notFound(missing)
	}
	r.logFound(where)
	return blobs, where, nil
}

// attempt records one place a file was looked for and what happened.
type attempt struct{ place, result string }

type resolver struct {
	*Config
	attempts [][]attempt

	modOnce sync.Once
	modDir  string // the module's folder of files, once found
	modErr  error
}

// find returns a verified copy of file i and a name for where it came from,
// or nil after recording every failed attempt.
func (r *resolver) find(i int) ([]byte, string) {
	f := r.Files[i]
	if r.Dir != "" {
		if b, p := r.fromDir(i, r.Dir, r.DirFrom); b != nil {
			return b, p
		}
	}
	if r.CacheDir != "" {
		if b, p := r.fromDir(i, r.CacheDir, r.CacheFrom); b != nil {
			return b, p
		}
	} else {
		r.note(i, "cache", "no cache directory: os.UserCacheDir failed; set $"+r.EnvCache)
	}
	for _, s := range r.System {
		if b, p := r.fromDir(i, s.Path, s.Label); b != nil {
			return b, p
		}
	}
	if r.Module != nil {
		if dir, err := r.goModuleData(); err != nil {
			r.note(i, "Go module cache", err.Error())
		} else if b, p := r.fromDir(i, dir, "Go module cache"); b != nil {
			r.store(f, b)
			return b, p
		}
	}
	if !r.Download {
		r.note(i, "HTTP mirrors", "not tried: downloads are off (WithDownload(false))")
		return nil, ""
	}
	for _, m := range r.Mirrors {
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
	f := r.Files[i]
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
	if r.CacheDir == "" {
		return
	}
	name := f.Name
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		name = f.RawName()
	}
	dst := filepath.Join(r.CacheDir, name)
	if err := writeAtomic(dst, b); err != nil {
		r.logf("could not cache %s: %v", name, err)
		return
	}
	r.logf("copied %s into %s", name, r.CacheDir)
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
func (r *resolver) logFound(where []string) {
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
		names = append(names, r.Files[i].Name)
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
	fmt.Fprintf(&sb, "%s: cannot get %s", r.Name, strings.Join(names, ", "))
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
				fmt.Fprintf(&sb, "\n%s:", r.Files[i].Name)
				head = true
			}
			fmt.Fprintf(&sb, "\n  %s: %s", a.place, a.result)
		}
	}
	where := r.CacheDir
	if where == "" {
		where = "$" + r.EnvCache + "/" + r.Name
	}
	fmt.Fprintf(&sb, "\nfix: put %s (gzipped or not; see %s.Files for sizes and SHA-256s) into %s or set %s to a directory holding them",
		strings.Join(names, ", "), r.Name, where, r.EnvDir)
	for _, s := range r.System {
		if s.Hint != "" {
			fmt.Fprintf(&sb, "; or %s", s.Hint)
		}
	}
	if r.Module != nil {
		fmt.Fprintf(&sb, "; or, where the go command can reach a module proxy, run `go mod download %s@%s`", r.Module.Path, r.Module.Version)
	}
	return errors.New(sb.String())
}
