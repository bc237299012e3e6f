// Package atomicfile writes files so that a reader, or a crash, sees either
// the old content or the new one, never a torn file: the content goes into a
// hidden temporary file beside the target, is synced to disk, and is renamed
// over the target, and the directory is synced so the rename itself lasts.
//
// It is the one writer of every file goras produces (model files, histories,
// pictures, cached data sets), so they all behave alike:
//
//   - a new file gets mode 0644 minus the umask (readable by all, like a file
//     made by a shell redirection); a replaced file keeps its permission bits;
//   - a path that is a symbolic link writes the file the link points to and
//     leaves the link in place;
//   - a read-only file, a directory or a device is never replaced: the error
//     says so and how to proceed;
//   - temporary files are named ".NAME.tmp-RANDOM" and the leftovers of a
//     write that was killed are removed by the next Write to the same path
//     once they are StaleAge old;
//   - every error names the path the caller gave, never the temporary file.
//
// CheckWritable runs the same checks before long work (a training run), so
// that a bad output path is reported at once rather than after hours.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// StaleAge is how old a temporary file must be before Write and CleanStale
// treat it as the leftover of a killed write and remove it. A live write
// keeps touching its file, so it is never this old while still running.
const StaleAge = 15 * time.Minute

// newFileMode is the mode of a new file before the umask applies.
const newFileMode = 0o644

// maxLinks bounds symbolic-link chains, as the kernel's ELOOP does.
const maxLinks = 40

// Write creates or replaces the file at path with what write writes,
// atomically (see the package documentation for the rules). The writer
// handed to write is the temporary file; its errors name no file, since
// Write adds path to whatever write returns.
// When write returns an error, the old file, if any, is left untouched and
// the error is returned wrapped as "writing PATH: ...".
func Write(path string, write func(io.Writer) error) (err error) {
	target, prev, err := check(path)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	CleanStale(dir, base)
	f, err := createTemp(dir, base, path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := write(fileWriter{f}); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if prev != nil {
		// Keep the replaced file's permissions (a chmod the user made).
		if err := f.Chmod(prev.Mode().Perm()); err != nil && runtime.GOOS != "windows" {
			return fmt.Errorf("writing %s: setting its mode: %w", path, bare(err))
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: syncing to disk: %w", path, bare(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, bare(err))
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("writing %s: renaming the finished file into place: %w", path, bare(err))
	}
	// The rename lasts only once the directory is on disk. Windows cannot
	// open a directory to sync it; its rename is durable by itself.
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("writing %s: syncing its directory: %w", path, bare(err))
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("writing %s: syncing its directory: %w", path, bare(err))
	}
	return nil
}

// CheckWritable reports whether Write(path, ...) could succeed, without
// writing anything: path's directory exists and accepts new files, and path
// is not a directory, a device or a read-only file. It creates a temporary
// file to find out and removes it. Call it before long work whose result
// goes to path.
func CheckWritable(path string) error {
	target, _, err := check(path)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := createTemp(dir, base, path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("cannot write %s: removing a test file: %w", path, bare(err))
	}
	return nil
}

// CleanStale removes the temporary files that writes of dir/base left
// behind when killed: files named ".BASE.tmp-*" not modified for StaleAge.
// It reports nothing: a file it cannot remove is left for the next call.
func CleanStale(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	cutoff := time.Now().Add(-StaleAge)
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// tempPrefix is the name every temporary file for base starts with.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// check resolves path through symbolic links and refuses targets that must
// not be replaced. It returns the file to replace and, when it exists, its
// info.
func check(path string) (string, fs.FileInfo, error) {
	if path == "" {
		return "", nil, errors.New("cannot write a file with an empty name")
	}
	if strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator)) {
		return "", nil, fmt.Errorf("cannot write %s: the name ends in a separator, so it names a directory; give a file name", path)
	}
	target, err := resolve(path)
	if err != nil {
		return "", nil, err
	}
	dir := filepath.Dir(target)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil, fmt.Errorf("cannot write %s: the directory %s does not exist; create it or choose another path", path, dir)
	case err != nil:
		return "", nil, fmt.Errorf("cannot write %s: %w", path, err)
	case !st.IsDir():
		return "", nil, fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	info, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return target, nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("cannot write %s: %w", path, bare(err))
	}
	where := path
	if target != path {
		where = fmt.Sprintf("%s (the link's target %s)", path, target)
	}
	switch {
	case info.IsDir():
		return "", nil, fmt.Errorf("cannot write %s: it is a directory; give a file name", where)
	case !info.Mode().IsRegular():
		return "", nil, fmt.Errorf("cannot write %s: it is not a regular file (%v) and would be replaced; choose another path", where, info.Mode().Type())
	case info.Mode().Perm()&0o200 == 0:
		return "", nil, fmt.Errorf("cannot write %s: it is read-only; remove it or choose another path", where)
	}
	return target, info, nil
}

// resolve follows symbolic links from path to the file they name, which may
// not exist yet (a dangling link names the file to create).
func resolve(path string) (string, error) {
	p := path
	for range maxLinks {
		info, err := os.Lstat(p)
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			return p, nil // not a link, or absent: this is the file
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("cannot write %s: reading the symbolic link: %w", path, bare(err))
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", fmt.Errorf("cannot write %s: more than %d symbolic links in a chain (a loop?)", path, maxLinks)
}

// createTemp makes a new hidden file for base in dir, mode 0644 minus the
// umask. Errors name path, the file the caller asked for.
func createTemp(dir, base, path string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, tempPrefix(base)+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, newFileMode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("cannot write %s: no permission to create files in %s; choose another directory", path, dir)
		}
		if err != nil {
			return nil, fmt.Errorf("cannot write %s: creating a file in %s: %w", path, dir, bare(err))
		}
		return f, nil
	}
	return nil, fmt.Errorf("cannot write %s: could not pick an unused temporary name in %s", path, dir)
}

// bare strips the path from an os error, so that a message names the
// caller's file instead of the temporary one.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// fileWriter is what the write callback sees: the temporary file, with
// errors stripped of its name (Write adds the caller's path to them).
type fileWriter struct{ f *os.File }

func (w fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	return n, bare(err)
}
