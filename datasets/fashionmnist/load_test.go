package fashionmnist

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras/datasets/internal/idx"
)

// fixture is a tiny synthetic stand-in: 3 training and 2 test pictures of
// 2×2, with the File table that pins them.
type fixture struct {
	raw, gz [4][]byte
	files   [4]File
}

func idxFile(magic uint32, dims []int, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, body...)
}

func gzipped(b []byte, mtime byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	out := buf.Bytes()
	out[4] = mtime // a different modification time: another gzip of the same bytes
	return out
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newFixture(trainY ...byte) *fixture {
	if trainY == nil {
		trainY = []byte{9, 0, 3}
	}
	fx := &fixture{raw: [4][]byte{
		idxFile(idx.ImagesMagic, []int{3, 2, 2}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255}),
		idxFile(idx.LabelsMagic, []int{len(trainY)}, trainY),
		idxFile(idx.ImagesMagic, []int{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8}),
		idxFile(idx.LabelsMagic, []int{2}, []byte{9, 2}),
	}}
	for i, f := range canonical {
		fx.gz[i] = gzipped(fx.raw[i], 0)
		fx.files[i] = File{Name: f.Name, Size: int64(len(fx.gz[i])), SHA256: hexSHA(fx.gz[i]),
			RawSize: int64(len(fx.raw[i])), RawSHA256: hexSHA(fx.raw[i])}
	}
	return fx
}

// write puts the fixture's files into dir, gzipped with the given mtime.
// mirror serves the fixture's gzipped files under /fm/, as a mirror of
// the data set; the test closes it at its end.
func (fx *fixture) mirror(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i, f := range fx.files {
			if r.URL.Path == "/fm/"+f.Name {
				w.Write(fx.gz[i])
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (fx *fixture) write(t *testing.T, dir string, mtime byte) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	for i, f := range fx.files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), gzipped(fx.raw[i], mtime), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// opts makes LoadData hermetic: the fixture's hashes, no environment, no
// built-in mirrors, and system as the Debian directory.
func (fx *fixture) opts(t *testing.T, system string, extra ...Option) []Option {
	t.Helper()
	for _, k := range []string{EnvDir, EnvCache, EnvMirrors} {
		t.Setenv(k, "")
	}
	return append([]Option{func(c *config) {
		c.f.Files = fx.files[:]
		c.f.System[0].Path = system
		c.builtin = nil
	}}, extra...)
}

func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q\n  does not contain %q", err, s)
		}
	}
}

// Debian's copies are gzipped differently from the publisher's: they are
// taken by the hash of what they unpack to, read in place, not copied.
func TestLoadDataFromDebianDir(t *testing.T) {
	fx := newFixture()
	system, cache := t.TempDir(), t.TempDir()
	fx.write(t, system, 7)
	var log bytes.Buffer
	train, test, err := LoadData(fx.opts(t, system, WithCacheDir(cache), WithLogger(&log), WithDownload(false))...)
	if err != nil {
		t.Fatal(err)
	}
	if train.X.N != 3 || train.X.Rows != 2 || !bytes.Equal(train.X.Pixels, fx.raw[0][16:]) || !bytes.Equal(test.Y, []byte{9, 2}) {
		t.Fatalf("train %d pictures %v, test labels %v", train.X.N, train.X.Pixels, test.Y)
	}
	want := "fashionmnist: using train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz from " + system + "\n"
	if log.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("the system copies were copied into the cache: %v", entries)
	}

	// A good copy in the cache comes first.
	fx.write(t, cache, 0)
	log.Reset()
	if _, _, err := LoadData(fx.opts(t, system, WithCacheDir(cache), WithLogger(&log))...); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(log.String(), " from "+cache+"\n") {
		t.Errorf("log %q: the cache should win over %s", log.String(), system)
	}
}

func TestLoadDataFromMirrorIntoCache(t *testing.T) {
	fx := newFixture()
	srv := fx.mirror(t)
	cache := t.TempDir()
	var log bytes.Buffer
	if _, _, err := LoadData(fx.opts(t, "/nonexistent/debian", WithCacheDir(cache), WithLogger(&log), WithMirrors(srv.URL+"/fm"))...); err != nil {
		t.Fatal(err)
	}
	for i, f := range fx.files {
		if b, err := os.ReadFile(filepath.Join(cache, f.Name)); err != nil || !bytes.Equal(b, fx.gz[i]) {
			t.Errorf("cache copy of %s: %v", f.Name, err)
		}
	}
	if !strings.Contains(log.String(), "downloaded "+srv.URL+"/fm/t10k-labels-idx1-ubyte.gz") {
		t.Errorf("log: %q", log.String())
	}
}

func TestLoadDataNotFoundSaysHow(t *testing.T) {
	fx := newFixture()
	cache := t.TempDir()
	_, _, err := LoadData(fx.opts(t, "/nonexistent/debian", WithCacheDir(cache), WithDownload(false))...)
	wantErr(t, err,
		"fashionmnist: cannot get train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz\n",
		"/nonexistent/debian (Debian's dataset-fashion-mnist package): no such directory",
		"see fashionmnist.Files for sizes and SHA-256s) into "+cache+" or set GORAS_FASHION_MNIST_DIR",
		"; or on Debian or Ubuntu, `apt-get install dataset-fashion-mnist`")
	if strings.Contains(err.Error(), "go mod download") {
		t.Errorf("Fashion-MNIST has no Go module, yet the error offers one:\n%v", err)
	}

	// A directory named by the user that holds none of the files.
	user := t.TempDir()
	_, _, err = LoadData(fx.opts(t, "/nonexistent/debian", WithDir(user), WithCacheDir(cache))...)
	wantErr(t, err, "fashionmnist: the data directory "+user+" (WithDir) should hold the four Fashion-MNIST files",
		"the first of: the cache "+cache+", Debian's dataset-fashion-mnist package (/nonexistent/debian), a download (HTTP mirrors).")
}

func TestLoadDataRejectsBadLabel(t *testing.T) {
	fx := newFixture(1, 10, 2)
	user := t.TempDir()
	fx.write(t, user, 0)
	_, _, err := LoadData(fx.opts(t, "/nonexistent/debian", WithDir(user), WithCacheDir(t.TempDir()))...)
	wantErr(t, err, "fashionmnist: "+filepath.Join(user, "train-labels-idx1-ubyte.gz")+": label 10 at index 1 is not a class 0..9")
}

// The pinned table is the one the real test checks the files against; its
// names are the publisher's and the sources are those the doc lists.
func TestFilesAndSources(t *testing.T) {
	fs := Files()
	if len(fs) != 4 || fs[0].RawSize != 47040016 || fs[3].Name != "t10k-labels-idx1-ubyte.gz" {
		t.Fatalf("Files() = %+v", fs)
	}
	fs[0].Name = "changed"
	if canonical[0].Name == "changed" {
		t.Error("Files returns the package's table, not a copy")
	}
	c := newConfig(nil)
	if c.f.System[0].Path != DebianDir || len(c.f.Mirrors) < 2 || !strings.Contains(c.f.Mirrors[0], "fashion-mnist.s3") {
		t.Errorf("sources: system %v, mirrors %v", c.f.System, c.f.Mirrors)
	}
}
