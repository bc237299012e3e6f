package goras

import (
	"encoding/json"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/losses"
)

// FuzzModelFromJSON: any architecture text is read into a model or refused
// with an error, never a panic; what reads is sized without making weights
// (WeightShapes), as Load does before it builds.
func FuzzModelFromJSON(f *testing.F) {
	seq := NewSequential(layers.Input(28, 28), layers.Flatten(), layers.Dense(10, layers.WithActivation("softmax")))
	for _, m := range []*Model{seq, residualModel(f), dropoutGraph(1)} {
		s, err := m.ToJSON()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
	}
	f.Add(`{"class_name":"Functional","config":{"layers":[{"class_name":"InputLayer","name":"a","config":{"batch_shape":[null,2]},"inbound_nodes":[]}],"input_layers":[["a",0,0]],"output_layers":[["a",0,0]]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ModelFromJSON(s)
		if err != nil {
			return
		}
		m.WeightShapes() // an error is fine; a panic is not
	})
}

// FuzzCompileOptionsFromJSON: any compile settings read or are refused.
func FuzzCompileOptionsFromJSON(f *testing.F) {
	m := residualModel(f)
	if err := m.Compile(CompileOptions{Optimizer: sgdOpt(f), Losses: []losses.Loss{losses.CategoricalCrossentropy{}, losses.MeanSquaredError{}},
		LossWeights: []float64{0.5, 2}, OutputMetrics: [][]string{{"accuracy"}, nil}}); err != nil {
		f.Fatal(err)
	}
	b, err := json.Marshal(m.CompileConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(`{"loss": {"class_name": "mse", "config": {}}, "optimizer": {"class_name": "Adam", "config": {"learning_rate": {"class_name": "CosineDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10}}}}, "metrics": ["accuracy"]}`)
	f.Fuzz(func(t *testing.T, s string) {
		CompileOptionsFromJSON(s) // an error is fine; a panic is not
	})
}
