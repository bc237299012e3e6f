package main

import (
	"github.com/spf13/cobra"
)

func newSummaryCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "summary",
		Short: "Print a network's layers, output shapes and parameter counts",
		Long: `Print a named network's summary as Keras's model.summary() does: each layer's
name, type, output shape and number of parameters, then the totals.`,
		Example: "  goras summary --model mlp",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := lookupModel(name)
			if err != nil {
				return err
			}
			m, err := spec.newModel(1)
			if err != nil {
				return err
			}
			return m.Summary(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&name, "model", defaultModel, modelHelp())
	return cmd
}
