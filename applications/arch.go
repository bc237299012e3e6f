package applications

import (
	"fmt"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/regularizers"
)

// The two changes `goras train --dropout/--l2` and the studio's dropout and
// l2 settings make to any network of the zoo, before it is built.

// SetDropout returns ls with a Dropout(rate) in front of every Dense layer
// that follows a Conv2D or Dense layer (after Flatten in a convnet, after
// each hidden Dense), never on the raw pixels; a Dropout already in such a
// place is replaced, so rate 0 removes them. The layers of ls are shared,
// not copied.
func SetDropout(ls []layers.Layer, rate float64) []layers.Layer {
	out := make([]layers.Layer, 0, len(ls)+4)
	weighted := false // a Conv2D or Dense came before: inputs are features, not pixels
	for _, l := range ls {
		_, dense := l.(*layers.DenseLayer)
		_, conv := l.(*layers.Conv2DLayer)
		if dense && weighted {
			if n := len(out); n > 0 {
				if _, ok := out[n-1].(*layers.DropoutLayer); ok {
					out = out[:n-1]
				}
			}
			if rate > 0 {
				out = append(out, layers.Dropout(rate))
			}
		}
		weighted = weighted || dense || conv
		out = append(out, l)
	}
	return out
}

// SetKernelRegularizer returns ls with every Dense and Conv2D layer rebuilt
// from its Keras config with r as its kernel_regularizer (layers take a
// regularizer only when constructed; the config keeps every other setting),
// e.g. regularizers.L2(0.0005) for Keras's kernel_regularizer=L2(0.0005).
// The other layers are shared, not copied.
func SetKernelRegularizer(ls []layers.Layer, r regularizers.Regularizer) ([]layers.Layer, error) {
	out := make([]layers.Layer, len(ls))
	for i, l := range ls {
		_, dense := l.(*layers.DenseLayer)
		_, conv := l.(*layers.Conv2DLayer)
		if !dense && !conv {
			out[i] = l
			continue
		}
		cfg := l.Config()
		cfg["kernel_regularizer"] = regularizers.Serialize(r)
		rl, err := layers.FromConfig(l.ClassName(), cfg)
		if err != nil {
			return nil, fmt.Errorf("applications: %s kernel regularizer on layer %s: %w", r.Name(), l.ClassName(), err)
		}
		out[i] = rl
	}
	return out, nil
}
