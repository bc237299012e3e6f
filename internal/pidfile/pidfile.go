// Package pidfile marks a folder as being written by a process: a file
// holding the process's id, which another process reads to tell a live
// writer (refuse to write beside it) from one that was killed (its mark
// may be taken over). goras train marks its --checkpoint-dir so, the
// studio each run folder it trains into.
package pidfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Create makes the file path holding this process's id. It fails with an
// error wrapping fs.ErrExist when path exists, whoever made it: marking
// and checking are one step, so two processes cannot both mark a folder.
func Create(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, werr := fmt.Fprintf(f, "%d\n", os.Getpid())
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return werr
	}
	return nil
}

// Read returns the process id the file path holds.
func Read(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s holds no process id (%q)", path, b)
	}
	return pid, nil
}

// Alive reports whether process pid exists. Where signal 0 cannot be sent
// (Windows), a process that os.FindProcess finds counts as alive.
func Alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM) || !errors.Is(err, os.ErrProcessDone)
}
