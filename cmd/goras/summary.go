package main

import (
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
(.safetensors, or .onnx, imported), it prints that model's summary.`,
		Example: "  goras summary --model mlp\n  goras summary --model lenet5 --dropout 0.5 --l2 0.0005\n  goras summary lenet5.onnx",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 { // a model file: goras summary lenet5.onnx
				m, err := loadModel(args[0])
				if err != nil {
					return err
				}
				return m.Summary(cmd.OutOrStdout())
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
