package goras

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/goras-ml/goras/layers"
)

// ModelFromJSON is Keras's model_from_json: it makes the model described by
// ToJSON's text (or Keras's own, for the layers goras has), unbuilt, with
// new weights once built.
func ModelFromJSON(s string) (*Model, error) {
	var a struct {
		ClassName string         `json:"class_name"`
		Config    map[string]any `json:"config"`
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber() // integers such as units stay exact
	if err := d.Decode(&a); err != nil {
		return nil, fmt.Errorf("goras: the architecture is not valid JSON: %v", err)
	}
	return FromConfig(a.ClassName, a.Config)
}

// FromConfig makes a model from Keras's class name ("Sequential" or
// "Functional"; "Model" is taken as Functional) and get_config.
func FromConfig(className string, config map[string]any) (*Model, error) {
	ls, _ := config["layers"].([]any)
	if len(ls) == 0 {
		return nil, fmt.Errorf("goras: the %s architecture has no layers", className)
	}
	name, _ := config["name"].(string)
	var m *Model
	var err error
	switch className {
	case "Sequential":
		m, err = sequentialFromConfig(ls)
	case "Functional", "Model":
		m, err = functionalFromConfig(ls, config)
	default:
		return nil, fmt.Errorf("goras: the architecture is a %q; goras reads Sequential and Functional models", className)
	}
	if err != nil {
		return nil, err
	}
	if name != "" {
		m.name = name
	}
	byName := map[string]layers.Layer{}
	for _, l := range m.Layers() {
		byName[l.Name()] = l
	}
	// The layer of entry i: a Sequential's by its place (its layers may
	// have no names yet), a Functional's by name.
	layerOf := func(i int, entry, config map[string]any) layers.Layer {
		if m.sequential {
			return m.stack[i]
		}
		name, _ := entry["name"].(string)
		if name == "" {
			name, _ = config["name"].(string)
		}
		return byName[name]
	}
	if frozen := frozenIn(ls, layerOf); len(frozen) > 0 {
		m.frozen = frozen
	}
	m.policies = policiesIn(ls, layerOf)
	return m, nil
}

// policiesIn lists the layers whose config gives a policy in "dtype"
// (Keras gives every layer's): Build gives it to their weights, so that
// the model computes in it whatever the global policy, as the layers of a
// Keras model keep the policy they were made with.
func policiesIn(entries []any, layerOf func(i int, entry, config map[string]any) layers.Layer) map[layers.Layer]string {
	policies := map[layers.Layer]string{}
	for i, e := range entries {
		entry, _ := e.(map[string]any)
		config, _ := entry["config"].(map[string]any)
		addPolicy(policies, layerOf(i, entry, config), config, "")
	}
	if len(policies) == 0 {
		return nil
	}
	return policies
}

// addPolicy records l's policy: its config's "dtype" (checked when the
// layer was read), else inherited, a Pipeline's for its layers. A
// Pipeline's layers get theirs from their own configs, in order.
func addPolicy(policies map[layers.Layer]string, l layers.Layer, config map[string]any, inherited string) {
	if l == nil {
		return
	}
	p := inherited
	if config["dtype"] != nil { // null is Keras's "the global policy"
		p, _ = layers.DTypePolicy(config)
	}
	if pl, ok := l.(*layers.PipelineLayer); ok {
		list, _ := config["layers"].([]any)
		for i, s := range pl.Layers() {
			var c map[string]any
			if i < len(list) {
				e, _ := list[i].(map[string]any)
				c, _ = e["config"].(map[string]any)
			}
			addPolicy(policies, s, c, p)
		}
		return
	}
	if p != "" {
		policies[l] = p
	}
}

func sequentialFromConfig(entries []any) (*Model, error) {
	m := NewSequential()
	for i, e := range entries {
		l, _, err := layerFromEntry(i, e)
		if err != nil {
			return nil, err
		}
		m.Add(l)
	}
	return m, nil
}

// layerFromEntry makes the layer of one entry of the layers list.
func layerFromEntry(i int, e any) (layers.Layer, map[string]any, error) {
	entry, ok := e.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("goras: architecture layer %d is not an object", i)
	}
	class, _ := entry["class_name"].(string)
	config, _ := entry["config"].(map[string]any)
	if tr, ok := config["trainable"].(bool); ok && !tr {
		// A frozen layer: the model keeps the flag (frozenIn), the layer
		// is made as any other.
		config = maps.Clone(config)
		delete(config, "trainable")
	}
	l, err := layers.FromConfig(class, config)
	if err != nil {
		return nil, nil, fmt.Errorf("goras: architecture layer %d: %v", i, err)
	}
	if name, _ := entry["name"].(string); name != "" && l.Name() == "" {
		l.SetName(name)
	}
	return l, entry, nil
}

// frozenIn lists the layers whose config says "trainable": false.
func frozenIn(entries []any, layerOf func(i int, entry, config map[string]any) layers.Layer) map[layers.Layer]bool {
	frozen := map[layers.Layer]bool{}
	for i, e := range entries {
		entry, _ := e.(map[string]any)
		config, _ := entry["config"].(map[string]any)
		if tr, ok := config["trainable"].(bool); ok && !tr {
			if l := layerOf(i, entry, config); l != nil {
				frozen[l] = true
			}
		}
	}
	return frozen
}

// functionalFromConfig replays the calls of a Functional config: layers in
// order, each call on tensors named [layer, call index, tensor index].
func functionalFromConfig(entries []any, config map[string]any) (*Model, error) {
	made := map[string][]*KerasTensor{} // a layer's output of each call
	for i, e := range entries {
		l, entry, err := layerFromEntry(i, e)
		if err != nil {
			return nil, err
		}
		if l.Name() == "" {
			return nil, fmt.Errorf("goras: architecture layer %d (%s) has no name; a Functional config names every layer", i, l.ClassName())
		}
		if _, dup := made[l.Name()]; dup {
			return nil, fmt.Errorf("goras: architecture layer %d: two layers are named %q", i, l.Name())
		}
		if in, ok := l.(*layers.InputLayer); ok {
			made[l.Name()] = []*KerasTensor{inputNode(in)}
			continue
		}
		made[l.Name()] = nil
		nodes, _ := entry["inbound_nodes"].([]any)
		for j, n := range nodes {
			args, err := nodeArgs(n, made)
			if err != nil {
				return nil, fmt.Errorf("goras: architecture layer %q call %d: %v", l.Name(), j, err)
			}
			made[l.Name()] = append(made[l.Name()], Call(l, args...))
		}
	}
	ins, err := tensorRefs(config["input_layers"], made)
	if err != nil {
		return nil, fmt.Errorf("goras: architecture input_layers: %v", err)
	}
	outs, err := tensorRefs(config["output_layers"], made)
	if err != nil {
		return nil, fmt.Errorf("goras: architecture output_layers: %v", err)
	}
	m := &Model{name: "functional"}
	if err := m.setGraph(ins, outs); err != nil {
		return nil, err
	}
	return m, nil
}

// nodeArgs reads the tensors of one call: {"args": [tensor or [tensors]]}.
func nodeArgs(n any, made map[string][]*KerasTensor) ([]*KerasTensor, error) {
	node, _ := n.(map[string]any)
	args, _ := node["args"].([]any)
	if len(args) != 1 {
		return nil, fmt.Errorf("a call needs exactly one argument (a tensor or a list of them), got %d", len(args))
	}
	list, ok := args[0].([]any)
	if !ok {
		list = []any{args[0]}
	}
	var ts []*KerasTensor
	for _, a := range list {
		kt, _ := a.(map[string]any)
		cfg, _ := kt["config"].(map[string]any)
		t, err := tensorRef(cfg["keras_history"], made)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// tensorRefs reads [[name, call, tensor], ...] or a single [name, call, tensor].
func tensorRefs(v any, made map[string][]*KerasTensor) ([]*KerasTensor, error) {
	list, _ := v.([]any)
	if len(list) > 0 {
		if _, single := list[0].(string); single {
			list = []any{list}
		}
	}
	var ts []*KerasTensor
	for _, r := range list {
		t, err := tensorRef(r, made)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// tensorRef finds the tensor [layer name, call index, tensor index].
func tensorRef(v any, made map[string][]*KerasTensor) (*KerasTensor, error) {
	ref, _ := v.([]any)
	if len(ref) != 3 {
		return nil, fmt.Errorf("a tensor reference must be [layer name, call index, tensor index], got %v", v)
	}
	name, _ := ref[0].(string)
	call, ok1 := refIndex(ref[1])
	tensor, ok2 := refIndex(ref[2])
	calls, known := made[name]
	switch {
	case !known:
		return nil, fmt.Errorf("the tensor refers to layer %q, which does not come before it", name)
	case !ok1 || !ok2 || call < 0 || call >= len(calls):
		return nil, fmt.Errorf("layer %q has %d calls; reference %v does not name one", name, len(calls), v)
	case tensor != 0:
		return nil, fmt.Errorf("layer %q has one output; reference %v names output %d", name, v, tensor)
	}
	return calls[call], nil
}

func refIndex(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil && i >= 0 && i < 1<<20
	case float64:
		return int(n), n == float64(int(n)) && n >= 0 && n < 1<<20
	case int:
		return n, n >= 0
	}
	return 0, false
}
