package goras

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/optimizers"
)

// CompileConfig is Keras's get_compile_config: the loss (one, or a list
// with one per output, null where an output has none), "loss_weights" when
// any is not 1, the optimizer, and the metrics (for several outputs, one
// list per output). Nil before Compile.
func (m *Model) CompileConfig() map[string]any {
	c := m.compiled
	if c == nil {
		return nil
	}
	out := map[string]any{"optimizer": map[string]any{"class_name": c.optimizer.Name(), "config": c.optimizer.Config()}}
	if len(c.losses) == 1 {
		out["loss"] = lossConfig(c.losses[0])
		out["metrics"] = c.metrics[0]
		return out
	}
	ls, ms := make([]any, len(c.losses)), make([]any, len(c.losses))
	weighted := false
	for i, l := range c.losses {
		ls[i] = lossConfig(l)
		ms[i] = c.metrics[i]
		weighted = weighted || c.weights[i] != 1
	}
	out["loss"], out["metrics"] = ls, ms
	if weighted {
		out["loss_weights"] = c.weights
	}
	return out
}

func lossConfig(l losses.Loss) any {
	if l == nil {
		return nil
	}
	return map[string]any{"class_name": l.Name(), "config": l.Config()}
}

// CompileFromConfig compiles the model as CompileConfig describes, as
// Keras's compile_from_config: the loss or losses, loss weights, optimizer
// (with its schedule) and metrics, each rebuilt through its registry (the
// optimizer starts afresh).
func (m *Model) CompileFromConfig(config map[string]any) error {
	b, err := json.Marshal(config)
	if err != nil {
		return fmt.Errorf("goras: compile config: %w", err)
	}
	opts, err := CompileOptionsFromJSON(string(b))
	if err != nil {
		return fmt.Errorf("goras: compile config: %w", err)
	}
	return m.Compile(opts)
}

// CompileOptionsFromJSON reads CompileConfig's JSON back into
// CompileOptions.
func CompileOptionsFromJSON(s string) (CompileOptions, error) {
	var c struct {
		Loss        json.RawMessage `json:"loss"`
		LossWeights []float64       `json:"loss_weights"`
		Optimizer   *classAndConfig `json:"optimizer"`
		Metrics     json.RawMessage `json:"metrics"`
	}
	if err := decodeNumbers(s, &c); err != nil {
		return CompileOptions{}, fmt.Errorf("not valid JSON: %v", err)
	}
	if len(c.Loss) == 0 || c.Optimizer == nil {
		return CompileOptions{}, fmt.Errorf("needs a loss and an optimizer, got %s", s)
	}
	opt, err := optimizers.FromConfig(c.Optimizer.ClassName, c.Optimizer.Config)
	if err != nil {
		return CompileOptions{}, err
	}
	opts := CompileOptions{Optimizer: opt, LossWeights: c.LossWeights}
	var one *classAndConfig
	if err := decodeNumbers(string(c.Loss), &one); err == nil && one != nil {
		if opts.Loss, err = losses.FromConfig(one.ClassName, one.Config); err != nil {
			return CompileOptions{}, err
		}
		if len(c.Metrics) > 0 {
			if err := json.Unmarshal(c.Metrics, &opts.Metrics); err != nil {
				return CompileOptions{}, fmt.Errorf("metrics: %v", err)
			}
		}
		return opts, nil
	}
	var many []*classAndConfig
	if err := decodeNumbers(string(c.Loss), &many); err != nil {
		return CompileOptions{}, fmt.Errorf("loss must be a loss or a list of them: %v", err)
	}
	opts.Losses = make([]losses.Loss, len(many))
	for i, l := range many {
		if l == nil {
			continue
		}
		if opts.Losses[i], err = losses.FromConfig(l.ClassName, l.Config); err != nil {
			return CompileOptions{}, err
		}
	}
	if len(c.Metrics) > 0 {
		if err := json.Unmarshal(c.Metrics, &opts.OutputMetrics); err != nil {
			return CompileOptions{}, fmt.Errorf("metrics of a model with several outputs must be one list per output: %v", err)
		}
	}
	return opts, nil
}

// classAndConfig is Keras's serialized form of an object.
type classAndConfig struct {
	ClassName string         `json:"class_name"`
	Config    map[string]any `json:"config"`
}

// decodeNumbers decodes JSON keeping numbers exact (json.Number).
func decodeNumbers(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	return d.Decode(v)
}
