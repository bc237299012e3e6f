package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
	"github.com/spf13/cobra"
)

func newSummaryCmd() *cobra.Command {
	var name string
	var af archFlags
	cmd := &cobra.Command{
		Use:   "summary [MODEL_FILE]",
		Short: "Print a network's layers, output shapes and parameter counts",
		Long: `Print a named network's summary as Keras's model.summary() does: each layer's
name, type, output shape and number of parameters, then the totals. --dropout
and --l2 change the network as they do for goras train. Given a model file
(.safetensors, or .onnx, imported, or an int8 model written by goras
quantize), it prints that model's summary.`,
		Example: "  goras summary --model mlp\n  goras summary --model lenet5 --dropout 0.5 --l2 0.0005\n  goras summary lenet5.onnx",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 { // a model file: goras summary lenet5.onnx
				return summarizeFile(cmd, args[0])
			}
			spec, err := getModel(name)
			if err != nil {
				return err
			}
			a, err := af.check(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			m, err := newModel(spec, 1, a)
			if err != nil {
				return err
			}
			return m.Summary(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&name, "model", defaultModel, modelHelp())
	addArchFlags(cmd.Flags(), &af)
	cmd.Flags().SortFlags = false
	return cmd
}

// summarizeFile prints the summary of the model file path, float32 or
// int8. The flags that choose and change a named network would be
// ignored, so they are refused.
func summarizeFile(cmd *cobra.Command, path string) error {
	for _, f := range []string{"model", "dropout", "l2"} {
		if cmd.Flags().Changed(f) {
			return fmt.Errorf("--%s names or changes a network, and summary was given the model file %s; give one or the other", f, path)
		}
	}
	if err := checkModelFile(path); err != nil {
		return err
	}
	if quantize.IsQuantizedFile(path) {
		q, err := quantize.Load(path)
		if err != nil {
			return err
		}
		return summarizeQuantized(cmd.OutOrStdout(), q)
	}
	m, err := loadModel(path)
	if err != nil {
		return err
	}
	return m.Summary(cmd.OutOrStdout())
}

// summarizeQuantized prints an int8 model's layers, output shapes and
// numbers: int8 kernel weights, float32 scales and biases (BatchNormalization
// folded in), and the bytes they take.
func summarizeQuantized(w io.Writer, q *quantize.Model) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Model: %q (int8, from goras quantize)\n", q.Name())
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "Layer (type)\tOutput Shape\tint8 weights\tfloat32 numbers\t")
	var kernels, floats int
	for _, l := range q.Layers() {
		name := string(l.Kind)
		if l.Name != "" {
			name = fmt.Sprintf("%s (%s)", l.Name, l.Kind)
		}
		k, f := len(l.Kernel), len(l.KernelScale)+len(l.Bias)
		kernels, floats = kernels+k, floats+f
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", name, tensor.ShapeString(l.OutputShape, true), thousands(k), thousands(f))
	}
	tw.Flush()
	fmt.Fprintf(&b, " Total: %s int8 weights and %s float32 scales and biases (%s bytes)\n",
		thousands(kernels), thousands(floats), thousands(kernels+4*floats))
	_, err := io.WriteString(w, b.String())
	return err
}
