package pidfile

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

func TestCreateAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	if err := Create(path); err != nil {
		t.Fatal(err)
	}
	if pid, err := Read(path); err != nil || pid != os.Getpid() {
		t.Errorf("Read: %d, %v; want this process, %d", pid, err, os.Getpid())
	}
	if err := Create(path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("a second Create: %v; want fs.ErrExist", err)
	}
	os.WriteFile(path, []byte("not a pid\n"), 0o644)
	if _, err := Read(path); err == nil {
		t.Error("Read of a file without a process id: no error")
	}
	if err := Create(filepath.Join(path, "x")); err == nil {
		t.Error("Create under a file: no error")
	}
}

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) {
		t.Error("this process is not alive")
	}
	if runtime.GOOS == "windows" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if Alive(cmd.Process.Pid) {
		t.Errorf("process %d, which has exited and been waited for, is alive", cmd.Process.Pid)
	}
}
