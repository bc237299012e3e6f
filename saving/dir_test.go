package saving_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/saving"
)

// TestCheckpointEveryResume: the callback's checkpoints, found with
// saving.LatestCheckpoint, resume to the same weights and goras.History.
func TestCheckpointEveryResume(t *testing.T) {
	x, y := ckptData(48)
	straight := ckptModel(3)
	ckptCompile(t, straight)
	hStraight := ckptFit(t, straight, x, y, 4, 0)

	dir := filepath.Join(t.TempDir(), "ckpts") // created by the callback
	m := ckptModel(3)
	ckptCompile(t, m)
	cb := backupEvery(t, dir, 0)
	ckptFit(t, m, x, y, 2, 0, cb)
	if cb.Err() != nil {
		t.Fatal(cb.Err())
	}
	m = nil
	resumed, ck, err := saving.LatestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 1 || filepath.Base(ck.Path) != "ckpt-0002.safetensors" {
		t.Fatalf("latest checkpoint is epoch %d at %s, want epoch 1 at ckpt-0002.safetensors", ck.Epoch, ck.Path)
	}
	cb2 := backupEvery(t, dir, 0)
	h2 := ckptFit(t, resumed, x, y, 4, ck.Epoch+1, cb2)
	if d := sameState(resumed, straight); d != "" {
		t.Fatalf("resumed from the callback's checkpoint, the run differs: %s", d)
	}
	sameHistory(t, "checkpoint goras.History + resumed Fit", ck.History.Concat(h2), hStraight, true)
	sameHistory(t, "callback goras.History", cb2.History(), hStraight, false)
	_, last, err := saving.LatestCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	if last.Epoch != 3 {
		t.Errorf("after 4 epochs the latest checkpoint is epoch %d, want 3", last.Epoch)
	}
	sameHistory(t, "goras.History in the last checkpoint", last.History, hStraight, false)
}

// TestCheckpointPrune: keep-last-N, keep 0 = all, and a resumed run from an
// older checkpoint removes the files of the abandoned later epochs.
func TestCheckpointPrune(t *testing.T) {
	x, y := ckptData(24)
	names := func(dir string) []string {
		paths, err := saving.Checkpoints(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	for _, c := range []struct {
		keep int
		want []string
	}{
		{2, []string{"ckpt-0004.safetensors", "ckpt-0005.safetensors"}},
		{1, []string{"ckpt-0005.safetensors"}},
		{0, []string{"ckpt-0001.safetensors", "ckpt-0002.safetensors", "ckpt-0003.safetensors", "ckpt-0004.safetensors", "ckpt-0005.safetensors"}},
	} {
		dir := t.TempDir()
		m := ckptModel(1)
		ckptCompile(t, m)
		ckptFit(t, m, x, y, 5, 0, backupEvery(t, dir, c.keep))
		if got := names(dir); !slices.Equal(got, c.want) {
			t.Errorf("keep %d: %v, want %v", c.keep, got, c.want)
		}
	}

	dir := t.TempDir()
	m := ckptModel(1)
	ckptCompile(t, m)
	ckptFit(t, m, x, y, 5, 0, backupEvery(t, dir, 0))
	stale := filepath.Join(dir, ".ckpt-0006.safetensors.tmp-123")
	if err := os.WriteFile(stale, []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same Fit again restores the last backup, has nothing left to
	// train, and clears what a killed write left.
	cb := backupEvery(t, dir, 0)
	if h := ckptFit(t, m, x, y, 5, 0, cb); len(h.Epoch) != 0 || cb.Restored() == nil || cb.Restored().Epoch != 4 {
		t.Errorf("a finished run started again trained %v (restored %+v), want nothing from epoch 4's backup", h.Epoch, cb.Restored())
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a temporary file left by a killed write is still there (%v)", err)
	}
	// A run going on from an older epoch drops the abandoned later files.
	if err := saving.Prune(dir, 2, 0); err != nil {
		t.Fatal(err)
	}
	want := []string{"ckpt-0001.safetensors", "ckpt-0002.safetensors", "ckpt-0003.safetensors"}
	if got := names(dir); !slices.Equal(got, want) {
		t.Errorf("after pruning at epoch 2 over 5 files: %v, want %v", got, want)
	}
}

// copyDir copies the checkpoint files of src into a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	paths, err := saving.Checkpoints(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestLatestCheckpointFallsBack: a truncated, altered, empty or renamed
// newest checkpoint is passed over, with the reason, for the one before.
func TestLatestCheckpointFallsBack(t *testing.T) {
	x, y := ckptData(24)
	src := t.TempDir()
	m := ckptModel(2)
	ckptCompile(t, m)
	ckptFit(t, m, x, y, 3, 0, backupEvery(t, src, 0))
	newest := "ckpt-0003.safetensors"
	edit := func(f func(b []byte) []byte) func(dir string) {
		return func(dir string) {
			p := filepath.Join(dir, newest)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name   string
		spoil  func(dir string)
		reason string
	}{
		{"truncated to half", edit(func(b []byte) []byte { return b[:len(b)/2] }), "safetensors"},
		{"empty", edit(func(b []byte) []byte { return nil }), "safetensors"},
		{"one data byte flipped", edit(func(b []byte) []byte { b[len(b)-5] ^= 0x40; return b }), "SHA-256"},
		{"epoch altered in the header", edit(func(b []byte) []byte {
			return bytes.Replace(b, []byte(`\"epoch\":2,`), []byte(`\"epoch\":1,`), 1)
		}), "SHA-256"},
		{"renamed from an older one", func(dir string) {
			b, err := os.ReadFile(filepath.Join(dir, "ckpt-0001.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, newest), b, 0o644)
		}, "named for epoch 3 but holds the state after epoch 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, src)
			// Files that are not checkpoints are never candidates.
			os.WriteFile(filepath.Join(dir, ".ckpt-0009.safetensors.tmp-42"), []byte("partial"), 0o644)
			os.WriteFile(filepath.Join(dir, "ckpt-0010.safetensors.bak"), []byte("junk"), 0o644)
			before, _ := os.ReadFile(filepath.Join(dir, newest))
			c.spoil(dir)
			after, _ := os.ReadFile(filepath.Join(dir, newest))
			if bytes.Equal(before, after) {
				t.Fatal("the spoiling changed nothing")
			}
			_, ck, err := saving.LatestCheckpoint(dir)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Epoch != 1 || filepath.Base(ck.Path) != "ckpt-0002.safetensors" {
				t.Errorf("fell back to epoch %d at %s, want epoch 1 at ckpt-0002.safetensors", ck.Epoch, ck.Path)
			}
			if len(ck.Skipped) != 1 {
				t.Fatalf("skipped %v, want the newest only", ck.Skipped)
			}
			msg := ck.Skipped[0].Error()
			if !strings.Contains(msg, newest) || !strings.Contains(msg, c.reason) {
				t.Errorf("skip reason %q should name %s and say %q", msg, newest, c.reason)
			}
		})
	}

	t.Run("all spoiled", func(t *testing.T) {
		dir := copyDir(t, src)
		for _, n := range []string{"ckpt-0001.safetensors", "ckpt-0002.safetensors", newest} {
			os.WriteFile(filepath.Join(dir, n), []byte("not a checkpoint"), 0o644)
		}
		_, _, err := saving.LatestCheckpoint(dir)
		if err == nil || errors.Is(err, saving.ErrNoCheckpoint) || !strings.Contains(err.Error(), "none of the 3 checkpoints") || !strings.Contains(err.Error(), "ckpt-0001") {
			t.Errorf("got %v, want an error naming each of the 3 files", err)
		}
	})
	t.Run("none", func(t *testing.T) {
		for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
			if _, _, err := saving.LatestCheckpoint(dir); !errors.Is(err, saving.ErrNoCheckpoint) {
				t.Errorf("%s: got %v, want ErrNoCheckpoint", dir, err)
			}
		}
	})
}
