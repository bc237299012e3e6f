package saving

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/goras-ml/goras"
)

// Checkpoint files in a directory: ckpt-0001.safetensors holds the state
// after the first epoch (Keras's "Epoch 1/…", Fit's epoch 0), and so on.
var checkpointName = regexp.MustCompile(`^ckpt-([0-9]+)\.safetensors$`)

// CheckpointPath is the file BackupAndRestore writes in dir after epoch
// (counted from 0): dir/ckpt-0001.safetensors for epoch 0. The number is
// 1-based, as Keras prints epochs and numbers ModelCheckpoint's files.
func CheckpointPath(dir string, epoch int) string {
	return filepath.Join(dir, fmt.Sprintf("ckpt-%04d.safetensors", epoch+1))
}

// Checkpoints lists the checkpoint files in dir (ckpt-NNNN.safetensors),
// oldest epoch first. Temporary files of a write in progress or cut short
// are never listed: only files renamed into place count. A missing
// directory has none.
func Checkpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("goras: checkpoint directory: %w", err)
	}
	type numbered struct {
		n    uint64
		path string
	}
	var found []numbered
	for _, e := range entries {
		sub := checkpointName.FindStringSubmatch(e.Name())
		if sub == nil || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.ParseUint(sub[1], 10, 63)
		if err != nil {
			continue
		}
		found = append(found, numbered{n, filepath.Join(dir, e.Name())})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].n < found[j].n })
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.path
	}
	return out, nil
}

// checkpointNumber is the number in a checkpoint file's name.
func checkpointNumber(path string) int {
	sub := checkpointName.FindStringSubmatch(filepath.Base(path))
	if sub == nil {
		return -1
	}
	n, _ := strconv.Atoi(sub[1])
	return n
}

// LatestCheckpoint loads the newest checkpoint in dir that loads: it tries
// the files from the highest epoch down and passes over any that is
// truncated, damaged or inconsistent, listing each in Checkpoint.Skipped
// (with the reason) so that the caller can warn. With no checkpoint file in
// dir it returns an error that wraps ErrNoCheckpoint; when every file fails,
// an error listing each failure.
func LatestCheckpoint(dir string) (*goras.Model, *Checkpoint, error) {
	var m *goras.Model
	ck, err := latest(dir, func(path string) (*Checkpoint, error) {
		loaded, ck, err := LoadCheckpoint(path)
		m = loaded
		return ck, err
	})
	if err != nil {
		return nil, nil, err
	}
	return m, ck, nil
}

// RestoreLatest is Restore of the newest checkpoint in dir that restores
// into m, passing over the others as LatestCheckpoint does.
func RestoreLatest(m *goras.Model, dir string) (*Checkpoint, error) {
	return latest(dir, func(path string) (*Checkpoint, error) { return Restore(m, path) })
}

// latest tries the checkpoints of dir from the newest down with open and
// returns the first that opens, with those passed over in Skipped.
func latest(dir string, open func(path string) (*Checkpoint, error)) (*Checkpoint, error) {
	paths, err := Checkpoints(dir)
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("goras: %w in %s (no ckpt-NNNN.safetensors file)", ErrNoCheckpoint, dir)
	}
	var skipped []error
	for i := len(paths) - 1; i >= 0; i-- {
		ck, err := open(paths[i])
		if err == nil && ck.Epoch+1 != checkpointNumber(paths[i]) {
			err = fmt.Errorf("goras: checkpoint %s: named for epoch %d but holds the state after epoch %d (renamed?)", paths[i], checkpointNumber(paths[i]), ck.Epoch+1)
		}
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		ck.Skipped = skipped
		return ck, nil
	}
	msgs := make([]string, len(skipped))
	for i, e := range skipped {
		msgs[i] = strings.TrimPrefix(e.Error(), "goras: ")
	}
	if len(paths) == 1 {
		return nil, fmt.Errorf("goras: the one checkpoint in %s does not load: %s", dir, msgs[0])
	}
	return nil, fmt.Errorf("goras: none of the %d checkpoints in %s loads: %s", len(paths), dir, strings.Join(msgs, "; "))
}

// Prune deletes the checkpoints of dir beyond the newest keep up to epoch
// (counted from 0), and any of a later epoch, an abandoned run's: the
// directory follows the current run. keep ≤ 0 keeps every one up to epoch.
func Prune(dir string, epoch, keep int) error {
	paths, err := Checkpoints(dir)
	if err != nil {
		return err
	}
	var upTo []string
	for _, p := range paths {
		if checkpointNumber(p) > epoch+1 {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("goras: pruning checkpoints: %w", err)
			}
			continue
		}
		upTo = append(upTo, p)
	}
	if keep <= 0 || len(upTo) <= keep {
		return nil
	}
	for _, p := range upTo[:len(upTo)-keep] {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("goras: pruning checkpoints: %w", err)
		}
	}
	return nil
}

// RemoveStale removes what writes killed midway left in dir (temporary
// files of checkpoints), for the one run that owns the directory.
func RemoveStale(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, ".ckpt-*.safetensors.tmp-*"))
	for _, p := range stale {
		os.Remove(p)
	}
}
