package losses

import "fmt"

// Readers for the configs of the losses of regression.go, hinge.go and
// focal.go, on the configReader of registry.go.

// number reads a number key, def when absent.
func (r *configReader) number(key string, def float64) float64 {
	v, _ := r.cr.Value(key)
	if v == nil {
		return def
	}
	f, ok := v.(float64)
	if !ok {
		r.fail("%q must be a number, got %v", key, v)
	}
	return f
}

// alphas reads Keras's alpha of categorical_focal_crossentropy: a number,
// or a list of numbers (one per class); def when absent.
func (r *configReader) alphas(key string, def float64) []float64 {
	v, _ := r.cr.Value(key)
	switch x := v.(type) {
	case nil:
		return []float64{def}
	case float64:
		return []float64{x}
	case []any:
		out := make([]float64, len(x))
		for i, e := range x {
			f, ok := e.(float64)
			if !ok {
				r.fail("%q must be a number or a list of numbers, got %v", key, v)
				return nil
			}
			out[i] = f
		}
		return out
	default:
		r.fail("%q must be a number or a list of numbers, got %v", key, v)
		return nil
	}
}

// plain returns a fromConfig for a loss without hyper-parameters.
func plain(name string, l Loss) func(map[string]any) (Loss, error) {
	return func(config map[string]any) (Loss, error) {
		return l, newConfigReader(name, config).done()
	}
}

func huberFromConfig(config map[string]any) (Loss, error) {
	r := newConfigReader("huber", config)
	l := Huber{Delta: r.number("delta", 1)}
	if err := r.done(); err != nil {
		return nil, err
	}
	if l.Delta == 0 { // Huber{} means Keras's default; a config means what it says
		return nil, fmt.Errorf("losses: huber config: \"delta\" must be > 0, got 0")
	}
	return l, l.CheckTarget([]int{1}, []int{1})
}

func cfceFromConfig(config map[string]any) (Loss, error) {
	r := newConfigReader("categorical_focal_crossentropy", config)
	l := CategoricalFocalCrossentropy{Alpha: r.alphas("alpha", 0.25), Gamma: r.number("gamma", 2),
		FromLogits: r.bool("from_logits"), LabelSmoothing: r.fraction("label_smoothing")}
	if err := r.done(); err != nil {
		return nil, err
	}
	return l, checkFocal(l.Name(), l.Gamma, l.LabelSmoothing)
}

func bfceFromConfig(config map[string]any) (Loss, error) {
	r := newConfigReader("binary_focal_crossentropy", config)
	l := BinaryFocalCrossentropy{ApplyClassBalancing: r.bool("apply_class_balancing"), Alpha: r.number("alpha", 0.25),
		Gamma: r.number("gamma", 2), FromLogits: r.bool("from_logits"), LabelSmoothing: r.fraction("label_smoothing")}
	if err := r.done(); err != nil {
		return nil, err
	}
	return l, l.CheckTarget([]int{1}, []int{1})
}
