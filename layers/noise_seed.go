package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/tensor"
)

// NoiseOption configures SpatialDropout2D, GaussianNoise and
// GaussianDropout: WithSeed, or WithName.
type NoiseOption interface {
	applyNoise(s *noiseSeed, common *[]Option)
}

// applyNoise lets the common options (WithName) configure the noise layers.
func (o Option) applyNoise(_ *noiseSeed, common *[]Option) { *common = append(*common, o) }

// applyNoise makes WithSeed fix a noise layer's draws.
func (s SeedOption) applyNoise(n *noiseSeed, _ *[]Option) { n.seed, n.hasSeed = s.seed, true }

// noiseSeed is the random stream of a layer that draws noise in training
// (SpatialDropout2D, GaussianNoise, GaussianDropout), kept as Dropout keeps
// its own: a seed given with WithSeed, else one drawn from the model's
// generator when the layer is built, so that the model's seed fixes the
// noise as it fixes the initial weights.
type noiseSeed struct {
	seed    uint64
	hasSeed bool
	rng     *tensor.RNG // made by Build; shared by every plan of the model
}

// noiseOptions applies opts and returns the common options they carry.
func (s *noiseSeed) noiseOptions(class string, opts []NoiseOption) (*options, error) {
	var common []Option
	for _, o := range opts {
		if o != nil {
			o.applyNoise(s, &common)
		}
	}
	return apply(class, common)
}

// start makes the layer's generator. A new one per Build, so that
// rebuilding the model (a new seed) restarts the noise, and every plan (one
// per batch size) continues the same stream.
func (s *noiseSeed) start(l Layer, rng *rand.Rand) error {
	seed := s.seed
	if !s.hasSeed {
		if rng == nil {
			return buildError(l, "needs the model's random generator to draw its seed, or WithSeed")
		}
		seed = rng.Uint64()
	}
	s.rng = tensor.NewStatefulRNG(seed)
	return nil
}

// seedConfig is Keras's "seed": the integer given, or null.
func (s *noiseSeed) seedConfig() any {
	if s.hasSeed {
		return s.seed
	}
	return nil
}

// readNoiseSeed reads "name" and "seed" (null or a non-negative integer)
// into options.
func readNoiseSeed(r *ConfigReader) []NoiseOption {
	opts := []NoiseOption{WithName(r.Name())}
	if v, ok := r.get("seed"); ok && v != nil {
		seed, ok := configInt(v)
		if !ok || seed < 0 {
			r.fail("%q must be null or a non-negative integer, got %s", "seed", configShow(v))
		}
		opts = append(opts, WithSeed(uint64(seed)))
	}
	return opts
}

// randomState and setRandomState implement Stateful for the layer l that
// holds s.
func (s *noiseSeed) randomState(l Layer) ([]byte, error) {
	if s.rng == nil {
		return nil, fmt.Errorf("layer %q (%s) is not built: it has no random state yet", l.Name(), l.ClassName())
	}
	return s.rng.MarshalBinary()
}

func (s *noiseSeed) setRandomState(l Layer, state []byte) error {
	if s.rng == nil {
		return fmt.Errorf("layer %q (%s) is not built: build the model before restoring its random state", l.Name(), l.ClassName())
	}
	if err := s.rng.UnmarshalBinary(state); err != nil {
		return fmt.Errorf("layer %q (%s): %w", l.Name(), l.ClassName(), err)
	}
	return nil
}
