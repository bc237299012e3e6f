package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
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
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_, werr := fmt.Fprintf(f, "%d\n", os.Getpid())
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("--checkpoint-dir %s: cannot mark it as in use: %v", dir, pathless(werr))
			}
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
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, !errors.Is(err, fs.ErrNotExist)
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
	switch {
	case err != nil || pid <= 0:
		fi, err := os.Stat(path)
		return 0, err == nil && time.Since(fi.ModTime()) < 10*time.Second
	case pid == os.Getpid():
		_, held := heldDirs.Load(resolvedPath(path))
		return pid, held
	}
	return pid, processAlive(pid)
}

// processAlive reports whether process pid exists. Where signal 0 cannot
// be sent (Windows), a process that FindProcess finds counts as alive.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM) || !errors.Is(err, os.ErrProcessDone)
}
