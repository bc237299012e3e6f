package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/saving"
	"github.com/spf13/pflag"
)

// addOutputFlag adds --output, shared by the commands that train.
func addOutputFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "output", "", "save the trained model to `FILE` (.safetensors: weights, architecture and\ncompile settings), replacing it atomically; `goras evaluate FILE` reads it back")
}

// checkOutputPath rejects an --output that could not be written, before
// training rather than after.
func checkOutputPath(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("--output %s is a directory; name a file, e.g. %s", path, path+"/model.safetensors")
	}
	return checkParentDir("--output", path)
}

// saveModel writes m to path, when path is set, and says so on log.
func saveModel(m *goras.Model, path string, log io.Writer) error {
	if path == "" {
		return nil
	}
	if err := saving.Save(m, path); err != nil {
		return err
	}
	fmt.Fprintf(log, "goras: saved the model to %s\n", path)
	return nil
}

// checkPicturePath rejects a picture file that plot could not write: its
// name must end in .png or .svg and its directory must exist.
func checkPicturePath(flag, path string) error {
	if path == "" {
		return nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".svg":
	default:
		return fmt.Errorf("%s %s: the file name must end in .png or .svg", flag, path)
	}
	return checkParentDir(flag, path)
}
