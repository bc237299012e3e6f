package callbacks

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/goras-ml/goras/saving"
)

// ModelCheckpointConfig holds Keras's ModelCheckpoint arguments; zero fields
// are Keras's defaults.
type ModelCheckpointConfig struct {
	// Monitor is the logged quantity that decides which model is best.
	// Default "val_loss".
	Monitor string
	// Verbose 1 prints a message at every save or decision. Default 0.
	Verbose int
	// SaveBestOnly saves only when Monitor improves on the best value so
	// far (when Monitor is missing from the logs it warns and saves, as
	// Keras does). Default false: save after every epoch.
	SaveBestOnly bool
	// SaveWeightsOnly writes saving.SaveWeights (weights only) instead of
	// saving.Save (weights, architecture and compile settings). Default
	// false.
	SaveWeightsOnly bool
	// Mode is Min, Max or Auto (default), inferred from Monitor's name as
	// EarlyStopping does.
	Mode Mode
	// InitialValueThreshold, when set, is the value a model must beat to be
	// saved with SaveBestOnly. Default nil (Keras None): the first epoch's
	// model is saved.
	InitialValueThreshold *float64
	// Output receives the Verbose messages. Default os.Stdout.
	Output io.Writer
	// Warnings receives warnings (Monitor missing) and write errors.
	// Default os.Stderr.
	Warnings io.Writer
}

// ModelCheckpoint saves the model at the end of every epoch, as
// keras.callbacks.ModelCheckpoint with save_freq="epoch", through the goras
// model file format (saving.Save or saving.SaveWeights: one .safetensors
// file, written atomically).
//
// The file path may hold Keras's placeholders, filled from the 1-based epoch
// and the epoch's logs with Python's format rules, e.g.
// "ckpt/{epoch:02d}-{val_loss:.2f}.safetensors" → "ckpt/03-0.41.safetensors".
// Supported specs: [sign][0][width][.precision][type] with type d (epoch
// only), f, e, g or %; {name} alone prints a float as Python's str. Missing
// directories are created.
//
// With SaveBestOnly the best value is kept between Fit calls, as in Keras,
// so that a later, worse model never overwrites a better file.
//
// Keras's save_freq as a number of batches is not supported.
type ModelCheckpoint struct {
	goras.BaseCallback
	filepath string
	tmpl     *template
	cfg      ModelCheckpointConfig
	mon      monitor
	best     float64
	err      error
	saved    []string
}

// NewModelCheckpoint saves to filepath, which must end in ".safetensors".
func NewModelCheckpoint(filepath string, cfg ModelCheckpointConfig) (*ModelCheckpoint, error) {
	const who = "ModelCheckpoint"
	if !strings.HasSuffix(filepath, ".safetensors") {
		return nil, fmt.Errorf("callbacks: %s: the file path must end in .safetensors (goras's model format), got %q", who, filepath)
	}
	tmpl, err := parseTemplate(filepath)
	if err != nil {
		return nil, fmt.Errorf("callbacks: %s: file path %q: %w", who, filepath, err)
	}
	monitor, mode, err := resolveMonitor(who, cfg.Monitor, cfg.Mode)
	if err != nil {
		return nil, err
	}
	cfg.Monitor = monitor
	if cfg.InitialValueThreshold != nil && math.IsNaN(*cfg.InitialValueThreshold) {
		return nil, fmt.Errorf("callbacks: %s: InitialValueThreshold must be a number (or nil for none), got NaN", who)
	}
	if err := checkVerbose(who, cfg.Verbose); err != nil {
		return nil, err
	}
	cfg.Mode = mode
	cfg.Output, cfg.Warnings = orStdout(cfg.Output), orStderr(cfg.Warnings)
	c := &ModelCheckpoint{filepath: filepath, tmpl: tmpl, cfg: cfg, mon: newMonitor(cfg.Monitor, mode, 0)}
	c.best = c.mon.worst()
	if cfg.InitialValueThreshold != nil {
		c.best = *cfg.InitialValueThreshold
		v := c.best
		c.cfg.InitialValueThreshold = &v
	}
	return c, nil
}

// Config returns the configuration with every default filled in.
func (c *ModelCheckpoint) Config() ModelCheckpointConfig { return c.cfg }

// Best is the best monitored value saved so far (±Inf, or the initial
// threshold, before any).
func (c *ModelCheckpoint) Best() float64 { return c.best }

// Saved lists the files written, in order (a path appears once per save).
func (c *ModelCheckpoint) Saved() []string { return c.saved }

// Err is the first error met while saving, or nil. On an error the
// checkpoint prints it, stops training and saves nothing more.
func (c *ModelCheckpoint) Err() error { return c.err }

// OnTrainBegin forgets an earlier error and makes sure, as far as the path
// is known before the first epoch ends, that the checkpoints can be
// written there: a folder that takes no files, or a directory where the
// file should be, would otherwise stop training an epoch's work later.
func (c *ModelCheckpoint) OnTrainBegin(goras.Logs) {
	c.err = nil
	dir := filepath.Dir(c.filepath)
	if strings.ContainsAny(dir, "{}") {
		return // the folder depends on the epoch or the metrics
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.fail(err)
		return
	}
	probe := c.filepath
	if strings.ContainsAny(filepath.Base(probe), "{}") {
		probe = filepath.Join(dir, ".goras-probe")
	}
	if err := atomicfile.CheckWritable(probe); err != nil {
		c.fail(err)
	}
}

// OnEpochEnd decides and saves.
func (c *ModelCheckpoint) OnEpochEnd(epoch int, logs goras.Logs) {
	if c.err != nil {
		return
	}
	path, err := c.tmpl.format(epoch+1, logs)
	if err != nil {
		c.fail(fmt.Errorf("cannot fill the file path %q: %w", c.filepath, err))
		return
	}
	if !c.shouldSave(epoch, logs, path) {
		return
	}
	m := mustModel("ModelCheckpoint", c.Model)
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			c.fail(err)
			return
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		c.fail(fmt.Errorf("%s is an existing directory; give ModelCheckpoint a file path", path))
		return
	}
	save := saving.Save
	if c.cfg.SaveWeightsOnly {
		save = saving.SaveWeights
	}
	if err := save(m, path); err != nil {
		c.fail(err)
		return
	}
	c.saved = append(c.saved, path)
	if c.cfg.Verbose > 0 {
		fmt.Fprintf(c.cfg.Output, "\nEpoch %d: finished saving model to %s\n", epoch+1, path)
	}
}

// shouldSave is Keras's _should_save_model, messages included.
func (c *ModelCheckpoint) shouldSave(epoch int, logs goras.Logs, path string) bool {
	if !c.cfg.SaveBestOnly {
		if c.cfg.Verbose > 0 {
			fmt.Fprintf(c.cfg.Output, "\nEpoch %d: saving model to %s\n", epoch+1, path)
		}
		return true
	}
	current, ok := logs[c.cfg.Monitor]
	if !ok {
		fmt.Fprintf(c.cfg.Warnings, "callbacks: ModelCheckpoint can save best model only with %s available.\n", c.cfg.Monitor)
		return true
	}
	if c.mon.improves(current, c.best) {
		if c.cfg.Verbose > 0 {
			fmt.Fprintf(c.cfg.Output, "\nEpoch %d: %s improved from %s to %s, saving model to %s\n",
				epoch+1, c.cfg.Monitor, pyFixed5(c.best), pyFixed5(current), path)
		}
		c.best = current
		return true
	}
	if c.cfg.Verbose > 0 {
		fmt.Fprintf(c.cfg.Output, "\nEpoch %d: %s did not improve from %s\n", epoch+1, c.cfg.Monitor, pyFixed5(c.best))
	}
	return false
}

// pyFixed5 is Python's f"{v:.5f}" (inf, -inf and nan spelled as Python does).
func pyFixed5(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return pyRepr(v)
	}
	return fmt.Sprintf("%.5f", v)
}

func (c *ModelCheckpoint) fail(err error) {
	c.err = fmt.Errorf("callbacks: ModelCheckpoint: %w", err)
	fmt.Fprintf(c.cfg.Warnings, "%v; training stopped\n", c.err)
	if c.Model != nil {
		c.Model.StopTraining = true
	}
}
