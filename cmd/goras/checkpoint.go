package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/saving"
	"github.com/spf13/pflag"
)

// addCheckpointFlags adds --checkpoint-dir, --keep and --resume to fl.
func addCheckpointFlags(fl *pflag.FlagSet, f *trainFlags) {
	fl.StringVar(&f.checkpointDir, "checkpoint-dir", "", "write a checkpoint into `DIR` after every epoch (ckpt-0001.safetensors after the\n"+
		"first: the model, the optimizer's state, the random generators' states and the\n"+
		"history), keeping the newest --keep; DIR is created if needed, and written by one\n"+
		"run at a time (another run there is refused while it trains)")
	fl.IntVar(&f.keep, "keep", 3, "with --checkpoint-dir, the number of newest checkpoints kept (0 keeps every one)")
	fl.BoolVar(&f.resume, "resume", false, "with --checkpoint-dir, continue from its newest complete checkpoint, passing\n"+
		"over damaged files with a warning, to the same final weights, bit for bit, as a\n"+
		"run that never stopped; the model, loss and optimizer come from the checkpoint,\n"+
		"--model, --epochs, --batch-size, --limit, --seed and the data (--dataset, or\n"+
		"--data with its --image-size, --color-mode and --validation-split) default\n"+
		"to the interrupted run's (kept in DIR/goras-train.json, written before\n"+
		"training starts; a DIR without it is refused; one written before --dataset\n"+
		"was kept means mnist); with no checkpoint yet it trains from scratch with\n"+
		"them. --early-stopping and --reduce-lr-on-plateau start counting their\n"+
		"patience afresh")
}

// checkCheckpointFlags validates --checkpoint-dir, --keep and --resume.
func (f *trainFlags) checkCheckpointFlags(set func(string) bool) error {
	if f.keep < 0 {
		return fmt.Errorf("--keep must be at least 1 checkpoint (0 keeps every one), got %d", f.keep)
	}
	if f.checkpointDir == "" {
		for _, flag := range []string{"keep", "resume"} {
			if set(flag) {
				return fmt.Errorf("--%s needs --checkpoint-dir, the directory the checkpoints are in", flag)
			}
		}
		return nil
	}
	return checkCheckpointDir(f.checkpointDir)
}

// checkCheckpointDir makes sure dir is a directory or can be created as
// one: not a file, not a symbolic link that loops or leads nowhere.
func checkCheckpointDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("--checkpoint-dir %s is a file; name a directory", dir)
	case err == nil:
		return nil
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("--checkpoint-dir %s is a symbolic link that loops back on itself (%s → %s → ...); remove the link or name another directory",
			dir, dir, readlink(dir))
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--checkpoint-dir %s: %v", dir, pathless(err))
	}
	if li, lerr := os.Lstat(dir); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("--checkpoint-dir %s is a symbolic link to %s, which does not exist; create that directory or name another", dir, readlink(dir))
	}
	// dir does not exist: train creates it, so its parent must take it.
	parent := filepath.Dir(filepath.Clean(dir))
	if pi, err := os.Stat(parent); err == nil && !pi.IsDir() {
		return fmt.Errorf("--checkpoint-dir %s: %s is a file, not a directory", dir, parent)
	}
	return nil
}

// readlink is the target of the symbolic link path, or "?".
func readlink(path string) string {
	t, err := os.Readlink(path)
	if err != nil {
		return "?"
	}
	return t
}

// runFile is the file, in the checkpoint directory, where goras train notes
// the settings of its run that a checkpoint does not hold, so that --resume
// continues the same run without the whole command line given again.
const runFile = "goras-train.json"

// runSettings is what runFile holds.
type runSettings struct {
	Model     string `json:"model"`
	Epochs    int    `json:"epochs"`
	BatchSize int    `json:"batch_size"`
	Limit     int    `json:"limit,omitempty"` // 0: all the training images
	Seed      uint64 `json:"seed"`
	// Dataset is --dataset; files written before it was recorded, which
	// have none, were runs on MNIST. Empty when Folder is set.
	Dataset string `json:"dataset,omitempty"`
	// Folder is --data and its settings, as resolved.
	Folder *folderSettings `json:"data,omitempty"`
	// Precision is --precision; empty for float32 and in files written
	// before it was recorded.
	Precision string `json:"precision,omitempty"`
}

// folderSettings are the settings of a run on a --data folder.
type folderSettings struct {
	Dir             string  `json:"dir"` // absolute
	ImageSize       [2]int  `json:"image_size"`
	ColorMode       string  `json:"color_mode"`
	ValidationSplit float64 `json:"validation_split"`
}

// settings are the run settings of r, trained with seed.
func (r *recipe) settings(seed uint64) runSettings {
	s := runSettings{Model: r.spec.Name, Epochs: r.epochs, BatchSize: r.batchSize, Limit: r.limit, Seed: seed, Dataset: r.src.dataset}
	if r.precision != "float32" {
		s.Precision = r.precision
	}
	if r.src.isFolder() {
		s.Folder = &folderSettings{Dir: absFolder(r.src.folder), ImageSize: [2]int{r.src.height, r.src.width},
			ColorMode: r.src.colorMode, ValidationSplit: r.src.split}
	}
	return s
}

// writeRunSettings records the run's settings in dir, creating dir.
func writeRunSettings(dir string, s runSettings) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--checkpoint-dir %s: cannot create it: %v", dir, pathless(err))
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, runFile)
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// recallRun, for --resume, takes the interrupted run's --model, --epochs,
// --batch-size, --limit, --seed, --precision and data from the checkpoint directory for
// each one not given on the command line. It returns the flag test resolve
// should use: a recalled flag counts as given. A directory without the run
// file is refused: goras train writes it before anything else, so without
// it there is no run of goras train to resume, and guessing its settings
// would train another model than the one that was stopped.
func (f *trainFlags) recallRun(set func(string) bool) (func(string) bool, error) {
	path := filepath.Join(f.checkpointDir, runFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--resume: %s holds no %s, the settings goras train writes there before anything else, so there is no run to resume "+
			"(was it started with --checkpoint-dir %s?); leave out --resume to start a new run there", f.checkpointDir, runFile, f.checkpointDir)
	}
	if err != nil {
		return nil, fmt.Errorf("--resume: %w", err)
	}
	return f.recallFrom(b, path, set)
}

// recallFrom is recallRun on the run file's bytes, read from path.
func (f *trainFlags) recallFrom(b []byte, path string, set func(string) bool) (func(string) bool, error) {
	var s runSettings
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("--resume: %s is damaged (%v); delete it and give the run's flags again", path, err)
	}
	recalled := map[string]bool{}
	recall := func(flag string, ok bool, apply func()) {
		if ok && !set(flag) {
			apply()
			recalled[flag] = true
		}
	}
	recall("model", s.Model != "", func() { f.model = s.Model })
	recall("epochs", s.Epochs > 0, func() { f.epochs = s.Epochs })
	recall("batch-size", s.BatchSize > 0, func() { f.batchSize = s.BatchSize })
	recall("limit", s.Limit > 0, func() { f.limit = s.Limit })
	recall("seed", true, func() { f.seed = s.Seed })
	if s.Precision != "" {
		if _, err := mixedprecision.NewPolicy(s.Precision); err != nil {
			return nil, fmt.Errorf("--resume: %s is damaged (precision %q is not %s); delete it and give the run's flags again",
				path, s.Precision, strings.Join(mixedprecision.Names(), " or "))
		}
	}
	recall("precision", s.Precision != "", func() { f.precision = s.Precision })
	if err := f.recallData(s, set, recalled); err != nil {
		return nil, fmt.Errorf("--resume: %s is damaged (%v); delete it and give the run's flags again", path, err)
	}
	return func(flag string) bool { return set(flag) || recalled[flag] }, nil
}

// recallData recalls the run's data, unless --dataset or --data is given:
// the data set (MNIST for a file written before it was recorded), or the
// folder with the settings it was read with. A value goras train would not
// have written is an error.
func (f *trainFlags) recallData(s runSettings, set func(string) bool, recalled map[string]bool) error {
	if set("dataset") || set("data") {
		return nil
	}
	if s.Folder == nil {
		if s.Dataset == "" {
			s.Dataset = datasetMNIST
		}
		if !slices.Contains(datasetNames, s.Dataset) {
			return fmt.Errorf("dataset %q is none of %s", s.Dataset, strings.Join(datasetNames, ", "))
		}
		f.data.dataset, recalled["dataset"] = s.Dataset, true
		return nil
	}
	d := s.Folder
	h, w := d.ImageSize[0], d.ImageSize[1]
	switch {
	case s.Dataset != "":
		return fmt.Errorf("it names both a dataset, %q, and a folder, %s", s.Dataset, d.Dir)
	case d.Dir == "":
		return errors.New("its data names no folder")
	case s.Limit != 0:
		return fmt.Errorf("it limits a run on the folder %s to %d pictures, which --data does not do", d.Dir, s.Limit)
	case h < 1 || w < 1 || h > 16384 || w > 16384:
		return fmt.Errorf("image size %d×%d is not 1 to 16384 pixels a side", h, w)
	case !slices.Contains([]string{"grayscale", "rgb", "rgba"}, d.ColorMode):
		return fmt.Errorf("colour mode %q is not grayscale, rgb or rgba", d.ColorMode)
	case !(d.ValidationSplit > 0 && d.ValidationSplit < 1):
		return fmt.Errorf("validation split %v is not between 0 and 1", d.ValidationSplit)
	}
	f.data.data, recalled["data"] = d.Dir, true
	for flag, apply := range map[string]func(){
		"image-size":       func() { f.data.imageSize = fmt.Sprintf("%d,%d", h, w) },
		"color-mode":       func() { f.data.colorMode = d.ColorMode },
		"validation-split": func() { f.data.validationSplit = d.ValidationSplit },
	} {
		if !set(flag) {
			apply()
			recalled[flag] = true
		}
	}
	return nil
}

// resumeFrom loads the newest complete checkpoint in dir into r, in place
// of the model the flags built, and returns it; nil, with a note on log,
// when dir holds none yet. Damaged checkpoints passed over and a model
// unlike the one the flags describe are warned about on log.
func (r *recipe) resumeFrom(dir string, log io.Writer) (*saving.Checkpoint, error) {
	m, ck, err := saving.LatestCheckpoint(dir)
	if errors.Is(err, saving.ErrNoCheckpoint) {
		fmt.Fprintf(log, "goras: no checkpoint in %s yet; training from scratch\n", dir)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range ck.Skipped {
		fmt.Fprintf(log, "goras: warning: passed over a damaged checkpoint: %s\n", strings.TrimPrefix(e.Error(), "goras: "))
	}
	if a, b := signature(r.model), signature(m); a != b {
		fmt.Fprintf(log, "goras: warning: the flags describe another model, loss or optimizer than %s holds; "+
			"continuing the checkpoint's (start a new --checkpoint-dir to train the other)\n", ck.Path)
	}
	// The data names the classes; an older checkpoint may not.
	if err := m.SetClassNames(r.src.classNames()); err != nil {
		return nil, fmt.Errorf("%s does not fit the data %s: %v", ck.Path, r.src, strings.TrimPrefix(err.Error(), "goras: "))
	}
	r.model, r.loss, r.optimizer, r.from = m, m.Loss(), m.Optimizer(), ck.Path
	fmt.Fprintf(log, "goras: resuming from %s, saved after epoch %d\n", ck.Path, ck.Epoch+1)
	return ck, nil
}

// signature describes what a checkpoint fixes of a model — its layers'
// configurations, loss and optimizer settings — as a string, to tell
// whether the flags of a resumed run describe the checkpoint's model.
func signature(m *goras.Model) string {
	type layer struct {
		Class  string         `json:"class"`
		Config map[string]any `json:"config"`
	}
	var s struct {
		Layers    []layer        `json:"layers"`
		Loss      string         `json:"loss"`
		Optimizer string         `json:"optimizer"`
		OptConfig map[string]any `json:"optimizer_config"`
	}
	for _, l := range m.Layers() {
		cfg := map[string]any{}
		for k, v := range l.Config() {
			if k != "name" { // layer names depend on what else was built before
				cfg[k] = v
			}
		}
		s.Layers = append(s.Layers, layer{l.ClassName(), cfg})
	}
	if l := m.Loss(); l != nil {
		s.Loss = l.Name()
	}
	if o := m.Optimizer(); o != nil {
		s.Optimizer, s.OptConfig = o.Name(), o.Config()
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Sprintf("unmarshalable: %v", err) // never equal to a good one
	}
	return string(b)
}
