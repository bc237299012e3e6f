//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestNewFileMode checks that a new file is 0644 minus the umask (not the
// 0600 of os.CreateTemp) and that a replaced file keeps its mode.
func TestNewFileMode(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ umask, want os.FileMode }{{0o022, 0o644}, {0o027, 0o640}, {0o002, 0o644}} {
		old := syscall.Umask(int(c.umask))
		path := filepath.Join(dir, "new.png")
		os.Remove(path)
		err := Write(path, writeString("x"))
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != c.want {
			t.Errorf("umask %03o: new file mode %v, want %v", c.umask, st.Mode().Perm(), c.want)
		}
	}
	path := filepath.Join(dir, "kept.png")
	os.WriteFile(path, []byte("x"), 0o600)
	os.Chmod(path, 0o600)
	if err := Write(path, writeString("y")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("replaced file mode %v, want its old 0600", st.Mode().Perm())
	}
}
