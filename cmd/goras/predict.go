package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/datasets/imagefolder"
	"github.com/goras-ml/goras/datasets/mnist"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/plot"
	"github.com/goras-ml/goras/predict"
	"github.com/goras-ml/goras/quantize"
	"github.com/goras-ml/goras/tensor"
	"github.com/spf13/cobra"
)

// predictLong is goras predict --help's text.
const predictLong = `Load a model saved by "goras train --output FILE" (or a checkpoint, or an int8
model written by "goras quantize") and print,
for each PNG, JPEG or GIF picture, the classes it finds most likely with their
probabilities, and each class's name when the model carries names (a model
trained with --dataset fashion_mnist or --data DIR):

  seven.png: 7 (0.9812), 2 (0.0121), 3 (0.0032)
  boot.png: 9 Ankle boot (0.9650), 7 Sneaker (0.0301), 5 Sandal (0.0040)

For a model without class names (MNIST's digits name themselves) each
picture is made into an MNIST digit first, the way MNIST's were made:
grayscale, inverted when the background is light, cropped to the ink, its
longer side scaled to 20 pixels, centred by its centre of mass in 28×28. A
picture should show one digit filling most of it. The model must take 28×28
digits — (28, 28), (28, 28, 1) or (784) — and end in softmax.

For a model with class names each picture is read as goras train --data reads
a folder's: resized (bilinear, stretched) to the model's input size and read
in its colour mode, values in [0, 1]. Fashion-MNIST's pictures are light
clothes on black; a photo on a white background should be inverted first.

A picture that cannot be read is reported on stderr and the others are
still predicted; the exit status is then 1.

--json prints a JSON array instead, one object per picture, with
"class_name" fields when the model has names:
  {"file": "seven.png", "class": 7, "top": [{"class": 7, "probability": 0.9812}, ...]}`

func newPredictCmd() *cobra.Command {
	var asJSON, force bool
	var top int
	var show string
	cmd := &cobra.Command{
		Use:   "predict MODEL_FILE IMAGE...",
		Short: "Read handwritten digits, or other pictures, with a saved model",
		Long:  predictLong,
		Example: "  goras train --model lenet5 --output lenet5.safetensors\n" +
			"  goras predict lenet5.safetensors seven.png four.jpg\n" +
			"  goras predict --json lenet5.safetensors digits/*.png\n" +
			"  goras train --data pets --image-size 64,64 --color-mode rgb --model lenet5 --output pets.safetensors\n" +
			"  goras predict pets.safetensors my-cat.jpg",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return fmt.Errorf("predict takes a MODEL_FILE and at least one IMAGE, got %d arguments (see '%s --help')", len(args), cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if top < 1 {
				return fmt.Errorf("--top must be at least 1, got %d", top)
			}
			if err := checkOutput("--show", show, force, pictureExts...); err != nil {
				return err
			}
			for _, img := range args[1:] {
				if show != "" && samePath(show, img) {
					return fmt.Errorf("--show %s is also one of the pictures to read; name a new file for the drawing", show)
				}
			}
			p, err := loadPredictor(args[0])
			if err != nil {
				return err
			}
			if err := p.checkShow(show); err != nil {
				return err
			}
			preds, x, bad, err := p.predictFiles(args[1:], top)
			if err != nil {
				return err
			}
			if err := drawSeen(cmd.ErrOrStderr(), show, force, preds, x); err != nil {
				return err
			}
			write := writePredictions
			if asJSON {
				write = writePredictionsJSON
			}
			if err := write(cmd.OutOrStdout(), preds); err != nil {
				return err
			}
			return reportBad(cmd.ErrOrStderr(), bad, len(args)-1)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array, one object per picture, instead of one line per picture")
	cmd.Flags().IntVar(&top, "top", 3, "the number of most likely classes shown per picture")
	cmd.Flags().StringVar(&show, "show", "", "also draw the pictures as the model saw them (28×28, after the steps above;\n"+
		"grayscale models only), each captioned with the class read, to `FILE`, .png or .svg")
	addForceFlag(cmd.Flags(), &force)
	return cmd
}

// drawSeen draws --show: the pictures predicted, as the model saw them.
func drawSeen(log io.Writer, show string, force bool, preds []predict.Prediction, x *tensor.Tensor) error {
	if show == "" || len(preds) == 0 {
		return nil
	}
	classes := make([]int, len(preds))
	for i, p := range preds {
		classes[i] = p.Class
	}
	if err := writeOutput("--show", show, force, func() error { return plot.SaveDigitGrid(show, x, nil, classes, 10) }); err != nil {
		return err
	}
	fmt.Fprintf(log, "goras: drew the %d digits as the model saw them in %s\n", len(preds), show)
	return nil
}

// reportBad prints the pictures that could not be read, one line each,
// and returns the error that makes the exit status 1; a single bad
// picture, and nothing else, is that error itself.
func reportBad(log io.Writer, bad []error, n int) error {
	switch {
	case len(bad) == 0:
		return nil
	case n == 1:
		return bad[0]
	}
	for _, err := range bad {
		fmt.Fprintf(log, "goras: %v\n", err)
	}
	return fmt.Errorf("%d of %d pictures could not be read (above); the others were predicted", len(bad), n)
}

// predictor is a loaded model and the way it reads pictures.
type predictor struct {
	// in and classes are the model's per-sample input shape and number of
	// outputs; run predicts a batch (a float32 model's Predict, or an int8
	// one's).
	in      []int
	classes int
	run     func(x *tensor.Tensor) (*tensor.Tensor, error)
	path    string
	// names are the model's class names; nil for a model of MNIST's
	// digits, which reads pictures as MNIST digits.
	names []string
	// For a model with names: the size and colour mode of its pictures.
	height, width int
	colorMode     string
}

// loadPredictor loads the model in path and checks that predict can use
// it: 28×28 digits (or, for a model with class names, pictures) in, one
// probability per class out, finite weights.
func loadPredictor(path string) (*predictor, error) {
	p, m, err := openPredictor(path)
	if err != nil {
		return nil, err
	}
	if p.names == nil {
		if err := predict.CheckModel(m, path, "goras predict"); err != nil {
			return nil, err
		}
		return p, nil
	}
	if p.height, p.width, p.colorMode, err = predict.PictureInput(m, path, "goras predict"); err != nil {
		return nil, err
	}
	if out := m.OutputShape(); len(out) != 1 {
		return nil, fmt.Errorf("%s outputs shape %s; goras predict needs one probability per class, (classes)", path, tensor.ShapeString(out, true))
	}
	return p, nil
}

// openPredictor loads the model file, float32 or int8 (goras quantize's),
// and returns its predictor and the float32 model that loadPredictor's
// checks read: the model itself, or for an int8 one a float32 model of
// its input and output shapes, which is all the checks look at.
func openPredictor(path string) (*predictor, *goras.Model, error) {
	if err := checkModelFile(path); err != nil {
		return nil, nil, err
	}
	if quantize.IsQuantizedFile(path) {
		q, err := quantize.Load(path)
		if err != nil {
			return nil, nil, err
		}
		m := shapeModel(q.InputShape(), q.Classes())
		if err := m.Build(); err != nil {
			return nil, nil, err
		}
		return &predictor{path: path, names: q.ClassNames(), in: q.InputShape(), classes: q.Classes(), run: q.Predict}, m, nil
	}
	m, err := loadModel(path)
	if err != nil {
		return nil, nil, err
	}
	p := &predictor{path: path, names: m.ClassNames(), in: m.InputShape(),
		run: func(x *tensor.Tensor) (*tensor.Tensor, error) { return m.Predict(x, goras.Verbose(0)) }}
	if out := m.OutputShape(); len(out) == 1 {
		p.classes = out[0]
	}
	return p, m, nil
}

// shapeModel is a float32 model of the given per-sample input shape and
// number of outputs and nothing else, for the checks that read only
// those: the input averaged to one value, then a Dense to the outputs, so
// that its weights are 2·classes numbers whatever the input (Flatten then
// Dense took inputs·classes, 3 GB for a 9 MB int8 file of 2^20 classes).
func shapeModel(in []int, classes int) *goras.Model {
	n := 1
	for _, d := range in {
		n *= d
	}
	return goras.NewSequential(layers.Input(in...), layers.Reshape(n, 1, 1), layers.GlobalAveragePooling2D(), layers.Dense(classes))
}

// checkModelFile refuses a model path that is not a regular file (a
// directory has loadModel's own message): reading a named pipe waits for
// a writer, forever if none comes, and a device such as /dev/zero never
// ends.
func checkModelFile(path string) error {
	if st, err := os.Stat(path); err == nil && !st.IsDir() && !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (its mode is %v), not a model file; name a .safetensors file written by goras train --output, or an .onnx file", path, st.Mode())
	}
	return nil
}

// checkShow refuses --show for a model of colour pictures, which the digit
// grid cannot draw, before anything is predicted.
func (p *predictor) checkShow(show string) error {
	if show != "" && p.names != nil && p.colorMode != "grayscale" {
		return fmt.Errorf("--show draws grayscale pictures, and %s reads %s pictures of %d×%d; leave out --show", p.path, p.colorMode, p.height, p.width)
	}
	return nil
}

// predictFiles runs the model on the pictures and returns each readable
// one's top most likely classes, most likely first (named when the model
// names its classes), the pictures as the model saw them, and why each
// other picture could not be read. err is for what stops every
// prediction.
func (p *predictor) predictFiles(images []string, top int) (preds []predict.Prediction, x *tensor.Tensor, bad []error, err error) {
	var good []string
	var pixels []float32
	for _, file := range images {
		px, err := p.read(file)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		good = append(good, file)
		pixels = append(pixels, px...)
	}
	if len(good) == 0 {
		return nil, nil, bad, nil
	}
	classes := p.classes
	x, err = tensor.FromSlice(pixels, append([]int{len(good)}, p.in...)...)
	if err != nil {
		return nil, nil, nil, err // cannot happen: each picture is read at the input's size
	}
	probs, err := p.run(x)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, file := range good {
		row := probs.Data()[i*classes : (i+1)*classes]
		if err := predict.CheckProbabilities(row, "predict"); err != nil {
			return nil, nil, nil, fmt.Errorf("%s on %s: %w", p.path, file, err)
		}
		preds = append(preds, predict.Top(file, row, top).WithClassNames(p.names))
	}
	return preds, x, bad, nil
}

// read reads one picture as the model takes it: an MNIST digit, or for a
// model with class names the picture resized to its input.
func (p *predictor) read(path string) ([]float32, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a picture; name the pictures in it, e.g. %s", path, filepath.Join(path, "*.png"))
	} else if err == nil && !fi.Mode().IsRegular() {
		// Reading a named pipe waits for a writer, forever if none comes.
		return nil, fmt.Errorf("%s is not a regular file (its mode is %v), not a picture; name a PNG, JPEG or GIF file", path, fi.Mode())
	}
	if p.names == nil {
		px, err := mnist.LoadImage(path)
		if err != nil {
			return nil, errors.New(strings.TrimPrefix(err.Error(), "mnist: "))
		}
		return px, nil
	}
	px, err := imagefolder.LoadImage(path, imagefolder.ImageSize(p.height, p.width), imagefolder.ColorMode(p.colorMode))
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "imagefolder: "))
	}
	return px, nil
}

// writePredictions prints one line per picture:
// "seven.png: 7 (0.9812), 2 (0.0121), 3 (0.0032)", each class followed by
// its name when it has one, "boot.png: 9 Ankle boot (0.9650), ...".
func writePredictions(w io.Writer, preds []predict.Prediction) error {
	var b strings.Builder
	for _, p := range preds {
		parts := make([]string, len(p.Top))
		for i, t := range p.Top {
			name := ""
			if t.ClassName != "" {
				name = " " + t.ClassName
			}
			parts[i] = fmt.Sprintf("%d%s (%.4f)", t.Class, name, t.Probability)
		}
		fmt.Fprintf(&b, "%s: %s\n", p.File, strings.Join(parts, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePredictionsJSON prints a JSON array with one object per picture,
// each on its own line.
func writePredictionsJSON(w io.Writer, preds []predict.Prediction) error {
	var b strings.Builder
	b.WriteString("[")
	for i, p := range preds {
		line, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  ")
		b.Write(line)
	}
	b.WriteString("\n]\n")
	_, err := io.WriteString(w, b.String())
	return err
}
