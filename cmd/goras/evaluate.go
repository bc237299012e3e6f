package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/applications"
	"github.com/goras-ml/goras/datasets/fashionmnist"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/metrics"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
	"github.com/spf13/cobra"
)

// evaluateFlags are goras evaluate's flags.
type evaluateFlags struct {
	dataset, data                      string
	dataDir, confusionPath, errorsPath string
	batchSize, nErrors                 int
	force                              bool
}

func newEvaluateCmd() *cobra.Command {
	f := &evaluateFlags{}
	cmd := &cobra.Command{
		Use:   "evaluate MODEL_FILE",
		Short: "Print the test scores, confusion matrix and per-class report of a saved model",
		Long: `Load a model saved by "goras train --output FILE" (or model.Save, a
checkpoint, or an int8 model written by "goras quantize") and evaluate it on
the 10,000 test images of --dataset: MNIST, or Fashion-MNIST for a model
whose class names are Fashion-MNIST's (one trained with --dataset
fashion_mnist), unless --dataset says otherwise. Print
the confusion matrix (rows: true classes, columns: predicted ones, with totals),
the per-class precision, recall and F1 score (sklearn's classification_report),
and last "test_loss: X - test_accuracy: Y" with the loss it was compiled with
("test_accuracy: Y" alone for an int8 model, whose file keeps no loss).
--confusion draws the matrix as a heat map and --errors the test digits the
model got wrong with the most confidence, as .png or .svg pictures.
--data DIR evaluates on every picture of a folder with one subfolder per
class instead (as goras train --data reads one: resized to the model's
input; classes in the order of the model's class names), the matrix and
report naming the classes.`,
		Example: "  goras train --output mlp.safetensors\n  goras evaluate mlp.safetensors\n" +
			"  goras evaluate --confusion cm.png --errors wrong.png mlp.safetensors\n" +
			"  goras train --dataset fashion_mnist --model lenet5 --output clothes.safetensors\n" +
			"  goras evaluate clothes.safetensors   # on Fashion-MNIST's test set, as its class names say\n" +
			"  goras evaluate --data photos/test pets.safetensors   # a folder per class, as goras train --data",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("evaluate takes one MODEL_FILE, got %d arguments (see '%s --help')", len(args), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runEvaluate(cmd, f, args[0]) },
	}
	fl := cmd.Flags()
	addDatasetFlag(fl, &f.dataset)
	fl.Lookup("dataset").Usage += "\n(default: fashion_mnist for a model carrying Fashion-MNIST's class names, else mnist)"
	addDataDirFlag(fl, &f.dataDir)
	fl.StringVar(&f.data, "data", "", "evaluate on a folder of pictures, one subfolder per class (as goras train\n--data reads one), all of them, instead of a data set's test images")
	fl.IntVar(&f.batchSize, "batch-size", 32, "samples per evaluation step")
	fl.StringVar(&f.confusionPath, "confusion", "", "draw the confusion matrix as a heat map with counts to `FILE`, .png or .svg")
	fl.StringVar(&f.errorsPath, "errors", "", "draw the misclassified test digits the model was surest of to `FILE`,\n.png or .svg, each captioned \"true 4 → pred 9 (0.99)\"")
	fl.IntVar(&f.nErrors, "max-errors", 24, "the number of digits --errors draws")
	addForceFlag(fl, &f.force)
	return cmd
}

// check validates the flags before the model or the data is loaded.
func (f *evaluateFlags) check() error {
	if f.batchSize < 1 {
		return fmt.Errorf("--batch-size must be at least 1, got %d", f.batchSize)
	}
	if !slices.Contains(datasetNames, f.dataset) {
		return unknownDataset(f.dataset)
	}
	// Before the model is loaded: the two data sets' files have the same
	// names, so the data set the model's names may choose looks the same.
	if err := checkDataDir(f.dataDir, f.dataset); err != nil {
		return err
	}
	if f.nErrors < 1 {
		return fmt.Errorf("--max-errors must be at least 1, got %d", f.nErrors)
	}
	for _, c := range [][2]string{{"--confusion", f.confusionPath}, {"--errors", f.errorsPath}} {
		if err := checkOutput(c[0], c[1], f.force, pictureExts...); err != nil {
			return err
		}
	}
	return checkDistinct("--confusion", f.confusionPath, "--errors", f.errorsPath)
}

// runEvaluate is goras evaluate on the model file path.
func runEvaluate(cmd *cobra.Command, f *evaluateFlags, path string) error {
	if err := f.check(); err != nil {
		return err
	}
	if err := f.checkFolderFlags(cmd.Flags().Changed); err != nil {
		return err
	}
	if err := checkModelFile(path); err != nil {
		return err
	}
	if quantize.IsQuantizedFile(path) {
		if f.data != "" {
			return fmt.Errorf("%s is an int8 model, which evaluate reads only on --dataset's test images; evaluate the float model it was quantized from on --data", path)
		}
		return runEvaluateQuantized(cmd, f, path)
	}
	m, err := loadModel(path)
	if err != nil {
		return err
	}
	loss := m.Loss()
	if loss == nil {
		return fmt.Errorf("%s holds no loss (the model was saved before Compile), so it cannot be evaluated", path)
	}
	if f.data == "" {
		if err := checkClasses(path, m.OutputShape()); err != nil {
			return err
		}
	}
	// Compile again to report accuracy whatever metrics were saved; the
	// weights are kept.
	if err := m.Compile(goras.CompileOptions{Optimizer: m.Optimizer(), Loss: loss, Metrics: []string{"accuracy"}}); err != nil {
		return err
	}
	if f.data != "" {
		return evaluateFolder(cmd, f, path, m, loss)
	}
	test, err := f.testSet(cmd, m.ClassNames())
	if err != nil {
		return err
	}
	x, y, err := applications.Data(test, m, loss)
	if err != nil {
		return err
	}
	scores, err := m.Evaluate(x, y, goras.BatchSize(f.batchSize), goras.Verbose(0))
	if err != nil {
		return err
	}
	probs, err := m.Predict(x, goras.BatchSize(f.batchSize), goras.Verbose(0))
	if err != nil {
		return err
	}
	if err := printConfusion(cmd, test, probs, f); err != nil {
		return err
	}
	return printScores(cmd.OutOrStdout(), "test", scores)
}

// checkClasses refuses, before the data is loaded, a model whose outputs
// (per sample, out) cannot be scored on the 10 classes of MNIST and
// Fashion-MNIST: one probability per class, at least 10 of them.
func checkClasses(path string, out []int) error {
	if len(out) == 1 && out[0] >= 10 {
		return nil
	}
	return fmt.Errorf("%s outputs shape %s, but the test set has 10 classes (labels 0 to 9); evaluate needs a model with one output per class, (10)",
		path, tensor.ShapeString(out, true))
}

// datasetFor is the data set a model with class names names is evaluated
// on: --dataset when given, else Fashion-MNIST for a model carrying its
// class names (said on log), else MNIST.
func (f *evaluateFlags) datasetFor(names []string, given bool, log io.Writer) string {
	if given || !slices.Equal(names, fashionmnist.ClassNames()) {
		return f.dataset
	}
	fmt.Fprintf(log, "goras: the model's classes are Fashion-MNIST's; evaluating on its test set (--dataset %s for another)\n", datasetMNIST)
	return datasetFashion
}

// testSet loads the test set a model with class names names is evaluated
// on (datasetFor).
func (f *evaluateFlags) testSet(cmd *cobra.Command, names []string) (mnist.Dataset, error) {
	dataset := f.datasetFor(names, cmd.Flags().Changed("dataset"), cmd.ErrOrStderr())
	ctx := cmd.Context()
	_, test, err := loadDataset(ctx, dataset, f.dataDir, cmd.ErrOrStderr())
	if err != nil && ctx.Err() != nil {
		return test, errInterrupted
	}
	return test, err
}

// runEvaluateQuantized is goras evaluate on an int8 model file (goras
// quantize's): the confusion matrix, report and pictures as for a float32
// model, then test accuracy alone, as the file keeps no loss. Its Predict
// takes the whole test set and splits it itself (--batch-size is not used).
func runEvaluateQuantized(cmd *cobra.Command, f *evaluateFlags, path string) error {
	q, err := quantize.Load(path)
	if err != nil {
		return err
	}
	if err := checkClasses(path, []int{q.Classes()}); err != nil {
		return err
	}
	test, err := f.testSet(cmd, q.ClassNames())
	if err != nil {
		return err
	}
	x, err := test.X.Float32().Reshape(append([]int{test.X.N}, q.InputShape()...)...)
	if err != nil {
		return fmt.Errorf("%s takes inputs of shape %s, which the 28×28 test images cannot be reshaped to", path, tensor.ShapeString(q.InputShape(), true))
	}
	probs, err := q.Predict(x)
	if err != nil {
		return err
	}
	if err := printConfusion(cmd, test, probs, f); err != nil {
		return err
	}
	right := 0
	for i, c := range tensor.ArgMax(probs) {
		right += btoi(c == int(test.Y[i]))
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "goras: an int8 model file keeps no loss; evaluate prints its test accuracy only")
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "test_accuracy: %.4f\n", float64(right)/float64(len(test.Y)))
	return err
}

// printConfusion prints the confusion matrix and per-class report of probs,
// the model's outputs on the test set, and draws the pictures asked for.
func printConfusion(cmd *cobra.Command, test mnist.Dataset, probs *tensor.Tensor, f *evaluateFlags) error {
	if probs.Rank() != 2 || probs.Dim(1) < 10 {
		return fmt.Errorf("the model outputs shape %s; a confusion matrix of the 10 digits needs (10) class probabilities",
			tensor.ShapeString(probs.Shape()[1:], true))
	}
	classes := probs.Dim(1)
	yTrue := make([]int, len(test.Y))
	for i, v := range test.Y {
		yTrue[i] = int(v)
	}
	cm := metrics.ConfusionMatrix(yTrue, tensor.ArgMax(probs), classes)
	if err := writeConfusion(cmd, cm, f); err != nil {
		return err
	}
	log := cmd.ErrOrStderr()
	if p, n := f.errorsPath, f.nErrors; p != "" {
		err := writeOutput("--errors", p, f.force, func() error { return plot.SaveMostConfidentErrors(p, test.X.Float32(), yTrue, probs, n) })
		if err != nil {
			return err
		}
		fmt.Fprintf(log, "goras: drew the %d most confident errors in %s\n", min(n, cm.Total()-cm.Correct()), p)
	}
	return nil
}

// writeConfusion prints the confusion matrix cm and its per-class report,
// and draws it to --confusion when asked.
func writeConfusion(cmd *cobra.Command, cm *metrics.Confusion, f *evaluateFlags) error {
	if _, err := fmt.Fprintf(cmd.OutOrStdout(), "Confusion matrix (rows: true class, columns: predicted class):\n%s\n%s\n", cm, cm.Report()); err != nil {
		return err
	}
	if p := f.confusionPath; p != "" {
		if err := writeOutput("--confusion", p, f.force, func() error { return plot.SaveConfusion(p, cm) }); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "goras: drew the confusion matrix in %s\n", p)
	}
	return nil
}
