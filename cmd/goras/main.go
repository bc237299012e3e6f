// Command goras trains, inspects, evaluates and uses neural networks on MNIST from
// the command line:
//
//	goras train                      # the course's first lab: MLP, MSE, SGD(0.1), 10 epochs
//	goras train --loss categorical_crossentropy --optimizer adam
//	goras train --model lenet5       # the course's convnet: ≥ 0.99 in 10 epochs
//	goras train --model keras-convnet --dropout 0.3 --l2 0.0001 --schedule cosine
//	goras summary --model mlp        # layers and parameter counts
//	goras train --model lenet5 --checkpoint-dir ckpt --plot curves.png --output lenet5.safetensors
//	goras train --model lenet5 --checkpoint-dir ckpt --resume # go on after a crash
//	goras evaluate --confusion cm.png --errors wrong.png lenet5.safetensors
//	goras predict lenet5.safetensors my-digit.png # top-3 classes of your own digit
//	goras plot run.csv -o curves.png # training curves from --history
//	goras version
//
// Every subcommand documents its flags with --help.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C, restore the default handling so that a
		// second one kills a run that is slow to wind down.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errInterrupted reports a run stopped by ctx (Ctrl-C) after it printed what
// it had; the process exits with status 130, as shells do for SIGINT.
var errInterrupted = errors.New("interrupted")

// run executes the command line args and returns the process exit status:
// 0 on success, 1 on error, 130 when interrupted.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	var prof profiles
	addProfileFlags(root, &prof)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := prof.stop(root.ExecuteContext(ctx), stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(stderr, "goras: interrupted")
		return 130
	default:
		// Errors from the library already name it.
		msg := err.Error()
		if !strings.HasPrefix(msg, "goras: ") {
			msg = "goras: " + msg
		}
		fmt.Fprintln(stderr, msg)
		return 1
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "goras",
		Short: "Train and use neural networks on MNIST, in pure Go",
		Long: "goras trains the networks of a Keras course on real MNIST, with Keras's names,\n" +
			"defaults and progress output. Start with `goras train`.",
		Version:       versionString(),
		SilenceErrors: true, // run prints them, prefixed, once
		SilenceUsage:  true, // a usage dump would bury the error; --help shows it
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newTrainCmd(), newSummaryCmd(), newEvaluateCmd(), newPredictCmd(), newExportCmd(), newImportCmd(), newQuantizeCmd(), newPlotCmd(), newEnsembleCmd(), newStudioCmd(), newVersionCmd())
	return root
}
