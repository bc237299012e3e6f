package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/losses"
	"github.com/goras-ml/goras/onnx"
	"github.com/goras-ml/goras/optimizers"
	"github.com/goras-ml/goras/saving"
	"github.com/spf13/cobra"
)

func newImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import MODEL.onnx OUTPUT.safetensors",
		Short: "Turn an ONNX model (from PyTorch, Keras or goras) into a goras model file",
		Long: `Read an ONNX model and write it as a goras model file, which goras
evaluate, predict, summary and export read, and Go programs load with
saving.Load. Its layers are goras's own (Dense, Conv2D,
BatchNormalization, ...), so it predicts as the ONNX model does and can be
fine-tuned. Images are channels last: a model taking (N, 1, 28, 28) takes
(N, 28, 28, 1) in goras. The file is compiled with Adam and categorical
cross-entropy (on logits unless the model ends in softmax), with accuracy.
An operator goras does not map is an error naming the node; it prints the
model's summary.

goras evaluate, predict and summary also read .onnx files directly.`,
		Example: "  goras import lenet5.onnx lenet5.safetensors\n" +
			"  goras evaluate lenet5.onnx",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fmt.Errorf("import takes MODEL.onnx and OUTPUT.safetensors, got %d arguments (see '%s --help')", len(args), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			in, out := args[0], args[1]
			if ext := strings.ToLower(filepath.Ext(out)); ext != ".safetensors" {
				return fmt.Errorf("the output %s should end in .safetensors, got %q; the ONNX file comes first: goras import MODEL.onnx OUTPUT.safetensors", out, ext)
			}
			m, err := loadONNX(in)
			if err != nil {
				return err
			}
			if err := saving.Save(m, out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d layers, %d weights\n", out, len(m.Layers()), m.CountParams())
			return m.Summary(cmd.OutOrStdout())
		},
	}
	return cmd
}

// isONNX reports whether path names an ONNX file, by its extension.
func isONNX(path string) bool { return strings.EqualFold(filepath.Ext(path), ".onnx") }

// loadONNX imports an ONNX file and compiles it for goras's commands:
// Adam, categorical cross-entropy (from logits unless the model ends in
// softmax, whose probabilities the loss then reads), accuracy.
func loadONNX(path string) (*goras.Model, error) {
	m, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	adam, err := optimizers.NewAdam()
	if err != nil {
		return nil, err
	}
	loss := losses.CategoricalCrossentropy{FromLogits: !endsInSoftmax(m)}
	if err := m.Compile(goras.CompileOptions{Optimizer: adam, Loss: loss, Metrics: []string{"accuracy"}}); err != nil {
		return nil, err
	}
	return m, nil
}

// endsInSoftmax reports whether the layer making the model's (first)
// output applies softmax.
func endsInSoftmax(m *goras.Model) bool {
	outs := m.Outputs()
	if len(outs) == 0 {
		return false
	}
	act, _ := outs[0].Layer().Config()["activation"].(string)
	return act == "softmax"
}
