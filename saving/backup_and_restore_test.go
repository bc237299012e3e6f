package saving_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/callbacks"
	"github.com/goras-ml/goras/saving"
)

// TestCheckpointSkipsCutEpoch: an epoch stopped during its batches (as
// TerminateOnNaN stops) is not saved.
func TestCheckpointSkipsCutEpoch(t *testing.T) {
	x, y := ckptData(24)
	dir := t.TempDir()
	m := ckptModel(1)
	ckptCompile(t, m)
	stopper := &batchStopper{at: [2]int{1, 0}}
	cb := backupEvery(t, dir, 0)
	ckptFit(t, m, x, y, 3, 0, stopper, cb)
	paths, _ := saving.Checkpoints(dir)
	if len(paths) != 1 || filepath.Base(paths[0]) != "ckpt-0001.safetensors" {
		t.Errorf("checkpoints %v, want ckpt-0001.safetensors only (epoch 2 was cut after its first batch)", paths)
	}
	if len(cb.History().Epoch) != 1 {
		t.Errorf("callback goras.History has epochs %v, want [0]", cb.History().Epoch)
	}
}

// batchStopper stops training after batch at[1] of epoch at[0].
type batchStopper struct {
	goras.BaseCallback
	epoch int
	at    [2]int
}

func (b *batchStopper) OnEpochBegin(epoch int, _ goras.Logs) { b.epoch = epoch }
func (b *batchStopper) OnTrainBatchEnd(batch int, _ goras.Logs) {
	if b.epoch == b.at[0] && batch == b.at[1] {
		b.Model.StopTraining = true
	}
}

// cancelAt cancels the training's context at the end of an epoch: Fit
// then returns in the next epoch's first step, as if killed there.
type cancelAt struct {
	goras.BaseCallback
	epoch  int
	cancel context.CancelFunc
}

func (c *cancelAt) OnEpochEnd(epoch int, _ goras.Logs) {
	if epoch == c.epoch {
		c.cancel()
	}
}

// BackupAndRestore as Keras users use it: the same model, compiled the
// same way, and the same Fit call; a run stopped after epoch 1 and started
// again ends as one never stopped, and the backups go once training ends.
func TestBackupAndRestoreResumes(t *testing.T) {
	x, y := ckptData(48)
	straight := ckptModel(11)
	ckptCompile(t, straight)
	hStraight := ckptFit(t, straight, x, y, 4, 0)

	dir := filepath.Join(t.TempDir(), "backup")
	newBackup := func() *callbacks.BackupAndRestore {
		cb, err := callbacks.NewBackupAndRestore(dir, callbacks.BackupAndRestoreConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return cb
	}
	first := ckptModel(11)
	ckptCompile(t, first)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cb := newBackup()
	_, err := first.Fit(ctx, x, y, goras.BatchSize(8), goras.Epochs(4), goras.ValidationSplit(0.25), goras.Verbose(0),
		goras.Callbacks(&cancelAt{epoch: 1, cancel: cancel}, cb))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit of a cancelled run: %v", err)
	}
	if paths, _ := saving.Checkpoints(dir); len(paths) != 1 || filepath.Base(paths[0]) != "ckpt-0002.safetensors" {
		t.Fatalf("after a run killed in epoch 2 the backups are %v, want ckpt-0002 alone (Keep 0 keeps one)", paths)
	}
	again := ckptModel(11)
	ckptCompile(t, again)
	cb = newBackup()
	h := ckptFit(t, again, x, y, 4, 0, cb)
	if cb.Err() != nil {
		t.Fatal(cb.Err())
	}
	if !slices.Equal(h.Epoch, []int{2, 3}) {
		t.Errorf("the restarted run trained epochs %v, want [2 3]", h.Epoch)
	}
	if d := sameState(again, straight); d != "" {
		t.Fatalf("restored run differs from the uninterrupted one: %s", d)
	}
	sameHistory(t, "BackupAndRestore History", cb.History(), hStraight, false)
	if paths, _ := saving.Checkpoints(dir); len(paths) != 0 {
		t.Errorf("backups left after training ended: %v", paths)
	}
}

// TestBackupDirectoryThatTakesNoFiles: a backup folder that exists but
// takes no files stops training before its first epoch, not at its end.
func TestBackupDirectoryThatTakesNoFiles(t *testing.T) {
	if os.Geteuid() == 0 || runtime.GOOS == "windows" {
		t.Skip("root writes anywhere; Windows has no directory write bit")
	}
	dir := filepath.Join(t.TempDir(), "backup")
	os.Mkdir(dir, 0o555)
	defer os.Chmod(dir, 0o755)
	cb, err := callbacks.NewBackupAndRestore(dir, callbacks.BackupAndRestoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	x, y := ckptData(48)
	m := ckptModel(11)
	ckptCompile(t, m)
	h := ckptFit(t, m, x, y, 2, 0, cb)
	if len(h.Epoch) != 0 || cb.Err() == nil || !strings.Contains(cb.Err().Error(), dir) {
		t.Errorf("trained epochs %v, err %v; want none and an error naming %s", h.Epoch, cb.Err(), dir)
	}
}
