package saving_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/saving"
)

// Class names go into the file's __metadata__ as a JSON list and come
// back with Load; a file without them loads without names.
func TestSaveKeepsClassNames(t *testing.T) {
	dir := t.TempDir()
	m := mlp()
	names := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", `Ankle "boot"`}
	if err := m.SetClassNames(names); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "named.safetensors")
	if err := saving.Save(m, path); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inFile []string
	if err := json.Unmarshal([]byte(f.Metadata["class_names"]), &inFile); err != nil || !slices.Equal(inFile, names) {
		t.Fatalf("__metadata__ class_names = %s (%v), want the JSON list of %q", f.Metadata["class_names"], err, names)
	}
	back, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.ClassNames(); !slices.Equal(got, names) {
		t.Errorf("loaded class names %q, want %q", got, names)
	}

	plain := filepath.Join(dir, "plain.safetensors")
	if err := saving.Save(mlp(), plain); err != nil {
		t.Fatal(err)
	}
	if f, err := safetensors.ReadFile(plain); err != nil || f.Metadata["class_names"] != "" {
		t.Errorf("a model without names wrote class_names %q (%v)", f.Metadata["class_names"], err)
	}
	if back, err := saving.Load(plain); err != nil || back.ClassNames() != nil {
		t.Errorf("a file without class_names loads with names %q (%v), want nil", back.ClassNames(), err)
	}
}

// A checkpoint keeps the names too, whether loaded as a model or resumed.
func TestCheckpointKeepsClassNames(t *testing.T) {
	x, y := ckptData(30)
	m := ckptModel(1)
	ckptCompile(t, m)
	names := []string{"row", "column", "diagonal"}
	if err := m.SetClassNames(names); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(context.Background(), x, y, goras.Epochs(1), goras.Verbose(0))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ckpt-0001.safetensors")
	if err := saving.SaveCheckpoint(m, path, 0, h); err != nil {
		t.Fatal(err)
	}
	back, _, err := saving.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.ClassNames(); !slices.Equal(got, names) {
		t.Errorf("LoadCheckpoint: class names %q, want %q", got, names)
	}
	asModel, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := asModel.ClassNames(); !slices.Equal(got, names) {
		t.Errorf("Load of a checkpoint: class names %q, want %q", got, names)
	}
}

// Names that do not fit the model, or are not a list of strings, are
// refused with the file named.
func TestLoadRefusesBadClassNames(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := saving.Save(mlp(), good); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, value, want string }{
		{"too few", `["cat", "dog", "bird"]`, `its class_names metadata does not fit the model: 3 class names ("cat", "dog", "bird") for a model whose output has 10 units (shape (None, 10))`},
		{"not json", `cat, dog`, "its class_names metadata is not a JSON list of strings"},
		{"numbers", `[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]`, "its class_names metadata is not a JSON list of strings"},
		{"empty", `[]`, "its class_names metadata is an empty list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			meta := map[string]string{}
			for k, v := range f.Metadata {
				meta[k] = v
			}
			meta["class_names"] = c.value
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".safetensors")
			if err := safetensors.WriteFile(path, f.Tensors, meta); err != nil {
				t.Fatal(err)
			}
			_, err := saving.Load(path)
			if err == nil || !strings.Contains(err.Error(), "goras: "+path+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load: %v\nwant the file named and %q", err, c.want)
			}
		})
	}
}
