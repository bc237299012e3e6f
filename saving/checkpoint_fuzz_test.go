package saving_test

import (
	"path/filepath"
	"testing"

	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/saving"
)

// FuzzCheckpointState: whatever a checkpoint's training-state metadata
// says (with a matching digest, as if written so), LoadCheckpoint restores
// it or returns an error; it never panics.
func FuzzCheckpointState(f *testing.F) {
	x, y := ckptData(16)
	m := ckptModel(1)
	ckptCompile(f, m)
	h := ckptFit(f, m, x, y, 1, 0)
	dir := f.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := saving.SaveCheckpoint(m, good, 0, h); err != nil {
		f.Fatal(err)
	}
	file, err := safetensors.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(file.Metadata["checkpoint"])
	f.Add(`{"epoch": -1}`)
	f.Add(`{"epoch": 0, "optimizer": {"name": "Adam", "iterations": -5}, "rng": {"shuffle": "AAAA", "layers": {}}, "history": {"epoch": [0, 1], "history": {"loss": ["NaN"]}}}`)
	f.Fuzz(func(t *testing.T, state string) {
		meta := map[string]string{}
		for k, v := range file.Metadata {
			meta[k] = v
		}
		meta["checkpoint"] = state
		meta["checkpoint_sha256"] = saving.Digest(file.Tensors, meta)
		path := filepath.Join(t.TempDir(), "ck.safetensors")
		if err := safetensors.WriteFile(path, file.Tensors, meta); err != nil {
			t.Fatal(err)
		}
		saving.LoadCheckpoint(path) // an error is fine; a panic is not
	})
}
