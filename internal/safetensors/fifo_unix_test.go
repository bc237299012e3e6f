//go:build unix

package safetensors

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadFileRefusesPipe: ReadFile of a named pipe returns an error at
// once; it opened the pipe first, which waits for a writer (goras predict
// on a pipe hung, deaf to SIGTERM).
func TestReadFileRefusesPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe.safetensors")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(path); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), path+": not a regular file") {
			t.Errorf("ReadFile of a pipe: %v, want one saying it is not a regular file", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("ReadFile of a pipe still waiting after 5 s")
	}
}
