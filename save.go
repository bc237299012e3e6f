package goras

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goras-ml/goras/internal/safetensors"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/optimizers/schedules"
)

// Version is the goras version written into model files.
const Version = "0.1.0-dev"

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
//
// Weights-only files (SaveWeights) carry format and goras_version only.

// Save writes the model to path as one .safetensors file: its weights,
// non-trainable state included, and its architecture, compile settings and
// seed in the metadata, so that Load gives back a model that predicts the
// same, bit for bit. The write is atomic: a crash leaves the old file or the
// new one. An unbuilt model is built first. Optimizer state is not saved.
func (m *Model) Save(path string) error {
	if err := m.Build(); err != nil {
		return err
	}
	meta, err := m.modelMetadata()
	if err != nil {
		return err
	}
	return m.writeWeights(path, meta)
}

// SaveWeights writes only the model's weights to path (atomically), under
// their Param names; LoadWeights reads them into a model built the same way.
func (m *Model) SaveWeights(path string) error {
	if err := m.Build(); err != nil {
		return err
	}
	return m.writeWeights(path, map[string]string{"format": "goras", "goras_version": Version})
}

func (m *Model) writeWeights(path string, meta map[string]string) error {
	ts := make([]safetensors.Tensor, len(m.params))
	for i, p := range m.params {
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
func Load(path string) (*Model, error) {
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
	arch, ok := f.Metadata["architecture"]
	if !ok {
		return nil, fail("holds weights only, no architecture (written by SaveWeights?); build the model in code and use LoadWeights")
	}
	m, err := ModelFromJSON(arch)
	if err != nil {
		return nil, fail("%v", strings.TrimPrefix(err.Error(), "goras: "))
	}
	if s, ok := f.Metadata["seed"]; ok {
		if m.seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			return nil, fail("metadata seed %q is not an unsigned integer", s)
		}
	}
	if err := buildUntrusted(m); err != nil {
		return nil, fail("the architecture does not build: %v", err)
	}
	if err := m.setWeights(f); err != nil {
		return nil, fail("%v", err)
	}
	if c, ok := f.Metadata["compile"]; ok {
		opts, err := compileFromJSON(c)
		if err != nil {
			return nil, fail("compile settings: %v", err)
		}
		if err := m.Compile(opts); err != nil {
			return nil, fail("compile settings: %v", err)
		}
	}
	return m, nil
}

// buildUntrusted builds a model whose architecture came from a file. Layer
// sizes so large that allocating them panics (e.g. a Dense kernel of 2^60
// weights) become an error rather than a crash. Sizes that fit the address
// space but not the machine are not caught here: the file's tensors are
// compared with the weights only once they exist.
func buildUntrusted(m *Model) (err error) {
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
func (m *Model) LoadWeights(path string) error {
	if err := m.Build(); err != nil {
		return err
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return fmt.Errorf("goras: %w", err)
	}
	if err := m.setWeights(f); err != nil {
		return fmt.Errorf("goras: %s: %v", path, err)
	}
	return nil
}

// setWeights checks that f holds exactly the model's weights, then copies
// them; on any mismatch it reports every problem and changes nothing.
func (m *Model) setWeights(f *safetensors.File) error {
	byName := make(map[string]*safetensors.Tensor, len(f.Tensors))
	for i := range f.Tensors {
		byName[f.Tensors[i].Name] = &f.Tensors[i]
	}
	var problems []string
	want := map[string]bool{}
	for _, p := range m.params {
		want[p.Name] = true
		t := byName[p.Name]
		switch {
		case t == nil:
			problems = append(problems, fmt.Sprintf("missing tensor %q of shape %v", p.Name, p.Value.Shape()))
		case !sameShape(t.Shape, p.Value.Shape()):
			problems = append(problems, fmt.Sprintf("tensor %q has shape %v, the model expects %v", p.Name, t.Shape, p.Value.Shape()))
		}
	}
	for _, t := range f.Tensors {
		// A checkpoint is a model file plus the optimizer's state: loading it
		// as a model takes the weights and leaves that state aside.
		if !want[t.Name] && !strings.HasPrefix(t.Name, optimizerPrefix) {
			problems = append(problems, fmt.Sprintf("unexpected tensor %q (shape %v) that is no weight of the model", t.Name, t.Shape))
		}
	}
	if len(problems) > 0 {
		const show = 6
		more := ""
		if len(problems) > show {
			more = fmt.Sprintf("; and %d more", len(problems)-show)
			problems = problems[:show]
		}
		names := make([]string, len(m.params))
		for i, p := range m.params {
			names[i] = p.Name
		}
		return fmt.Errorf("the weights do not match the model: %s%s (the model's weights: %s)", strings.Join(problems, "; "), more, strings.Join(names, ", "))
	}
	for _, p := range m.params {
		copy(p.Value.Data(), byName[p.Name].Data)
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lossFromConfig gets the loss by name and sets its fields from the config
// keys (from_logits → FromLogits, ...). The rebuilt loss must report the same
// config, so that nothing is silently dropped.
func lossFromConfig(name string, config map[string]any) (losses.Loss, error) {
	l, err := losses.Get(name)
	if err != nil {
		return nil, err
	}
	v := reflect.New(reflect.TypeOf(l)).Elem()
	v.Set(reflect.ValueOf(l))
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("loss %s cannot be configured from a file", name)
	}
	if err := fillStruct(v, config, "loss "+name); err != nil {
		return nil, err
	}
	l = v.Interface().(losses.Loss)
	if err := sameConfig(l.Config(), config); err != nil {
		return nil, fmt.Errorf("loss %s: %v", name, err)
	}
	return l, nil
}

// optimizerMakers build an optimizer from its Config struct, by lower-case
// Keras name, as optimizers.Get knows them.
var optimizerMakers = map[string]func(config map[string]any) (optimizers.Optimizer, error){
	"sgd":     maker(optimizers.NewSGD),
	"adam":    maker(optimizers.NewAdam),
	"adamw":   maker(optimizers.NewAdamW),
	"rmsprop": maker(optimizers.NewRMSprop),
	"adagrad": maker(optimizers.NewAdagrad),
	"nadam":   maker(optimizers.NewNadam),
	"adamax":  maker(optimizers.NewAdamax),
}

func maker[C any, O optimizers.Optimizer](newFn func(C) (O, error)) func(map[string]any) (optimizers.Optimizer, error) {
	return func(config map[string]any) (optimizers.Optimizer, error) {
		var c C
		v := reflect.ValueOf(&c).Elem()
		if lr, ok := config["learning_rate"].(map[string]any); ok {
			s, err := scheduleFromConfig(lr)
			if err != nil {
				return nil, err
			}
			v.FieldByName("Schedule").Set(reflect.ValueOf(s))
			config = without(config, "learning_rate")
		}
		if err := fillStruct(v, config, "optimizer"); err != nil {
			return nil, err
		}
		return newFn(c)
	}
}

// optimizerFromConfig rebuilds an optimizer from Keras's name and config:
// every key with a field of the optimizer's Config struct is set (learning
// rate, betas, momentum, clipping, weight decay, schedule). Keys that equal
// the defaults need no field; any other difference is an error, found by
// comparing the rebuilt optimizer's Config with the one in the file.
func optimizerFromConfig(name string, config map[string]any) (optimizers.Optimizer, error) {
	if _, err := optimizers.Get(name); err != nil {
		return nil, err
	}
	o, err := optimizerMakers[strings.ToLower(name)](config)
	if err != nil {
		return nil, err
	}
	if err := sameConfig(o.Config(), config); err != nil {
		return nil, fmt.Errorf("optimizer %s: %v", name, err)
	}
	return o, nil
}

func scheduleFromConfig(m map[string]any) (schedules.Schedule, error) {
	class, _ := m["class_name"].(string)
	cfg, _ := m["config"].(map[string]any)
	cfg = without(cfg, "name")
	var (
		s   schedules.Schedule
		err error
	)
	switch class {
	case "ExponentialDecay":
		var c schedules.ExponentialDecayConfig
		if err = fillStruct(reflect.ValueOf(&c).Elem(), cfg, class); err == nil {
			s, err = schedules.NewExponentialDecay(c)
		}
	case "PiecewiseConstantDecay":
		var c schedules.PiecewiseConstantDecayConfig
		if err = fillStruct(reflect.ValueOf(&c).Elem(), cfg, class); err == nil {
			s, err = schedules.NewPiecewiseConstantDecay(c)
		}
	case "CosineDecay":
		var c schedules.CosineDecayConfig
		if err = fillStruct(reflect.ValueOf(&c).Elem(), cfg, class); err == nil {
			s, err = schedules.NewCosineDecay(c)
		}
	default:
		return nil, fmt.Errorf("unknown learning-rate schedule %q (known: ExponentialDecay, PiecewiseConstantDecay, CosineDecay)", class)
	}
	return s, err
}

// fillStruct sets the exported fields of the struct v from config keys that
// name them, ignoring case and underscores (beta_1 → Beta1). Keys without a
// field are left for sameConfig to judge; null leaves a field at zero, which
// means the default in goras's Config structs.
func fillStruct(v reflect.Value, config map[string]any, what string) error {
	fields := map[string]int{}
	for i := range v.NumField() {
		if v.Type().Field(i).IsExported() {
			fields[strings.ToLower(v.Type().Field(i).Name)] = i
		}
	}
	for k, x := range config {
		i, ok := fields[strings.ReplaceAll(strings.ToLower(k), "_", "")]
		if !ok || x == nil {
			continue
		}
		if err := setField(v.Field(i), x); err != nil {
			return fmt.Errorf("%s: %q %v", what, k, err)
		}
	}
	return nil
}

func setField(f reflect.Value, x any) error {
	switch f.Kind() {
	case reflect.Bool:
		b, ok := x.(bool)
		if !ok {
			return fmt.Errorf("must be true or false, got %v", x)
		}
		f.SetBool(b)
		return nil
	case reflect.Float64:
		n, ok := x.(json.Number)
		if !ok {
			return fmt.Errorf("must be a number, got %v", x)
		}
		v, err := n.Float64()
		if err != nil {
			return fmt.Errorf("must be a number, got %v", x)
		}
		f.SetFloat(v)
		return nil
	case reflect.Int64, reflect.Int:
		n, ok := x.(json.Number)
		if !ok {
			return fmt.Errorf("must be an integer, got %v", x)
		}
		v, err := n.Int64()
		if err != nil {
			return fmt.Errorf("must be an integer, got %v", x)
		}
		f.SetInt(v)
		return nil
	case reflect.Slice:
		list, ok := x.([]any)
		if !ok {
			return fmt.Errorf("must be a list, got %v", x)
		}
		s := reflect.MakeSlice(f.Type(), len(list), len(list))
		for i, e := range list {
			if err := setField(s.Index(i), e); err != nil {
				return err
			}
		}
		f.Set(s)
		return nil
	}
	return fmt.Errorf("cannot be set from a file (field of kind %s)", f.Kind())
}

// sameConfig compares a rebuilt object's config with the one read, as JSON
// values, and names the keys that differ. Keys absent from the file (written
// by an older goras) take their defaults.
func sameConfig(got map[string]any, want map[string]any) error {
	norm := func(m map[string]any) map[string]any {
		b, _ := json.Marshal(m)
		var out map[string]any
		json.NewDecoder(bytes.NewReader(b)).Decode(&out)
		return out
	}
	g, w := norm(got), norm(want)
	var diff []string
	for k := range w {
		if !reflect.DeepEqual(g[k], w[k]) {
			diff = append(diff, fmt.Sprintf("%s: file %v, rebuilt %v", k, jsonText(w[k]), jsonText(g[k])))
		}
	}
	if len(diff) == 0 {
		return nil
	}
	sort.Strings(diff)
	return fmt.Errorf("cannot be restored exactly (%s)", strings.Join(diff, "; "))
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func without(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}
