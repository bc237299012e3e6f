package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests of the lock that keeps a --checkpoint-dir to one run at a time.

// startTrain parses goras train's args and starts the run as runTrain does,
// up to loading the data.
func startTrain(t *testing.T, args ...string) (*recipe, error) {
	t.Helper()
	cmd, f := newTrainCmdFlags()
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	r, _, err := f.start(cmd.Flags().Changed, io.Discard)
	return r, err
}

// While a run holds its --checkpoint-dir, another run there is refused
// before it writes anything, with --resume or without (which used to go
// on, once its data was loaded, from the first run's newest checkpoint,
// and leave its own settings beside the first run's checkpoints). Once the
// run ends the directory is free again, and no mark is left in it.
func TestCheckpointDirHeldByOneRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	first, err := startTrain(t, "--limit", "300", "--epochs", "4", "--checkpoint-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	settings := readFile(t, filepath.Join(dir, runFile))
	want := fmt.Sprintf("--checkpoint-dir %s is being written by another goras train (process %d); wait for it to end or give another --checkpoint-dir", dir, os.Getpid())
	for _, args := range [][]string{
		{"--limit", "300", "--epochs", "2", "--seed", "7", "--checkpoint-dir", dir},
		{"--checkpoint-dir", dir, "--resume"},
	} {
		if r, err := startTrain(t, args...); err == nil || !strings.Contains(err.Error(), want) {
			if r != nil {
				r.close()
			}
			t.Errorf("train %s while another run writes the directory: %v; want %q", strings.Join(args, " "), err, want)
		}
	}
	if got := readFile(t, filepath.Join(dir, runFile)); string(got) != string(settings) {
		t.Errorf("the refused runs changed the first run's settings:\n%s\nto\n%s", settings, got)
	}
	first.close()
	next, err := startTrain(t, "--checkpoint-dir", dir, "--resume")
	if err != nil {
		t.Fatalf("after the first run ended: %v", err)
	}
	next.close()
	if got := dirNames(t, dir); !slices.Equal(got, []string{runFile}) {
		t.Errorf("after the runs the directory holds %v, want only %s", got, runFile)
	}
}

// A mark left by a run that cannot be running any more is taken over: one
// naming a process that has ended (a run killed with SIGKILL), one naming
// this process that it does not hold (an earlier process of the same id,
// as in a restarted container), and an empty one that is not new.
func TestCheckpointDirStaleLock(t *testing.T) {
	gone := exec.Command(os.Args[0], "-test.run=^$")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	for name, pid := range map[string]string{"killed": strconv.Itoa(gone.Process.Pid), "reused": strconv.Itoa(os.Getpid()), "empty": ""} {
		dir := filepath.Join(t.TempDir(), name)
		mkdir(t, dir)
		lock := filepath.Join(dir, lockFile)
		writeFile(t, lock, []byte(pid))
		old := time.Now().Add(-time.Minute)
		if err := os.Chtimes(lock, old, old); err != nil {
			t.Fatal(err)
		}
		r, err := startTrain(t, "--limit", "300", "--checkpoint-dir", dir)
		if err != nil {
			t.Errorf("%s lock: %v", name, err)
			continue
		}
		if got := strings.TrimSpace(string(readFile(t, lock))); got != strconv.Itoa(os.Getpid()) {
			t.Errorf("%s lock: the run's lock file holds %q, want its process id", name, got)
		}
		r.close()
	}
}
