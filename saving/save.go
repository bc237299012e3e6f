package saving

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// Model files are safetensors files (see internal/safetensors): every weight
// as a float32 tensor under its Param name ("dense/kernel", "dense_1/bias"),
// and in __metadata__:
//
//	format         "goras"
//	goras_version  Version of the writer
//	architecture   {"class_name": "Sequential", "config": {"name": ...,
//	               "layers": [{"class_name": "InputLayer", "config": {...}}, ...]}}
//	compile        {"loss": {"class_name", "config"}, "optimizer": {...},
//	               "metrics": [...]}, when the model was compiled
//	seed           the model's seed, in decimal
//	class_names    ["T-shirt/top", "Trouser", ...], a JSON list naming each
//	               output unit, when the model has names (SetClassNames)
//
// Weights-only files (SaveWeights) carry format and goras_version only.

// Save writes the model to path as one .safetensors file: its weights,
// non-trainable state included, and its architecture, compile settings and
// seed in the metadata, so that Load gives back a model that predicts the
// same, bit for bit. The write is atomic: a crash leaves the old file or the
// new one. An unbuilt model is built first. Optimizer state is not saved.
func Save(m *goras.Model, path string) error {
	if err := m.Build(); err != nil {
		return err
	}
	meta, err := modelMetadata(m)
	if err != nil {
		return err
	}
	return writeWeights(m, path, meta)
}

// SaveWeights writes only the model's weights to path (atomically), under
// their Param names; LoadWeights reads them into a model built the same way.
func SaveWeights(m *goras.Model, path string) error {
	if err := m.Build(); err != nil {
		return err
	}
	return writeWeights(m, path, map[string]string{"format": "goras", "goras_version": goras.Version})
}

func writeWeights(m *goras.Model, path string, meta map[string]string) error {
	ts := make([]safetensors.Tensor, len(m.Params()))
	for i, p := range m.Params() {
		ts[i] = safetensors.Tensor{Name: p.Name, Shape: p.Value.Shape(), Data: p.Value.Data()}
	}
	if err := safetensors.WriteFile(path, ts, meta); err != nil {
		return fmt.Errorf("goras: %w", err)
	}
	return nil
}

// Load reads a model written by Save: it rebuilds the layers from the
// architecture, checks that the file holds exactly the model's weights with
// the right shapes, copies them in and, if the model was compiled, compiles
// it again with the same loss, optimizer settings and metrics (the
// optimizer starts afresh: its state is not in the file). Errors name the
// file and what is wrong.
func Load(path string) (*goras.Model, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("goras: %w", err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("goras: %s: %s", path, fmt.Sprintf(format, args...))
	}
	if f.Metadata["format"] != "goras" {
		return nil, fail("not a goras model file (no \"format\": \"goras\" in its __metadata__); to read its weights into a model built in code, use LoadWeights")
	}
	if _, ok := f.Metadata["architecture"]; !ok {
		return nil, fail("holds weights only, no architecture (written by SaveWeights?); build the model in code and use LoadWeights")
	}
	m, err := modelFromFile(f)
	if err != nil {
		return nil, fail("%v", err)
	}
	return m, nil
}

// buildUntrusted builds a model whose architecture came from a file. Layer
// sizes so large that allocating them panics (e.g. a Dense kernel of 2^60
// weights) become an error rather than a crash. Sizes that fit the address
// space but not the machine are not caught here: the file's tensors are
// compared with the weights only once they exist.
func buildUntrusted(m *goras.Model) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return m.Build()
}

// LoadWeights reads weights from a safetensors file into the model, which is
// built first if needed. The file must hold exactly the model's weights (by
// Param name, e.g. "dense/kernel") with the same shapes; F32, F64, F16 and
// BF16 tensors are accepted, so weights exported from another framework load
// once renamed. Nothing is changed when an error is returned.
func LoadWeights(m *goras.Model, path string) error {
	if err := m.Build(); err != nil {
		return err
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("goras: %w", err)
	}
	if err := setWeights(m, f); err != nil {
		return fmt.Errorf("goras: %s: %v", path, err)
	}
	return nil
}

// setWeights checks that f holds exactly the model's weights, then copies
// them; on any mismatch it reports every problem and changes nothing.
func setWeights(m *goras.Model, f *safetensors.File) error {
	ws := make([]layers.ParamShape, len(m.Params()))
	for i, p := range m.Params() {
		ws[i] = layers.ParamShape{Name: p.Name, Shape: p.Value.Shape()}
	}
	byName, err := matchWeights(ws, f)
	if err != nil {
		return err
	}
	for _, p := range m.Params() {
		copy(p.Value.Data(), byName[p.Name].Data)
	}
	return nil
}

// matchWeights checks that f holds exactly the weights ws (by name, with
// their shapes), besides a checkpoint's optimizer state, and returns f's
// tensors by name; an error lists every problem.
func matchWeights(ws []layers.ParamShape, f *safetensors.File) (map[string]*safetensors.Tensor, error) {
	byName := make(map[string]*safetensors.Tensor, len(f.Tensors))
	for i := range f.Tensors {
		byName[f.Tensors[i].Name] = &f.Tensors[i]
	}
	problems := shapeProblems(ws, byName, "", "the model")
	want := map[string]bool{}
	for _, w := range ws {
		want[w.Name] = true
	}
	for _, t := range f.Tensors {
		// A checkpoint is a model file plus the optimizer's state: loading it
		// as a model takes the weights and leaves that state aside.
		if !want[t.Name] && !strings.HasPrefix(t.Name, optimizerPrefix) {
			problems = append(problems, fmt.Sprintf("unexpected tensor %q (shape %v) that is no weight of the model", t.Name, t.Shape))
		}
	}
	if len(problems) == 0 {
		return byName, nil
	}
	const show = 6
	more := ""
	if len(problems) > show {
		more = fmt.Sprintf("; and %d more", len(problems)-show)
		problems = problems[:show]
	}
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.Name
	}
	return nil, fmt.Errorf("the weights do not match the model: %s%s (the model's weights: %s)", strings.Join(problems, "; "), more, strings.Join(names, ", "))
}

// shapeProblems compares the tensors a file holds (have, by name) with the
// ones expected (want): each one missing and each of another shape is a
// problem, naming the tensor as the file does (prefix+name) and who
// expects it ("the model"). Tensors nobody expects are the caller's to
// judge: a model file may hold an optimizer's state beside the weights.
func shapeProblems(want []layers.ParamShape, have map[string]*safetensors.Tensor, prefix, who string) []string {
	var problems []string
	for _, w := range want {
		t := have[w.Name]
		switch {
		case t == nil:
			problems = append(problems, fmt.Sprintf("missing tensor %q of shape %v", prefix+w.Name, w.Shape))
		case !tensor.SameShape(t.Shape, w.Shape):
			problems = append(problems, fmt.Sprintf("tensor %q has shape %v, %s expects %v", prefix+w.Name, t.Shape, who, w.Shape))
		}
	}
	return problems
}

// modelMetadata is the metadata Save (and SaveCheckpoint) writes for a
// built model: format, version, seed, architecture and, when the model is
// compiled, its compile settings.
func modelMetadata(m *goras.Model) (map[string]string, error) {
	meta := map[string]string{"format": "goras", "goras_version": goras.Version, "seed": strconv.FormatUint(m.Seed(), 10)}
	arch, err := m.ToJSON()
	if err != nil {
		return nil, err
	}
	meta["architecture"] = arch
	if names := m.ClassNames(); names != nil {
		b, err := json.Marshal(names)
		if err != nil {
			return nil, fmt.Errorf("goras: the class names cannot be written as JSON: %w", err)
		}
		meta[classNamesKey] = string(b)
	}
	if m.Optimizer() == nil {
		return meta, nil
	}
	b, err := json.Marshal(m.CompileConfig())
	if err != nil {
		return nil, fmt.Errorf("goras: the compile settings cannot be written as JSON: %w", err)
	}
	meta["compile"] = string(b)
	return meta, nil
}

// modelFromFile rebuilds, fills and compiles a model from a file's
// architecture, seed, weights and compile settings: Load's steps on a file
// already read.
func modelFromFile(f *safetensors.File) (*goras.Model, error) {
	arch, ok := f.Metadata["architecture"]
	if !ok {
		return nil, errors.New("has no architecture")
	}
	m, err := goras.ModelFromJSON(arch)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "goras: "))
	}
	if s, ok := f.Metadata["seed"]; ok {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("metadata seed %q is not an unsigned integer", s)
		}
		m.SetSeed(seed)
	}
	// The weights the architecture declares are compared with the file's
	// before any is made: a small file declaring huge layers is refused
	// here instead of exhausting memory.
	ws, err := m.WeightShapes()
	if err != nil {
		return nil, fmt.Errorf("the architecture does not build: %v", strings.TrimPrefix(err.Error(), "goras: "))
	}
	if _, err := matchWeights(ws, f); err != nil {
		return nil, err
	}
	if err := buildUntrusted(m); err != nil {
		return nil, fmt.Errorf("the architecture does not build: %v", err)
	}
	if err := setWeights(m, f); err != nil {
		return nil, err
	}
	if err := setClassNames(m, f); err != nil {
		return nil, err
	}
	if c, ok := f.Metadata["compile"]; ok {
		opts, err := goras.CompileOptionsFromJSON(c)
		if err != nil {
			return nil, fmt.Errorf("compile settings: %v", err)
		}
		if err := m.Compile(opts); err != nil {
			return nil, fmt.Errorf("compile settings: %v", err)
		}
	}
	return m, nil
}

// classNamesKey is the __metadata__ key of the model's class names.
const classNamesKey = "class_names"

// setClassNames gives m the class names f's metadata holds, if any, after
// checking that they are a JSON list of strings, one per output unit: a
// file whose names and output disagree would label every prediction
// wrongly.
func setClassNames(m *goras.Model, f *safetensors.File) error {
	raw, ok := f.Metadata[classNamesKey]
	if !ok {
		return nil
	}
	var names []string
	if err := json.Unmarshal([]byte(raw), &names); err != nil {
		return fmt.Errorf("its class_names metadata is not a JSON list of strings (%v); remove the key or write it as [\"cat\", \"dog\", ...]", err)
	}
	if len(names) == 0 {
		return errors.New("its class_names metadata is an empty list; remove the key, or name every output unit")
	}
	if err := m.SetClassNames(names); err != nil {
		return fmt.Errorf("its class_names metadata does not fit the model: %v", strings.TrimPrefix(err.Error(), "goras: "))
	}
	return nil
}
