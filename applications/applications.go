// Package applications is goras's zoo of named networks, as Keras keeps
// its own in keras.applications: the course's MLP, LeNet-5, keras.io's
// simple MNIST convnet, and the bounty recipes' CNNs, each with the
// training settings it was tuned with. The CLI's --model, the studio, the
// examples and the benchmarks all take their networks from here.
//
// Beside the zoo it holds what the CLI and the studio do with any network:
// SetDropout and SetKernelRegularizer change its layers (goras train's
// --dropout and --l2), Data feeds it MNIST or Fashion-MNIST (the images as
// its input takes them, the labels as its loss takes them), and NewFor and
// SetShape fit it to other pictures (goras train --data: another input
// size and colour mode, another number of classes).
package applications

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/recipes"
)

// Spec is a network known by name, with the way it is trained when nothing
// says otherwise.
type Spec struct {
	// Name is what `goras train --model` takes, e.g. "lenet5".
	Name string
	// Description is one paragraph for --help and the docs.
	Description string
	// Layers returns fresh layers, starting with layers.Input. MNIST
	// images (28×28) are reshaped to the declared input shape.
	Layers func() []layers.Layer
	// Loss is a losses.Get name; Optimizer an optimizers.Get name, with
	// LearningRate (0: the optimizer's Keras default) and Schedule (a CLI
	// --schedule name, "" for a constant rate).
	Loss, Optimizer string
	LearningRate    float64
	Schedule        string
	// Epochs and BatchSize are the default training length and step size.
	Epochs, BatchSize int
	// Recipe is set for the bounty recipes' networks, which train by their
	// own schedule and data split (recipes.Recipe.Run).
	Recipe *recipes.Recipe
}

// New returns the network as a Sequential model, built, its weights drawn
// from seed, not compiled.
func (s Spec) New(seed uint64) (*goras.Model, error) {
	m := goras.NewSequential(s.Layers()...)
	m.SetSeed(seed)
	if err := m.Build(); err != nil {
		return nil, fmt.Errorf("applications: %s: %w", s.Name, err)
	}
	return m, nil
}

var zoo = map[string]Spec{}

func add(s Spec) { zoo[s.Name] = s }

func init() {
	add(Spec{Name: "mlp", Description: "the course's first network: Flatten → Dense(50, relu) →\n" +
		"    Dense(10, softmax), 39,760 params; mean squared error, SGD(0.1), batch 100,\n" +
		"    10 epochs",
		Layers: MLP, Loss: "mean_squared_error", Optimizer: "sgd", LearningRate: 0.1, Epochs: 10, BatchSize: 100})
	add(Spec{Name: "lenet5", Description: "LeNet-5 as the course draws it: Conv2D(6, 5, same, relu) →\n" +
		"    MaxPooling2D → Conv2D(16, 5, relu) → MaxPooling2D → Flatten →\n" +
		"    Dense(120, relu) → Dense(84, relu) → Dense(10, softmax), 61,706 params;\n" +
		"    Adam(0.001) with cosine decay to 0 over the run, categorical cross-entropy,\n" +
		"    batch 128, 10 epochs",
		Layers: LeNet5, Loss: "categorical_crossentropy", Optimizer: "adam",
		// Chosen on a validation split (train on the first 55,000 images,
		// validate on the last 5,000; seeds 1–3, never the test set): with
		// a constant rate the last epochs wander (best 0.9910/0.9912, last
		// 0.9890/0.9870); decaying it to 0 settles them (best 0.9914/0.9926/
		// 0.9922, last 0.9910/0.9926/0.9916).
		Schedule: "cosine", Epochs: 10, BatchSize: 128})
	add(Spec{Name: "keras-convnet", Description: "the keras.io simple MNIST convnet: Conv2D(32, 3, relu) →\n" +
		"    MaxPooling2D → Conv2D(64, 3, relu) → MaxPooling2D → Flatten → Dropout(0.5) →\n" +
		"    Dense(10, softmax), 34,826 params; Adam(0.001), categorical cross-entropy,\n" +
		"    batch 128, 15 epochs (keras.io validates on validation_split=0.1 of the\n" +
		"    training images; goras, as for every model, on the test set)",
		Layers: KerasConvnet, Loss: "categorical_crossentropy", Optimizer: "adam", Epochs: 15, BatchSize: 128})
	for _, name := range recipes.Names() {
		r, err := recipes.Get(name)
		if err != nil {
			panic(err) // a recipe that Names lists always exists
		}
		add(Spec{Name: r.Name, Description: r.Description, Layers: r.Layers, Loss: "categorical_crossentropy",
			Optimizer: "adam", Epochs: r.Epochs, BatchSize: r.BatchSize, Recipe: &r})
	}
}

// Names lists the known networks, sorted.
func Names() []string { return slices.Sorted(maps.Keys(zoo)) }

// Get returns the named network, or an error listing the known ones. The
// Spec is the caller's own: editing it, its Recipe included, changes
// nothing for later callers, and many goroutines may call Get at once.
func Get(name string) (Spec, error) {
	s, ok := zoo[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Spec{}, fmt.Errorf("applications: unknown model %q; known models: %s", name, strings.Join(Names(), ", "))
	}
	return s.clone(), nil
}

// clone returns s with nothing a caller may edit shared with the zoo: a
// Recipe of its own, which its Layers follow. recipes.Recipe and its CNNConfig hold values and
// arrays only, so copying the struct copies all of it (TestGetIsACopy
// fails if a field that would be shared, such as a slice, is added).
func (s Spec) clone() Spec {
	if s.Recipe != nil {
		r := *s.Recipe
		s.Recipe = &r
		// Layers and New make the network of this Recipe, edits included.
		s.Layers = func() []layers.Layer { return r.Layers() }
	}
	return s
}

// MLP is the course's first network: Flatten → Dense(50, relu) →
// Dense(10, softmax) on 28×28 digits, 39,760 weights.
func MLP() []layers.Layer {
	return []layers.Layer{
		layers.Input(28, 28),
		layers.Flatten(),
		layers.Dense(50, layers.WithActivation("relu")),
		layers.Dense(10, layers.WithActivation("softmax")),
	}
}

// LeNet5 is LeNet-5 as the course draws it (1 → 6 → 6 → 16 → 16 → dense).
// Weights: conv 5·5·1·6 + 6 = 156, conv 5·5·6·16 + 16 = 2,416, dense
// 400·120 + 120 = 48,120, 120·84 + 84 = 10,164, 84·10 + 10 = 850; 61,706.
func LeNet5() []layers.Layer {
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
}

// KerasConvnet is keras.io's "Simple MNIST convnet". Weights: 3·3·1·32 +
// 32 = 320, 3·3·32·64 + 64 = 18,496, 1,600·10 + 10 = 16,010; 34,826.
func KerasConvnet() []layers.Layer {
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
}
