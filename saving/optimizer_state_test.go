package saving

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// A checkpoint whose optimizer state is not the optimizer's Variables (a
// file rewritten by hand with a fresh digest) is refused, every problem
// listed, sorted, with the names the file has.
func TestOptimizerStateMismatch(t *testing.T) {
	m := goras.NewSequential(layers.Input(3), layers.Dense(2, layers.WithActivation("softmax")))
	m.SetSeed(1)
	opt, err := optimizers.NewAdam()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(goras.CompileOptions{Optimizer: opt, Loss: losses.CategoricalCrossentropy{}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := SaveCheckpoint(m, path, 0, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var kept []safetensors.Tensor
	for _, ts := range f.Tensors {
		names = append(names, ts.Name)
	}
	// Drop Adam's first moment of the kernel (m/0), give the second moment
	// of the bias (v/1) a wrong shape and add a tensor no optimizer has.
	const dropped, reshaped = "optimizer/adam/m/0", "optimizer/adam/v/1"
	for _, ts := range f.Tensors {
		switch ts.Name {
		case dropped:
			continue
		case reshaped:
			ts.Shape = []int{1, 2}
		}
		kept = append(kept, ts)
	}
	if len(kept) != len(f.Tensors)-1 {
		t.Fatalf("no %s among %v", dropped, names)
	}
	kept = append(kept, safetensors.Tensor{Name: optimizerPrefix + "extra", Shape: []int{1}, Data: []float32{0}})
	f.Metadata[digestKey] = checkpointDigest(kept, f.Metadata)
	bad := filepath.Join(dir, "bad.safetensors")
	if err := safetensors.WriteFile(bad, kept, f.Metadata); err != nil {
		t.Fatal(err)
	}
	_, _, err = LoadCheckpoint(bad)
	want := "the optimizer state does not match the optimizer: " +
		`missing tensor "` + dropped + `" of shape [3 2]; ` +
		`tensor "` + reshaped + `" has shape [1 2], the optimizer expects [2]; ` +
		`unexpected tensor "optimizer/extra" (shape [1]) that is no state of the Adam optimizer`
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %v\nwant it to end with\n%s", err, want)
	}
}
