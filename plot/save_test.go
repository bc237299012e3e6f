package plot

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Pictures are written through internal/atomicfile: readable by all like
// any new file (os.CreateTemp's 0600 used to stay), and a read-only
// picture is refused, not replaced.
func TestSaveFileRules(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.svg")
	if err := SaveCurves(history(), path); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		probe := filepath.Join(dir, "probe")
		f, _ := os.OpenFile(probe, os.O_CREATE|os.O_WRONLY, 0o644)
		f.Close()
		want, _ := os.Stat(probe)
		got, _ := os.Stat(path)
		if got.Mode().Perm() != want.Mode().Perm() {
			t.Errorf("picture mode %v, want %v (0644 minus the umask)", got.Mode().Perm(), want.Mode().Perm())
		}
		os.Remove(probe)
	}
	os.Chmod(path, 0o444)
	err := SaveCurves(history(), path)
	if err == nil || !strings.Contains(err.Error(), "plot: cannot write "+path+": it is read-only; remove it or choose another path") {
		t.Errorf("read-only picture: %v", err)
	}
	noTempFiles(t, dir)
}
