package goras

import (
	"fmt"

	"github.com/goras-ml/goras/layers"
)

// RandomState is the state of every random generator training draws from:
// the shuffling of samples, and each layer that draws random numbers
// (Dropout, the augmentation layers) by name. A checkpoint keeps it so
// that resumed training continues bit for bit.
type RandomState struct {
	Shuffle []byte            `json:"shuffle"`
	Layers  map[string][]byte `json:"layers"` // by layer name
}

// RandomState returns the generators' state; the model is built first.
func (m *Model) RandomState() (RandomState, error) {
	if err := m.Build(); err != nil {
		return RandomState{}, err
	}
	s := RandomState{Layers: map[string][]byte{}}
	var err error
	if s.Shuffle, err = m.shuffle.MarshalBinary(); err != nil {
		return RandomState{}, fmt.Errorf("goras: shuffle generator: %w", err)
	}
	for _, l := range statefulLayers(m.Layers()) {
		if _, dup := s.Layers[l.Name()]; dup {
			return RandomState{}, fmt.Errorf("goras: two layers are called %q; their random states would be confused, so give them distinct names", l.Name())
		}
		if s.Layers[l.Name()], err = l.RandomState(); err != nil {
			return RandomState{}, fmt.Errorf("goras: %w", err)
		}
	}
	return s, nil
}

// SetRandomState restores what RandomState returned, after checking that
// it names exactly the model's generators.
func (m *Model) SetRandomState(s RandomState) error {
	if err := m.Build(); err != nil {
		return err
	}
	if err := m.shuffle.UnmarshalBinary(s.Shuffle); err != nil {
		return fmt.Errorf("shuffle generator: %v", err)
	}
	seen := map[string]bool{}
	for _, l := range statefulLayers(m.Layers()) {
		state, ok := s.Layers[l.Name()]
		if !ok {
			return fmt.Errorf("no random state for layer %q (%s)", l.Name(), l.ClassName())
		}
		if err := l.SetRandomState(state); err != nil {
			return err
		}
		seen[l.Name()] = true
	}
	for name := range s.Layers {
		if !seen[name] {
			return fmt.Errorf("random state for a layer %q that the model does not have (or that draws no random numbers)", name)
		}
	}
	return nil
}

// statefulLayers lists the layers that keep a random generator, looking
// inside Pipelines, in model order.
func statefulLayers(ls []layers.Layer) []layers.Stateful {
	var out []layers.Stateful
	for _, l := range ls {
		if s, ok := l.(layers.Stateful); ok {
			out = append(out, s)
		}
		if g, ok := l.(interface{ Layers() []layers.Layer }); ok {
			out = append(out, statefulLayers(g.Layers())...)
		}
	}
	return out
}

// SetInitialEpoch makes the Fit call that is starting begin at epoch
// (counted from 0) instead of at its InitialEpoch option. A callback that
// restores training from a backup (callbacks.BackupAndRestore) calls it
// from OnTrainBegin, as Keras's sets model._initial_epoch.
func (m *Model) SetInitialEpoch(epoch int) { m.resumeAt = epoch }
