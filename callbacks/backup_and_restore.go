package callbacks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/atomicfile"
	"github.com/goras-ml/goras/saving"
)

// BackupAndRestoreConfig holds BackupAndRestore's settings.
type BackupAndRestoreConfig struct {
	// Keep is how many of the newest backups stay in the directory: 0
	// keeps one, as Keras does; a negative number keeps every one.
	Keep int
	// KeepAfterTraining leaves the backups in place when training ends
	// (Keras's delete_checkpoint=False); by default they are deleted then,
	// as a backup exists to resume a run that did not end.
	KeepAfterTraining bool
}

// BackupAndRestore is Keras's keras.callbacks.BackupAndRestore: at the end
// of every epoch it writes a checkpoint of the training (weights, the
// optimizer's state, every random generator, the History) into a
// directory (saving.CheckpointPath: ckpt-0001.safetensors after the first
// epoch), and when training begins with a checkpoint there it restores
// the newest one into the model and makes Fit go on from the epoch after
// it: a run killed midway and started again with the same call ends with
// the same weights, bit for bit, as one never stopped.
//
// The model must be built and compiled as the one that wrote the backups.
// Put the callback last in Callbacks, so that what other callbacks log
// (learning_rate) is saved and a stop during an epoch's batches
// (TerminateOnNaN) is seen: an epoch cut short is not saved. Damaged or
// half-written backups are passed over (Skipped lists why). If a backup
// cannot be written or restored, the callback stops training and Err says
// why; check it after Fit.
type BackupAndRestore struct {
	goras.BaseCallback
	dir      string
	cfg      BackupAndRestoreConfig
	history  *goras.History
	restored *saving.Checkpoint
	start    time.Time
	cut      bool // training was stopped during the current epoch's batches
	err      error
}

// NewBackupAndRestore backs training up into dir, which is created if
// needed.
func NewBackupAndRestore(dir string, cfg BackupAndRestoreConfig) (*BackupAndRestore, error) {
	if dir == "" {
		return nil, errors.New("callbacks: BackupAndRestore needs a directory")
	}
	if cfg.Keep == 0 {
		cfg.Keep = 1
	}
	return &BackupAndRestore{dir: dir, cfg: cfg, history: &goras.History{}}, nil
}

// History is every epoch of the run: those restored from the backup, then
// this Fit's.
func (c *BackupAndRestore) History() *goras.History { return c.history }

// Restored is the backup training went on from, nil on a fresh start.
func (c *BackupAndRestore) Restored() *saving.Checkpoint { return c.restored }

// Err is the error that made the callback stop training, or nil.
func (c *BackupAndRestore) Err() error { return c.err }

// Dir is the backup directory.
func (c *BackupAndRestore) Dir() string { return c.dir }

// OnTrainBegin restores the newest backup, if there is one.
func (c *BackupAndRestore) OnTrainBegin(goras.Logs) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		c.stop(fmt.Errorf("goras: backup directory: %w", err))
		return
	}
	// A folder that takes no files would be found at the first epoch's
	// end, its work lost.
	if err := atomicfile.CheckWritable(filepath.Join(c.dir, ".goras-probe")); err != nil {
		c.stop(fmt.Errorf("goras: backup directory %s: %w", c.dir, err))
		return
	}
	saving.RemoveStale(c.dir)
	ck, err := saving.RestoreLatest(c.Model, c.dir)
	switch {
	case errors.Is(err, saving.ErrNoCheckpoint):
		return // a first run
	case err != nil:
		c.stop(err)
		return
	}
	c.restored = ck
	c.history = ck.History.Concat(nil)
	c.Model.SetInitialEpoch(ck.Epoch + 1)
}

// OnEpochBegin starts the epoch's clock.
func (c *BackupAndRestore) OnEpochBegin(int, goras.Logs) {
	c.start = time.Now()
	c.cut = false
}

// OnTrainBatchEnd notes whether training was stopped within the epoch.
func (c *BackupAndRestore) OnTrainBatchEnd(int, goras.Logs) {
	c.cut = c.Model.StopTraining
}

// OnEpochEnd records the epoch, writes its backup and prunes older ones.
func (c *BackupAndRestore) OnEpochEnd(epoch int, logs goras.Logs) {
	if c.cut || c.err != nil {
		return
	}
	c.history.Append(epoch, logs, time.Since(c.start).Seconds())
	if err := saving.SaveCheckpoint(c.Model, saving.CheckpointPath(c.dir, epoch), epoch, c.history); err != nil {
		c.stop(err)
		return
	}
	if err := saving.Prune(c.dir, epoch, c.cfg.Keep); err != nil {
		c.stop(err)
	}
}

// OnTrainEnd deletes the backups of a run that ended, unless asked to keep
// them.
func (c *BackupAndRestore) OnTrainEnd(goras.Logs) {
	if c.cfg.KeepAfterTraining || c.err != nil {
		return
	}
	paths, err := saving.Checkpoints(c.dir)
	if err != nil {
		return
	}
	for _, p := range paths {
		os.Remove(p)
	}
}

func (c *BackupAndRestore) stop(err error) {
	c.err = err
	if c.Model != nil {
		c.Model.StopTraining = true
	}
}
