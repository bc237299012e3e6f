package goras

import (
	"fmt"
	"strings"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

// GetLayer returns the layer called name, as Keras's get_layer; the model
// is built first, so that every layer has its name.
func (m *Model) GetLayer(name string) (layers.Layer, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	for _, l := range append(inputLayers(m.inputs), m.layers...) {
		if l.Name() == name {
			return l, nil
		}
	}
	names := make([]string, len(m.layers))
	for i, l := range m.layers {
		names[i] = l.Name()
	}
	return nil, fmt.Errorf("goras: no layer %q in model %q; its layers: %s", name, m.name, strings.Join(names, ", "))
}

// GetWeights returns a copy of every weight, in Params' order, as Keras's
// get_weights.
func (m *Model) GetWeights() ([]*tensor.Tensor, error) {
	if err := m.Build(); err != nil {
		return nil, err
	}
	out := make([]*tensor.Tensor, len(m.params))
	for i, p := range m.params {
		out[i] = p.Value.Clone()
	}
	return out, nil
}

// SetWeights copies ws into the weights, as Keras's set_weights: one
// tensor per weight, in Params' order, of the weight's shape. Nothing is
// changed when any is wrong.
func (m *Model) SetWeights(ws []*tensor.Tensor) error {
	if err := m.Build(); err != nil {
		return err
	}
	if len(ws) != len(m.params) {
		return fmt.Errorf("goras: SetWeights got %d tensors for the model's %d weights", len(ws), len(m.params))
	}
	for i, p := range m.params {
		if ws[i] == nil || !tensor.SameShape(ws[i].Shape(), p.Value.Shape()) {
			got := "nil"
			if ws[i] != nil {
				got = tensor.ShapeString(ws[i].Shape(), false)
			}
			return fmt.Errorf("goras: SetWeights: tensor %d is %s, but weight %q has shape %s", i, got, p.Name, tensor.ShapeString(p.Value.Shape(), false))
		}
	}
	for i, p := range m.params {
		p.Value.CopyFrom(ws[i])
	}
	return nil
}

// SetTrainable freezes (false) or unfreezes (true) the layer called name,
// as setting Keras's layer.trainable: a frozen layer's weights are left
// alone by the optimizer, so that the rest of the model can be fine-tuned;
// its regularizers add nothing to the loss, and a frozen
// BatchNormalization, or one in a frozen Pipeline, runs in inference mode
// in training too (its moving statistics normalize and stay as they are),
// as in Keras.
// As in Keras, compile the model again for the change to take effect in
// training; Summary counts a frozen layer's weights as non-trainable, and
// model files keep the flag.
func (m *Model) SetTrainable(name string, trainable bool) error {
	l, err := m.GetLayer(name)
	if err != nil {
		return err
	}
	if m.frozen == nil {
		m.frozen = map[layers.Layer]bool{}
	}
	if trainable {
		delete(m.frozen, l)
	} else {
		m.frozen[l] = true
	}
	return nil
}

// Trainable says whether the layer called name is trained (not frozen).
func (m *Model) Trainable(name string) bool {
	l, err := m.GetLayer(name)
	return err == nil && !m.frozen[l]
}
