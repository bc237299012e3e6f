package goras

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/goras-ml/goras/autograd"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/mixedprecision"
)

// The architecture of a model is Keras 3's get_config of it, the one
// description that model files, checkpoints, the CLI and ONNX export read:
//
//	{"class_name": "Sequential", "config": {"name": "sequential",
//	  "layers": [{"class_name": "InputLayer", "config": {...}}, {"class_name": "Dense", ...}]}}
//
// for a stack of layers, and for any other graph Keras's Functional form,
// where each layer lists the calls made of it ("inbound_nodes"), each call
// its arguments as [layer name, call index, tensor index] references:
//
//	{"class_name": "Functional", "config": {"name": "functional",
//	  "layers": [{"class_name": "InputLayer", "name": "input_layer", "config": {...}, "inbound_nodes": []},
//	             {"class_name": "Add", "name": "add", "config": {...}, "inbound_nodes": [
//	               {"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["conv2d", 0, 0]}}, ...]], "kwargs": {}}]}],
//	  "input_layers": [["input_layer", 0, 0]], "output_layers": [["dense", 0, 0]]}}

// ClassName is Keras's class of the model: "Sequential" or "Functional".
func (m *Model) ClassName() string {
	if m.sequential {
		return "Sequential"
	}
	return "Functional"
}

// Config is Keras's get_config of the model (its class is ClassName). It
// builds the model if needed.
func (m *Model) Config() (map[string]any, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	if m.sequential {
		ls := []any{m.layerEntry(m.inputs[0].layer)}
		for _, l := range m.layers {
			ls = append(ls, m.layerEntry(l))
		}
		return map[string]any{"name": m.name, "layers": ls}, nil
	}
	calls := map[*KerasTensor]int{} // call index of the tensor among its layer's calls
	count := map[layers.Layer]int{}
	nodes := map[layers.Layer][]any{}
	for _, t := range m.nodes {
		calls[t] = count[t.layer]
		count[t.layer]++
		args := make([]any, len(t.inputs))
		for i, in := range t.inputs {
			args[i] = map[string]any{"class_name": "__keras_tensor__", "config": map[string]any{
				"shape": append([]any{nil}, intsAny(in.shape)...), "dtype": "float32",
				"keras_history": []any{in.layer.Name(), calls[in], 0}}}
		}
		var arg any = args[0]
		if _, multi := t.layer.(layers.MultiInput); multi {
			arg = args // a merge layer is called on a list of tensors
		}
		nodes[t.layer] = append(nodes[t.layer], map[string]any{"args": []any{arg}, "kwargs": map[string]any{}})
	}
	var ls, ins, outs []any
	for _, in := range m.inputs {
		e := m.layerEntry(in.layer)
		e["inbound_nodes"] = []any{}
		ls = append(ls, e)
		ins = append(ins, []any{in.layer.Name(), 0, 0})
	}
	for _, l := range m.layers {
		e := m.layerEntry(l)
		e["inbound_nodes"] = nodes[l]
		ls = append(ls, e)
	}
	for _, o := range m.outputs {
		outs = append(outs, []any{o.layer.Name(), calls[o], 0})
	}
	return map[string]any{"name": m.name, "trainable": true, "layers": ls, "input_layers": ins, "output_layers": outs}, nil
}

// layerEntry is one layer of the config. A frozen layer says so with
// Keras's "trainable": false in its config, and a layer whose weights
// compute in mixed_bfloat16 (its own policy, or the global one) with
// Keras's "dtype" policy (writeDType).
func (m *Model) layerEntry(l layers.Layer) map[string]any {
	config := l.Config()
	if m.frozen[l] {
		config["trainable"] = false
	}
	writeDType(config, l, m.mixedPolicies())
	return map[string]any{"module": "keras.layers", "class_name": l.ClassName(), "config": config, "name": l.Name(), "registered_name": nil}
}

// mixedPolicies reports whether m's config gives the float32 layers'
// policy too: when some of its weights compute in mixed_bfloat16, or the
// global policy is mixed_bfloat16, a float32 layer (Keras's advice for the
// last one) written without "dtype" would be read in the global policy of
// the process reading it.
func (m *Model) mixedPolicies() bool {
	return mixedprecision.GlobalPolicy().Name() != "float32" || slices.ContainsFunc(m.params, (*autograd.Param).BF16Products) ||
		slices.ContainsFunc(m.params, func(p *autograd.Param) bool { _, on := p.OwnBF16Products(); return on })
}

// writeDType gives config, l's, Keras's "dtype" policy when l has weights
// and was given mixed_bfloat16 (mixedprecision.DeclaredPolicyOf: as asked,
// even where this CPU computes it in float32), or float32 and explicit is
// set. A
// Pipeline gives its layers' in their configs instead, as Keras's does,
// so that they may differ.
func writeDType(config map[string]any, l layers.Layer, explicit bool) {
	if len(l.Params()) == 0 {
		return
	}
	if pl, ok := l.(*layers.PipelineLayer); ok {
		list, _ := config["layers"].([]any)
		for i, s := range pl.Layers() {
			if i < len(list) {
				e, _ := list[i].(map[string]any)
				if c, ok := e["config"].(map[string]any); ok {
					writeDType(c, s, explicit)
				}
			}
		}
		return
	}
	if p := mixedprecision.DeclaredPolicyOf(l).Name(); p != "float32" || explicit {
		config["dtype"] = layers.DTypePolicyConfig(p)
	}
}

func intsAny(s []int) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// ToJSON is Keras's to_json: {"class_name": ..., "config": ...} as JSON
// text. ModelFromJSON reads it back.
func (m *Model) ToJSON() (string, error) {
	c, err := m.Config()
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(map[string]any{"class_name": m.ClassName(), "config": c})
	if err != nil {
		return "", fmt.Errorf("goras: the architecture cannot be written as JSON: %w", err)
	}
	return string(b), nil
}
