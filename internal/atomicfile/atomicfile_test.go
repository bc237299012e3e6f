package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// names lists dir's entries, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantErr checks that err holds every one of subs and never the name of a
// temporary file.
func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q\n  does not contain %q", err, s)
		}
	}
	if strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("error %q names a temporary file", err)
	}
}

func TestWriteCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := Write(path, writeString("one")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "one" {
		t.Fatalf("content %q, want %q", got, "one")
	}
	if err := Write(path, writeString("two, longer")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "two, longer" {
		t.Fatalf("content %q, want %q", got, "two, longer")
	}
	if got := names(t, dir); !slices.Equal(got, []string{"out.csv"}) {
		t.Errorf("directory holds %v, want only out.csv", got)
	}
	// A relative name in the working directory works too.
	t.Chdir(dir)
	if err := Write("rel.txt", writeString("r")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "rel.txt")); got != "r" {
		t.Errorf("rel.txt holds %q", got)
	}
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	os.WriteFile(path, []byte("old"), 0o644)
	boom := errors.New("boom")
	err := Write(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	wantErr(t, err, "writing "+path+": boom")
	if !errors.Is(err, boom) {
		t.Errorf("error %v does not wrap the callback's error", err)
	}
	if got := read(t, path); got != "old" {
		t.Errorf("old file now holds %q, want it untouched", got)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"m.safetensors"}) {
		t.Errorf("directory holds %v, want no temporary file left", got)
	}
}

func TestWriteThroughSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	sub := filepath.Join(dir, "real")
	os.Mkdir(sub, 0o755)
	target := filepath.Join(sub, "target.json")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(filepath.Join("real", "target.json"), link); err != nil { // relative link
		t.Fatal(err)
	}
	chain := filepath.Join(dir, "chain.json")
	os.Symlink(link, chain)
	if err := Write(chain, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, target); got != "new" {
		t.Errorf("target holds %q, want %q", got, "new")
	}
	for _, l := range []string{link, chain} {
		if st, err := os.Lstat(l); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link: %v %v", l, st, err)
		}
	}
	if got := names(t, sub); !slices.Equal(got, []string{"target.json"}) {
		t.Errorf("target's directory holds %v", got)
	}
	// A dangling link names the file to create.
	dangling := filepath.Join(dir, "dangling.png")
	os.Symlink(filepath.Join(sub, "made.png"), dangling)
	if err := Write(dangling, writeString("x")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(sub, "made.png")); got != "x" {
		t.Errorf("dangling link's target holds %q", got)
	}
	// A loop is an error, not a hang.
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.Symlink(b, a)
	os.Symlink(a, b)
	wantErr(t, Write(a, writeString("x")), a, "symbolic links", "loop")
}

func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro.csv")
	os.WriteFile(ro, []byte("keep"), 0o444)
	os.Chmod(ro, 0o444) // whatever the umask
	wantErr(t, Write(ro, writeString("x")), "cannot write "+ro, "read-only", "remove it or choose another path")
	wantErr(t, CheckWritable(ro), ro, "read-only")
	if got := read(t, ro); got != "keep" {
		t.Errorf("read-only file now holds %q", got)
	}
	if runtime.GOOS != "windows" {
		link := filepath.Join(dir, "to-ro.csv")
		os.Symlink(ro, link)
		wantErr(t, Write(link, writeString("x")), link, "the link's target "+ro, "read-only")
	}
	wantErr(t, Write(dir, writeString("x")), dir, "is a directory")
	wantErr(t, Write(filepath.Join(dir, "sub")+"/", writeString("x")), "ends in a separator")
	missing := filepath.Join(dir, "no", "such", "f.png")
	wantErr(t, Write(missing, writeString("x")), missing, "directory "+filepath.Join(dir, "no", "such")+" does not exist")
	wantErr(t, Write("", writeString("x")), "empty name")
	if runtime.GOOS == "linux" {
		wantErr(t, Write("/dev/null", writeString("x")), "/dev/null", "not a regular file")
	}
	if got := names(t, dir); !slices.Equal(got, []string{"ro.csv", "to-ro.csv"}) && !slices.Equal(got, []string{"ro.csv"}) {
		t.Errorf("directory holds %v after the refusals", got)
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := CheckWritable(path); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("x"), 0o644)
	if err := CheckWritable(path); err != nil {
		t.Fatalf("an existing writable file: %v", err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"model.safetensors"}) {
		t.Errorf("CheckWritable left %v behind", got)
	}
	wantErr(t, CheckWritable(dir), "is a directory")
	wantErr(t, CheckWritable(filepath.Join(path, "x")), "cannot write", "is not a directory")
	wantErr(t, CheckWritable(filepath.Join(dir, "nope", "x")), "does not exist")
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		return // root writes anywhere; Windows has no directory write bit
	}
	locked := filepath.Join(dir, "locked")
	os.Mkdir(locked, 0o555)
	defer os.Chmod(locked, 0o755)
	p := filepath.Join(locked, "f.png")
	wantErr(t, CheckWritable(p), p, "no permission to create files in "+locked)
	wantErr(t, Write(p, writeString("x")), p, "no permission")
}

func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.json")
	old := time.Now().Add(-2 * StaleAge)
	for _, n := range []string{".h.json.tmp-old1", ".h.json.tmp-old2", ".h.json.tmp-fresh", ".other.json.tmp-old", "h.json.tmp-old"} {
		p := filepath.Join(dir, n)
		os.WriteFile(p, []byte("junk"), 0o600)
		if strings.Contains(n, "old") {
			os.Chtimes(p, old, old)
		}
	}
	if err := Write(path, writeString("{}")); err != nil {
		t.Fatal(err)
	}
	// Only this file's old leftovers go: a fresh one may be a live write,
	// and other names are not ours to remove.
	want := []string{".h.json.tmp-fresh", ".other.json.tmp-old", "h.json", "h.json.tmp-old"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}

// TestWriteErrorsNameThePath makes the file under the callback fail and
// checks that the error Write returns names the caller's path only.
func TestWriteErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	err := Write(path, func(w io.Writer) error {
		w.(fileWriter).f.Close() // as if the disk went away
		_, err := w.Write([]byte("x"))
		return err
	})
	wantErr(t, err, "writing "+path+": file already closed")
	if !errors.Is(err, os.ErrClosed) {
		t.Errorf("error %v does not wrap os.ErrClosed", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("directory holds %v after a failed write", got)
	}
}
