// Package beamfs reads and writes whole files through Beam's file systems
// (package filesystem: local paths, gs://, s3://, memfs://), so that the
// pipelines' workers write the same way on a laptop and in a cluster.
//
// goras's own readers and writers (saving.Save, saving.Load, onnx.Load,
// mnist.LoadData) take local paths; ToLocal and FromLocal move a file
// between a Beam path and a local temporary file around them. A local path
// is used in place, without a copy.
package beamfs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	// Local paths are always available; the command adds Google Cloud
	// Storage (gs://) through beamx, and memfs:// serves the tests.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
)

// IsLocal reports whether path names a file of the machine itself (no
// "scheme://" prefix), which goras's readers can open directly.
func IsLocal(path string) bool { return !strings.Contains(path, "://") }

// Join joins a directory and a file name with "/", which every Beam file
// system takes (filepath.Join would turn "gs://b" into "gs:/b").
func Join(dir, name string) string {
	if IsLocal(dir) {
		return filepath.Join(dir, name)
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// Write writes a file at path with write, through a temporary file beside it
// renamed into place, so that a reader (or a retried bundle) never sees a
// torn file. A file system that cannot rename is written in place.
func Write(ctx context.Context, path string, write func(io.Writer) error) (err error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	tmp := path + ".tmp"
	_, canRename := fs.(filesystem.Renamer)
	if !canRename {
		tmp = path
	}
	w, err := fs.OpenWrite(ctx, tmp)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	err = write(w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if rm, ok := fs.(filesystem.Remover); ok && tmp != path {
			rm.Remove(ctx, tmp)
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if tmp == path {
		return nil
	}
	if err := filesystem.Rename(ctx, fs, tmp, path); err != nil {
		return fmt.Errorf("cannot move %s into place: %w", path, err)
	}
	return nil
}

// WriteBytes writes data to path as Write does.
func WriteBytes(ctx context.Context, path string, data []byte) error {
	return Write(ctx, path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// CheckWritable writes an empty file at path, as Write does, and removes it:
// a run checks where its results go before the long work that makes them.
func CheckWritable(ctx context.Context, path string) error {
	if err := WriteBytes(ctx, path, nil); err != nil {
		return err
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	if rm, ok := fs.(filesystem.Remover); ok {
		rm.Remove(ctx, path)
	}
	return nil
}

// Read returns the bytes of the file at path.
func Read(ctx context.Context, path string) ([]byte, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	b, err := filesystem.Read(ctx, fs, path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return b, nil
}

// Open opens the file at path for reading.
func Open(ctx context.Context, path string) (io.ReadCloser, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		fs.Close()
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return closeBoth{r, fs}, nil
}

type closeBoth struct {
	io.ReadCloser
	fs io.Closer
}

func (c closeBoth) Close() error {
	err := c.ReadCloser.Close()
	c.fs.Close()
	return err
}

// List returns the files matching glob, sorted as the file system gives
// them.
func List(ctx context.Context, glob string) ([]string, error) {
	fs, err := filesystem.New(ctx, glob)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	return fs.List(ctx, glob)
}

// ToLocal returns a local path holding the file at path: path itself when
// it is local, else a copy in a new temporary directory, which done removes.
func ToLocal(ctx context.Context, path string) (local string, done func(), err error) {
	if IsLocal(path) {
		return path, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "goras-beam-")
	if err != nil {
		return "", nil, err
	}
	done = func() { os.RemoveAll(dir) }
	b, err := Read(ctx, path)
	if err != nil {
		done()
		return "", nil, err
	}
	local = filepath.Join(dir, baseName(path))
	if err := os.WriteFile(local, b, 0o644); err != nil {
		done()
		return "", nil, err
	}
	return local, done, nil
}

// FromLocal writes a file that save makes at a local path to path: save
// writes straight to path when it is local (goras's writes are atomic
// themselves), else into a temporary directory whose file is then copied
// through Beam's file system.
func FromLocal(ctx context.Context, path string, save func(local string) error) error {
	if IsLocal(path) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		return save(path)
	}
	dir, err := os.MkdirTemp("", "goras-beam-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, baseName(path))
	if err := save(local); err != nil {
		return err
	}
	b, err := os.ReadFile(local)
	if err != nil {
		return err
	}
	return WriteBytes(ctx, path, b)
}

// baseName is the last element of a local or remote path.
func baseName(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 && !IsLocal(path) {
		return path[i+1:]
	}
	return filepath.Base(path)
}
