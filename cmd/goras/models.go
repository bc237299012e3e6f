package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
)

// modelSpec is a network goras knows by name, with the recipe it is trained
// by when no flag says otherwise. To add a model, add one entry to models.
type modelSpec struct {
	// Name is what --model takes.
	Name string
	// Description is one line for --help.
	Description string
	// Layers returns fresh layers, starting with layers.Input. MNIST images
	// (28×28) are reshaped to the declared input shape, e.g. (28, 28, 1).
	Layers func() []layers.Layer
	// Loss is a losses.Get name.
	Loss string
	// Optimizer is an optimizers.Get name.
	Optimizer string
	// LearningRate is the rate of Optimizer; 0 keeps the optimizer's Keras
	// default. It applies only when this optimizer is used.
	LearningRate float64
	// Schedule is the --schedule used with Optimizer when none is given
	// ("" for a constant rate).
	Schedule string
	// Epochs and BatchSize are the default training length and step size.
	Epochs, BatchSize int
}

var models = map[string]modelSpec{
	"mlp": {
		Name: "mlp",
		Description: "the course's first network: Flatten → Dense(50, relu) →\n" +
			"    Dense(10, softmax), 39,760 params; mean squared error, SGD(0.1), batch 100,\n" +
			"    10 epochs",
		Layers: func() []layers.Layer {
			return []layers.Layer{
				layers.Input(28, 28),
				layers.Flatten(),
				layers.Dense(50, layers.WithActivation("relu")),
				layers.Dense(10, layers.WithActivation("softmax")),
			}
		},
		Loss:         "mean_squared_error",
		Optimizer:    "sgd",
		LearningRate: 0.1,
		Epochs:       10,
		BatchSize:    100,
	},
	// Params: conv 5·5·1·6 + 6 = 156, conv 5·5·6·16 + 16 = 2,416,
	// dense 400·120 + 120 = 48,120, 120·84 + 84 = 10,164, 84·10 + 10 = 850;
	// 61,706 in all.
	"lenet5": {
		Name: "lenet5",
		Description: "LeNet-5 as the course draws it: Conv2D(6, 5, same, relu) →\n" +
			"    MaxPooling2D → Conv2D(16, 5, relu) → MaxPooling2D → Flatten →\n" +
			"    Dense(120, relu) → Dense(84, relu) → Dense(10, softmax), 61,706 params;\n" +
			"    Adam(0.001) with cosine decay to 0 over the run, categorical cross-entropy,\n" +
			"    batch 128, 10 epochs",
		Layers: func() []layers.Layer {
			return []layers.Layer{
				layers.Input(28, 28, 1),
				layers.Conv2D(6, 5, layers.WithPadding("same"), layers.WithActivation("relu")), // 28×28×6
				layers.MaxPooling2D(),                               // 14×14×6
				layers.Conv2D(16, 5, layers.WithActivation("relu")), // 10×10×16
				layers.MaxPooling2D(),                               // 5×5×16
				layers.Flatten(),
				layers.Dense(120, layers.WithActivation("relu")),
				layers.Dense(84, layers.WithActivation("relu")),
				layers.Dense(10, layers.WithActivation("softmax")),
			}
		},
		Loss:      "categorical_crossentropy",
		Optimizer: "adam",
		// Chosen on a validation split (train on the first 55,000 images,
		// validate on the last 5,000; seeds 1–3, never the test set): with
		// a constant rate the last epochs wander (best 0.9910/0.9912, last
		// 0.9890/0.9870); decaying it to 0 settles them (best 0.9914/0.9926/
		// 0.9922, last 0.9910/0.9926/0.9916).
		Schedule:  "cosine",
		Epochs:    10,
		BatchSize: 128,
	},
	// keras.io's "Simple MNIST convnet". Params: 3·3·1·32 + 32 = 320,
	// 3·3·32·64 + 64 = 18,496, 1,600·10 + 10 = 16,010; 34,826 in all.
	"keras-convnet": {
		Name: "keras-convnet",
		Description: "the keras.io simple MNIST convnet: Conv2D(32, 3, relu) →\n" +
			"    MaxPooling2D → Conv2D(64, 3, relu) → MaxPooling2D → Flatten → Dropout(0.5) →\n" +
			"    Dense(10, softmax), 34,826 params; Adam(0.001), categorical cross-entropy,\n" +
			"    batch 128, 15 epochs (keras.io validates on validation_split=0.1 of the\n" +
			"    training images; goras, as for every model, on the test set)",
		Layers: func() []layers.Layer {
			return []layers.Layer{
				layers.Input(28, 28, 1),
				layers.Conv2D(32, 3, layers.WithActivation("relu")), // 26×26×32
				layers.MaxPooling2D(),                               // 13×13×32
				layers.Conv2D(64, 3, layers.WithActivation("relu")), // 11×11×64
				layers.MaxPooling2D(),                               // 5×5×64
				layers.Flatten(),
				layers.Dropout(0.5),
				layers.Dense(10, layers.WithActivation("softmax")),
			}
		},
		Loss:      "categorical_crossentropy",
		Optimizer: "adam",
		Epochs:    15,
		BatchSize: 128,
	},
}

// defaultModel is the model goras trains when --model is not given.
const defaultModel = "mlp"

// modelNames lists the known model names, sorted.
func modelNames() []string {
	names := make([]string, 0, len(models))
	for n := range models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// lookupModel returns the named model's spec, or an error listing the
// known ones.
func lookupModel(name string) (modelSpec, error) {
	spec, ok := models[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return modelSpec{}, fmt.Errorf("unknown model %q; known models: %s", name, strings.Join(modelNames(), ", "))
	}
	return spec, nil
}

// newModel builds the named network, changed as a asks (modelArch for none),
// with its initial weights drawn from seed.
func (s modelSpec) newModel(seed uint64, a arch) (*goras.Model, error) {
	ls, err := a.apply(s.Layers())
	if err != nil {
		return nil, err
	}
	m := goras.NewSequential(ls...)
	m.SetSeed(seed)
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("model %s: %w", s.Name, err)
	}
	return m, nil
}

// modelHelp is the --model flag's usage: each known model with its
// description.
func modelHelp() string {
	var b strings.Builder
	b.WriteString("the network, by `NAME`:")
	for _, n := range modelNames() {
		fmt.Fprintf(&b, "\n  %s: %s", n, models[n].Description)
	}
	return b.String()
}
