package beamfs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/memfs"
)

func TestJoin(t *testing.T) {
	for _, c := range [][3]string{
		{"gs://b/runs", "m.safetensors", "gs://b/runs/m.safetensors"},
		{"gs://b/runs/", "m.safetensors", "gs://b/runs/m.safetensors"},
		{"runs/a", "m.safetensors", "runs/a/m.safetensors"},
		{"/tmp/x/", "y", "/tmp/x/y"},
	} {
		if got := Join(c[0], c[1]); got != c[2] {
			t.Errorf("Join(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

// A file written to a remote file system (memfs, Beam's in-memory one)
// through a local writer comes back through ToLocal with the same bytes; a
// failed write leaves no file behind.
func TestRoundTripThroughARemoteFileSystem(t *testing.T) {
	ctx := context.Background()
	path := "memfs://runs/model.bin"
	err := FromLocal(ctx, path, func(local string) error { return os.WriteFile(local, []byte("weights"), 0o644) })
	if err != nil {
		t.Fatal(err)
	}
	local, done, err := ToLocal(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(local)
	done()
	if string(b) != "weights" || filepath.Base(local) != "model.bin" {
		t.Errorf("read back %q from %s", b, local)
	}
	if _, err := os.Stat(local); !os.IsNotExist(err) {
		t.Errorf("the local copy %s outlived done: %v", local, err)
	}
	boom := errors.New("boom")
	if err := Write(ctx, "memfs://runs/torn.bin", func(w io.Writer) error { w.Write([]byte("half")); return boom }); !errors.Is(err, boom) {
		t.Errorf("Write returned %v, want the writer's error", err)
	}
	for _, f := range []string{"memfs://runs/torn.bin", "memfs://runs/torn.bin.tmp"} {
		if _, err := Read(ctx, f); err == nil {
			t.Errorf("a failed write left %s", f)
		}
	}
	memfs.Write("memfs://runs/other", []byte("x"))
	if files, _ := List(ctx, "memfs://runs/*.bin"); len(files) != 1 {
		t.Errorf("List found %v, want model.bin alone", files)
	}
}
