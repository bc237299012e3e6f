package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/goras-ml/goras/saving"
	"github.com/spf13/pflag"
)

// Every file a command writes when its work is done (--output, --history,
// --plot, --show, -o, --confusion, --errors) is checked by checkOutput
// before the work starts, so that a typo never costs a training run, and
// written by writeOutput through internal/atomicfile: atomically, through
// a symbolic link to its target, never over a read-only file unless
// --force is given. Every message names the flag and the user's path.

// Extensions of the files the commands write.
var (
	modelExts   = []string{".safetensors"}
	historyExts = []string{".csv", ".json"}
	pictureExts = []string{".png", ".svg"}
)

// addOutputFlag adds --output, shared by the commands that train.
func addOutputFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "output", "", "save the trained model to `FILE` (.safetensors: weights, architecture and\ncompile settings), replacing it atomically; `goras evaluate FILE` reads it back")
}

// addForceFlag adds --force, which lets the command replace read-only files.
func addForceFlag(fl *pflag.FlagSet, force *bool) {
	fl.BoolVar(force, "force", false, "replace output files even when they are read-only (they stay read-only)")
}

// checkOutput makes sure path, the value of flag, can be written when the
// work is done: its name ends in one of exts, its directory exists and
// accepts files, and it is not a directory, nor a read-only file unless
// force. An empty path (flag not given) passes.
func checkOutput(flag, path string, force bool, exts ...string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s %s is a directory; name a file in it, e.g. %s", flag, path, filepath.Join(path, "out"+exts[0]))
	}
	if ext := strings.ToLower(filepath.Ext(path)); !containsString(exts, ext) {
		return fmt.Errorf("%s %s: the file name must end in %s", flag, path, orList(exts))
	}
	target, mode, readOnly := readOnlyFile(path)
	if readOnly {
		if !force {
			return fmt.Errorf("%s %s: the file is read-only (mode %v); add --force to replace it, or choose another path", flag, path, mode)
		}
		// --force makes the file writable just before writing it; what
		// must hold now is that its directory takes the new file.
		probe := filepath.Join(filepath.Dir(target), ".goras-probe-"+filepath.Base(target))
		if err := atomicfile.CheckWritable(probe); err != nil {
			return fmt.Errorf("%s %s: cannot replace it: its directory %s does not accept new files", flag, path, filepath.Dir(target))
		}
		return nil
	}
	if err := atomicfile.CheckWritable(path); err != nil {
		return fmt.Errorf("%s %s: %s", flag, path, reason(err, path))
	}
	return nil
}

// samePath reports whether writing path b would replace the file a: the
// same path, or a symbolic link to it (the write goes through to the
// link's target).
func samePath(a, b string) bool { return resolvedPath(a) == resolvedPath(b) }

// resolvedPath is path made absolute, through its symbolic links when it
// exists.
func resolvedPath(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		path = r
	}
	return absFolder(path)
}

// checkDistinct refuses two output flags of one command naming one file:
// the picture or profile written second would replace the first.
func checkDistinct(flagA, a, flagB, b string) error {
	if a != "" && b != "" && samePath(a, b) {
		return fmt.Errorf("%s and %s both name %s; give each its own file", flagA, flagB, b)
	}
	return nil
}

// reason is err's message after the path it names ("cannot write PATH:
// the directory ... does not exist" → "the directory ... does not exist"),
// for a message that starts with the flag and the path itself.
func reason(err error, path string) string {
	msg := err.Error()
	if i := strings.Index(msg, path+": "); i >= 0 {
		return msg[i+len(path)+2:]
	}
	return strings.TrimPrefix(msg, "goras: ")
}

// readOnlyFile reports whether path is, or links to, an existing regular
// file without write permission for its owner, with the file's real path
// and mode.
func readOnlyFile(path string) (target string, mode fs.FileMode, readOnly bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o200 != 0 {
		return "", 0, false
	}
	target, err = filepath.EvalSymlinks(path)
	if err != nil {
		return "", 0, false
	}
	return target, fi.Mode().Perm(), true
}

// writeOutput runs write, which writes path through atomicfile, for flag.
// With force, a read-only file is made writable for the write and read-only
// again after it (the new content keeps the old permissions).
func writeOutput(flag, path string, force bool, write func() error) (err error) {
	if target, mode, ro := readOnlyFile(path); ro && force {
		if err := os.Chmod(target, mode|0o200); err != nil {
			return fmt.Errorf("%s %s: --force could not make the read-only file writable: %w", flag, path, pathless(err))
		}
		defer func() {
			if cerr := os.Chmod(target, mode); cerr != nil && err == nil {
				err = fmt.Errorf("%s %s: written, but could not make it read-only again: %w", flag, path, pathless(cerr))
			}
		}()
	}
	if err := write(); err != nil {
		return fmt.Errorf("%s %s: could not write it: %s", flag, path, reason(err, path))
	}
	return nil
}

// saveModel writes m to path, when path is set, and says so on log.
func saveModel(m *goras.Model, path string, force bool, log io.Writer) error {
	if path == "" {
		return nil
	}
	if err := writeOutput("--output", path, force, func() error { return saving.Save(m, path) }); err != nil {
		return err
	}
	fmt.Fprintf(log, "goras: saved the model to %s\n", path)
	return nil
}

// saveHistory writes h to path as CSV or JSON by its extension.
func saveHistory(h *goras.History, path string, force bool) error {
	write := h.WriteCSV
	if strings.EqualFold(filepath.Ext(path), ".json") {
		write = h.WriteJSON
	}
	return writeOutput("--history", path, force, func() error { return atomicfile.Write(path, write) })
}

// pathless is err without the path an os error carries, for a message
// that names the user's path itself.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// orList joins ".png", ".svg" as ".png or .svg".
func orList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
