package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/goras-ml/goras/internal/pidfile"
)

// One goras train at a time writes a --checkpoint-dir. Two would interleave
// their checkpoints and overwrite each other's run settings, and the
// second, started without --resume, would be restored from the first's
// checkpoint by BackupAndRestore once its data is loaded: a hybrid of the
// two runs, and a directory whose --resume trains neither. The run marks
// the directory with lockFile, holding its process id, from before it looks
// at the checkpoints until it ends.

// lockFile marks a checkpoint directory as being written by a run.
const lockFile = ".goras-train.lock"

// heldDirs are the lock files this process holds, by resolved path, so
// that a lock naming this process is told apart from one left by an
// earlier process that had the same id (in a container, a restarted goras
// often gets the same one).
var heldDirs sync.Map

// claimCheckpointDir creates dir if needed and marks it as written by this
// run (lockCheckpointDir).
func claimCheckpointDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--checkpoint-dir %s: cannot create it: %v", dir, pathless(err))
	}
	return lockCheckpointDir(dir)
}

// lockCheckpointDir marks dir, which exists, as written by this run and
// returns the function that removes the mark. A mark left by a process that
// is gone (a run killed with SIGKILL) is taken over.
func lockCheckpointDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, lockFile)
	for range 2 {
		err := pidfile.Create(path)
		if err == nil {
			key := resolvedPath(path)
			heldDirs.Store(key, true)
			return func() { heldDirs.Delete(key); os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("--checkpoint-dir %s: cannot mark it as in use: %v", dir, pathless(err))
		}
		if pid, live := lockOwner(path); live {
			return nil, fmt.Errorf("--checkpoint-dir %s is being written by another goras train (process %d); wait for it to end or give another --checkpoint-dir "+
				"(if no goras train runs there, delete %s)", dir, pid, path)
		}
		os.Remove(path) // left by a run that was killed
	}
	return nil, fmt.Errorf("--checkpoint-dir %s is being written by another goras train that has just started; give another --checkpoint-dir", dir)
}

// lockOwner reads the process id in the lock file path and reports whether
// that process is alive. A file without one counts as alive for a few
// seconds after it was made: its writer may not have written it yet.
func lockOwner(path string) (pid int, live bool) {
	pid, err := pidfile.Read(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, false
	case err != nil:
		fi, err := os.Stat(path)
		return 0, err == nil && time.Since(fi.ModTime()) < 10*time.Second
	case pid == os.Getpid():
		_, held := heldDirs.Load(resolvedPath(path))
		return pid, held
	}
	return pid, pidfile.Alive(pid)
}
