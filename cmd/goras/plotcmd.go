package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/saving"
	"github.com/spf13/cobra"
)

func newPlotCmd() *cobra.Command {
	var output string
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
			if err := checkPicturePath("-o", output); err != nil {
				return err
			}
			h, err := loadHistory(args[0])
			if err != nil {
				return err
			}
			if err := plot.SaveCurves(h, output); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "goras: drew the curves of %s in %s\n", epochs(len(h.Epoch)), output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the picture to write, `FILE`.png or FILE.svg (required)")
	return cmd
}

// loadHistory reads a training history from a CSV or JSON file as
// History.Save writes them, or from a checkpoint.
func loadHistory(path string) (*goras.History, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return plot.LoadHistoryCSV(path)
	case ".json":
		return loadHistoryJSON(path)
	case ".safetensors":
		_, ck, err := saving.LoadCheckpoint(path)
		if err != nil {
			return nil, err
		}
		return ck.History, nil
	}
	return nil, fmt.Errorf("%s: a history file must end in .csv or .json (or be a .safetensors checkpoint)", path)
}

// loadHistoryJSON reads the JSON History.Save writes:
//
//	{"epoch": [0, 1], "history": {"loss": [0.5, 0.3], ...}, "seconds": [...], "params": {...}}
//
// checking that every series has one value per epoch.
func loadHistoryJSON(path string) (*goras.History, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var h goras.History
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%s is not a history as History.Save writes it "+
			`({"epoch": [...], "history": {"loss": [...], ...}, "seconds": [...]}): %v`, path, err)
	}
	if len(h.Epoch) == 0 {
		return nil, fmt.Errorf("%s: no epochs (its \"epoch\" list is empty or missing)", path)
	}
	for _, k := range h.Keys() {
		if n := len(h.History[k]); n != len(h.Epoch) {
			return nil, fmt.Errorf("%s: %q has %d values for %d epochs", path, k, n, len(h.Epoch))
		}
	}
	if len(h.History) == 0 {
		return nil, fmt.Errorf("%s: no metrics (its \"history\" object is empty or missing)", path)
	}
	return &h, nil
}
