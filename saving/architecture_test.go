package saving_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/mixedprecision"
	"github.com/goras-ml/goras/saving"
)

// A checkpoint of a model computing in mixed_bfloat16 restores into the
// same network in float32 (as on a machine without fast bfloat16 products,
// where the policy falls back), weights and all: a policy is not the
// architecture. Another network is still refused.
func TestRestoreAcrossPolicies(t *testing.T) {
	mixedprecision.SetNoticeOutput(nil)
	path := filepath.Join(t.TempDir(), "ckpt-0001.safetensors")
	saved := ckptModel(1)
	ckptCompile(t, saved)
	if _, err := mixedprecision.SetPolicy(saved, "mixed_bfloat16"); err != nil {
		t.Fatal(err)
	}
	if err := saving.SaveCheckpoint(saved, path, 0, nil); err != nil {
		t.Fatal(err)
	}
	m := ckptModel(2)
	ckptCompile(t, m)
	if _, err := mixedprecision.SetPolicy(m, "float32"); err != nil {
		t.Fatal(err)
	}
	if _, err := saving.Restore(m, path); err != nil {
		t.Fatalf("Restore into the same network in float32: %v", err)
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.Value.Data(), saved.Params()[i].Value.Data()) {
			t.Fatalf("weight %s differs from the checkpoint's after Restore", p.Name)
		}
	}
	other := ckptModel(1)
	other.Add(layers.Dense(2))
	ckptCompile(t, other)
	if _, err := saving.Restore(other, path); err == nil || !strings.Contains(err.Error(), "another architecture") {
		t.Errorf("Restore into another network: %v, want it refused", err)
	}
}
