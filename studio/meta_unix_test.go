//go:build unix

package studio

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe called run.json is refused at once (reading it would wait
// for a writer for ever), and so is a symbolic link.
func TestRunJSONNotRegular(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"piped", "linked"} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fifo := filepath.Join(dir, "piped", metaFile)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	real := filepath.Join(t.TempDir(), "elsewhere.json")
	os.WriteFile(real, []byte(`{"source": "studio", "state": "done"}`), 0o644)
	if err := os.Symlink(real, filepath.Join(dir, "linked", metaFile)); err != nil {
		t.Fatal(err)
	}
	for name, says := range map[string]string{"piped": "piped/run.json is a named pipe (FIFO), not a regular file", "linked": "linked/run.json is a symbolic link"} {
		done := make(chan error, 1)
		go func() {
			_, err := readMeta(dir, name)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), says) {
				t.Errorf("%s: error %v, want one saying %q", name, err, says)
			}
		case <-time.After(30 * time.Second):
			if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil { // let the reader go
				f.Close()
			}
			t.Fatalf("%s: readMeta did not return in 30 s", name)
		}
	}
	ts := newTestServer(t, Options{Dir: dir})
	var runs []runJSON
	getJSONWithin(t, ts, "/api/runs", &runs)
	if len(runs) != 2 || !strings.Contains(runs[0].Error+runs[1].Error, "named pipe") {
		t.Errorf("runs: %+v", runs)
	}
}

// A run.json swapped for a named pipe after readMeta looked at it (a
// regular file then) is refused as changed, not waited on for ever: the
// check that what was opened is what was looked at comes after the open,
// which must not block, and must not trust the inode number alone (the
// pipe often gets the removed file's, so os.SameFile holds).
func TestRunJSONSwappedForPipe(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "swapped"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "swapped", metaFile)
	if err := os.WriteFile(path, []byte(`{"source": "studio", "state": "done"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	beforeMetaOpen = func(p string) {
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Errorf("mkfifo: %v", err)
		}
	}
	defer func() { beforeMetaOpen = nil }()
	done := make(chan error, 1)
	go func() {
		_, err := readMeta(dir, "swapped")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "swapped/run.json changed while it was read") {
			t.Errorf("error %v, want one saying the file changed", err)
		}
	case <-time.After(30 * time.Second):
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil { // let the reader go
			f.Close()
		}
		t.Fatal("readMeta did not return in 30 s: it waits for a writer of the pipe swapped in")
	}
}

// A history that is a named pipe (swapped in after the folder was listed)
// is refused at once, not waited on for a writer.
func TestHistoryPipeRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "run.csv")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := readHistory(p)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "history run.csv is not a regular file") {
			t.Errorf("readHistory of a named pipe: %v, want it refused by name", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("readHistory of a named pipe waits for a writer")
	}
}
