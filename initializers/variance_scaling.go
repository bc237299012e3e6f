package initializers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/goras-ml/goras/tensor"
)

// truncatedStddev is the standard deviation of a unit normal truncated at ±2;
// VarianceScaling divides by it so that truncated weights keep the target
// variance (the constant Keras uses).
const truncatedStddev = 0.87962566103423978

type varianceScaling struct {
	name               string // "" for a plain VarianceScaling, else "GlorotUniform", ...
	scale              float64
	mode, distribution string
}

// VarianceScaling draws weights whose variance is scale/n, where n is, by
// mode, fan_in, fan_out or their mean "fan_avg" (from ComputeFans, at least 1).
// distribution is one of
//
//	"truncated_normal"   normal truncated at 2σ, σ = sqrt(scale/n)/0.87962566103423978
//	"untruncated_normal" normal, σ = sqrt(scale/n)
//	"uniform"            U[-limit, limit], limit = sqrt(3·scale/n)
//
// ("normal" means "truncated_normal", as in Keras.) Keras defaults: scale 1,
// mode "fan_in", distribution "truncated_normal". It panics if scale ≤ 0 or
// mode or distribution is unknown.
func VarianceScaling(scale float64, mode, distribution string) Initializer {
	return must(newVarianceScaling("", scale, mode, distribution))
}

// The named VarianceScaling initializers, as Keras defines them.
var named = []struct {
	class, alias string // Keras class name and snake_case string
	scale        float64
	mode, dist   string
}{
	{"GlorotUniform", "glorot_uniform", 1, "fan_avg", "uniform"},
	{"GlorotNormal", "glorot_normal", 1, "fan_avg", "truncated_normal"},
	{"HeUniform", "he_uniform", 2, "fan_in", "uniform"},
	{"HeNormal", "he_normal", 2, "fan_in", "truncated_normal"},
	{"LecunUniform", "lecun_uniform", 1, "fan_in", "uniform"},
	{"LecunNormal", "lecun_normal", 1, "fan_in", "truncated_normal"},
}

func namedVS(i int) Initializer {
	n := named[i]
	return must(newVarianceScaling(n.class, n.scale, n.mode, n.dist))
}

// GlorotUniform (Xavier uniform), Keras's default kernel initializer:
// U[-limit, limit], limit = sqrt(6/(fan_in+fan_out)).
func GlorotUniform() Initializer { return namedVS(0) }

// GlorotNormal (Xavier normal): truncated normal, σ = sqrt(2/(fan_in+fan_out)).
func GlorotNormal() Initializer { return namedVS(1) }

// HeUniform: U[-limit, limit], limit = sqrt(6/fan_in).
func HeUniform() Initializer { return namedVS(2) }

// HeNormal: truncated normal, σ = sqrt(2/fan_in).
func HeNormal() Initializer { return namedVS(3) }

// LecunUniform: U[-limit, limit], limit = sqrt(3/fan_in).
func LecunUniform() Initializer { return namedVS(4) }

// LecunNormal: truncated normal, σ = sqrt(1/fan_in).
func LecunNormal() Initializer { return namedVS(5) }

func newVarianceScaling(name string, scale float64, mode, distribution string) (Initializer, error) {
	label := name
	if label == "" {
		label = "VarianceScaling"
	}
	if !finite(scale) || scale <= 0 {
		return nil, fmt.Errorf("initializers: %s: scale must be a positive number, got %v", label, scale)
	}
	switch mode {
	case "fan_in", "fan_out", "fan_avg":
	default:
		return nil, fmt.Errorf("initializers: %s: mode must be \"fan_in\", \"fan_out\" or \"fan_avg\", got %q", label, mode)
	}
	distribution = strings.ToLower(distribution)
	switch distribution {
	case "normal":
		distribution = "truncated_normal"
	case "truncated_normal", "untruncated_normal", "uniform":
	default:
		return nil, fmt.Errorf("initializers: %s: distribution must be \"truncated_normal\", \"untruncated_normal\" or \"uniform\", got %q", label, distribution)
	}
	return varianceScaling{name, scale, mode, distribution}, nil
}

// stddev is the target standard deviation of the weights for shape.
func (v varianceScaling) stddev(shape []int) float64 {
	fanIn, fanOut := ComputeFans(shape)
	n := fanIn
	switch v.mode {
	case "fan_out":
		n = fanOut
	case "fan_avg":
		n = (fanIn + fanOut) / 2
	}
	return math.Sqrt(v.scale / max(1, n))
}

func (v varianceScaling) Initialize(t *tensor.Tensor, rng *rand.Rand) {
	s := v.stddev(t.Shape())
	switch v.distribution {
	case "truncated_normal":
		t.FillTruncatedNormal(rng, 0, s/truncatedStddev)
	case "untruncated_normal":
		t.FillNormal(rng, 0, s)
	default: // uniform
		limit := math.Sqrt(3) * s
		t.FillUniform(rng, -limit, limit)
	}
}

func (v varianceScaling) Name() string {
	if v.name == "" {
		return "VarianceScaling"
	}
	return v.name
}

func (v varianceScaling) Config() map[string]any {
	if v.name != "" {
		return map[string]any{"seed": nil}
	}
	return map[string]any{"scale": v.scale, "mode": v.mode, "distribution": v.distribution, "seed": nil}
}
