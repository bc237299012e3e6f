package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/saving"
	"github.com/spf13/cobra"
)

func newPlotCmd() *cobra.Command {
	var output string
	var force bool
	cmd := &cobra.Command{
		Use:   "plot HISTORY_FILE -o PICTURE",
		Short: "Draw training curves from a history file or a checkpoint",
		Long: `Draw the loss and accuracy curves (train and validation, one panel each, against
the epoch) of a training run, as the course does with matplotlib, into a .png
or .svg picture. HISTORY_FILE is one of:
  .csv          "goras train --history run.csv" (History.Save) or a CSVLogger log
  .json         "goras train --history run.json" (History.Save)
  .safetensors  a checkpoint of "goras train --checkpoint-dir", which holds the
                history of every epoch up to it`,
		Example: "  goras train --history run.csv\n  goras plot run.csv -o curves.png\n" +
			"  goras plot ckpt/ckpt-0010.safetensors -o curves.svg",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("plot takes one HISTORY_FILE, got %d arguments (see '%s --help')", len(args), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return errors.New("plot needs -o FILE, the .png or .svg picture to write")
			}
			if err := checkOutput("-o", output, force, pictureExts...); err != nil {
				return err
			}
			h, err := loadHistory(args[0])
			if err != nil {
				return err
			}
			if err := writeOutput("-o", output, force, func() error { return plot.SaveCurves(h, output) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "goras: drew the curves of %s in %s\n", epochs(len(h.Epoch)), output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the picture to write, `FILE`.png or FILE.svg (required)")
	addForceFlag(cmd.Flags(), &force)
	return cmd
}

// loadHistory reads a training history from a CSV or JSON file as
// History.Save writes them, or from a checkpoint.
func loadHistory(path string) (*goras.History, error) {
	// Reading a named pipe waits for a writer, forever if none comes, and a
	// device such as /dev/zero never ends.
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (its mode is %v), not a history; name a .csv or .json file written by goras train --history, or a checkpoint", path, fi.Mode())
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".json":
		load := plot.LoadHistoryCSV
		if strings.EqualFold(filepath.Ext(path), ".json") {
			load = plot.LoadHistoryJSON
		}
		h, err := load(path)
		if err != nil {
			return nil, errors.New(strings.TrimPrefix(err.Error(), "plot: "))
		}
		return h, nil
	case ".safetensors":
		_, ck, err := saving.LoadCheckpoint(path)
		if err != nil {
			if isModelFile(path) {
				return nil, fmt.Errorf("%s is a model file, not a checkpoint: it holds no training history. "+
					"Plot a run's history instead: goras train --history run.csv (or --checkpoint-dir DIR), then goras plot run.csv -o curves.png "+
					"(or goras plot DIR/ckpt-0010.safetensors -o curves.png)", path)
			}
			return nil, err
		}
		return ck.History, nil
	}
	return nil, fmt.Errorf("%s: a history file must end in .csv or .json (or be a .safetensors checkpoint)", path)
}

// isModelFile reports whether path is a model file that is not a
// checkpoint: it loads as a model and its metadata has no "checkpoint"
// entry (saving's documented checkpoint format). A damaged checkpoint
// loads as a model too, Load reading its weights without its digest, so
// the metadata tells the two apart: a damaged one is reported as such.
func isModelFile(path string) bool {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return false
	}
	if _, ok := f.Metadata["checkpoint"]; ok {
		return false
	}
	_, err = saving.Load(path)
	return err == nil
}
