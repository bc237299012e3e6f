package main

import (
	"fmt"

	"github.com/goras-ml/goras"
	"github.com/spf13/cobra"
)

func newEvaluateCmd() *cobra.Command {
	var dataDir string
	var batchSize int
	cmd := &cobra.Command{
		Use:   "evaluate MODEL_FILE",
		Short: "Print the test loss and accuracy of a saved model",
		Long: `Load a model saved by "goras train --output FILE" (or model.Save) and evaluate
it on the 10,000 MNIST test images with the loss it was compiled with; print
"test_loss: X - test_accuracy: Y".`,
		Example: "  goras train --output mlp.safetensors\n  goras evaluate mlp.safetensors",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("evaluate takes one MODEL_FILE, got %d arguments (see '%s --help')", len(args), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if batchSize < 1 {
				return fmt.Errorf("--batch-size must be at least 1, got %d", batchSize)
			}
			if err := checkDataDir(dataDir); err != nil {
				return err
			}
			m, err := goras.Load(args[0])
			if err != nil {
				return err
			}
			loss := m.Loss()
			if loss == nil {
				return fmt.Errorf("%s holds no loss (the model was saved before Compile), so it cannot be evaluated", args[0])
			}
			// Compile again to report accuracy whatever metrics were saved;
			// the weights are kept.
			if err := m.Compile(goras.CompileOptions{Optimizer: m.Optimizer(), Loss: loss, Metrics: []string{"accuracy"}}); err != nil {
				return err
			}
			ctx := cmd.Context()
			_, test, err := loadMNIST(ctx, dataDir, cmd.ErrOrStderr())
			if err != nil {
				if ctx.Err() != nil {
					return errInterrupted
				}
				return err
			}
			x, y, err := prepare(test, m, loss)
			if err != nil {
				return err
			}
			scores, err := m.Evaluate(x, y, goras.BatchSize(batchSize), goras.Verbose(0))
			if err != nil {
				return err
			}
			return printScores(cmd.OutOrStdout(), scores)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dataDir, "data-dir", "", "`DIR` holding the four MNIST files, searched first\n(default: $GORAS_MNIST_DIR, then the cache, then download)")
	fl.IntVar(&batchSize, "batch-size", 32, "samples per evaluation step")
	return cmd
}
