package layers

import "fmt"

// Stateful is implemented by the layers that draw random numbers while
// training: Dropout and the augmentation layers (RandomRotation,
// RandomTranslation, RandomZoom). A checkpoint saves RandomState after an
// epoch and SetRandomState puts it back into the rebuilt model, so that the
// resumed run draws the same masks and transforms as one never stopped.
// A Pipeline is not Stateful itself; its Layers are.
type Stateful interface {
	Layer
	// RandomState returns the state of the layer's generator. The layer
	// must be built.
	RandomState() ([]byte, error)
	// SetRandomState restores a state RandomState returned, on a built
	// layer.
	SetRandomState(state []byte) error
}

var (
	_ Stateful = (*DropoutLayer)(nil)
	_ Stateful = (*RandomRotationLayer)(nil)
	_ Stateful = (*RandomTranslationLayer)(nil)
	_ Stateful = (*RandomZoomLayer)(nil)
)

// RandomState implements Stateful.
func (l *DropoutLayer) RandomState() ([]byte, error) {
	if l.rng == nil {
		return nil, fmt.Errorf("layer %q (Dropout) is not built: it has no random state yet", l.name)
	}
	return l.rng.MarshalBinary()
}

// SetRandomState implements Stateful.
func (l *DropoutLayer) SetRandomState(state []byte) error {
	if l.rng == nil {
		return fmt.Errorf("layer %q (Dropout) is not built: build the model before restoring its random state", l.name)
	}
	if err := l.rng.UnmarshalBinary(state); err != nil {
		return fmt.Errorf("layer %q (Dropout): random generator state of %d bytes: %w", l.name, len(state), err)
	}
	return nil
}

// RandomState implements Stateful for the augmentation layers.
func (a *augment) RandomState() ([]byte, error) {
	if a.rng == nil {
		return nil, fmt.Errorf("layer %q is not built: it has no random state yet", a.name)
	}
	return a.rng.MarshalBinary()
}

// SetRandomState implements Stateful for the augmentation layers.
func (a *augment) SetRandomState(state []byte) error {
	if a.rng == nil {
		return fmt.Errorf("layer %q is not built: build the model before restoring its random state", a.name)
	}
	if err := a.rng.UnmarshalBinary(state); err != nil {
		return fmt.Errorf("layer %q: %w", a.name, err)
	}
	return nil
}
