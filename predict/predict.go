package predict

import (
	"fmt"
	"math"
	"sort"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/tensor"
)

// Prediction is what a model reads in one picture. Its JSON is the output
// of `goras predict --json` and the studio's /api/predict, field for field:
//
//	{"file": "seven.png", "class": 7, "top": [{"class": 7, "probability": 0.9812}, ...]}
//
// and, for a model whose classes have names (goras.Model.ClassNames, set
// by WithClassNames), each class with its name:
//
//	{"file": "boot.png", "class": 9, "class_name": "Ankle boot", "top": [{"class": 9, "class_name": "Ankle boot", "probability": 0.97}, ...]}
type Prediction struct {
	// File names the picture.
	File string `json:"file"`
	// Class is the most likely class, the row's ArgMax.
	Class int `json:"class"`
	// ClassName is Class's name, "" (and left out of the JSON) when the
	// model's classes have none, as MNIST's digits, which name themselves.
	ClassName string `json:"class_name,omitempty"`
	// Top holds the most likely classes, most likely first.
	Top []Probability `json:"top"`
}

// Probability is one class's probability. It is float32, as the model
// computes it, so that JSON prints it in its shortest exact form
// (0.98123455), not float64's longer expansion of the same number.
type Probability struct {
	Class int `json:"class"`
	// ClassName is Class's name, "" (and left out of the JSON) when none.
	ClassName   string  `json:"class_name,omitempty"`
	Probability float32 `json:"probability"`
}

// WithClassNames returns p with the name of its class and of each class in
// Top filled in from names, index i naming class i, as
// goras.Model.ClassNames gives them; nil names (a model without them)
// leave p as it is. A class past the end of names keeps no name.
func (p Prediction) WithClassNames(names []string) Prediction {
	if names == nil {
		return p
	}
	name := func(c int) string {
		if c >= 0 && c < len(names) {
			return names[c]
		}
		return ""
	}
	p.ClassName = name(p.Class)
	top := make([]Probability, len(p.Top))
	for i, t := range p.Top {
		t.ClassName = name(t.Class)
		top[i] = t
	}
	p.Top = top
	return p
}

// Top is the prediction of row, a picture's class probabilities: its k most
// likely classes (all of them when k ≥ len(row)), most likely first, equal
// probabilities in class order, so that Class is tensor.ArgMaxRow(row); none
// for k ≤ 0. As ArgMaxRow (and NumPy's argmax) it counts NaN as larger than
// every number: a row of a model gone NaN lists its NaNs first, in class
// order, then its numbers from +Inf down to -Inf (-0 and 0 are equal). It
// panics on an empty row, which no model outputs.
func Top(file string, row []float32, k int) Prediction {
	k = max(k, 0) // a negative k made the slices below panic
	order := make([]int, len(row))
	for c := range order {
		order[c] = c
	}
	sort.SliceStable(order, func(a, b int) bool { return above(row[order[a]], row[order[b]]) })
	p := Prediction{File: file, Class: order[0], Top: make([]Probability, 0, min(k, len(row)))}
	for _, c := range order[:min(k, len(row))] {
		p.Top = append(p.Top, Probability{Class: c, Probability: row[c]})
	}
	return p
}

// above reports whether a ranks before b in Top: a is NaN and b is not, or
// both are numbers and a > b. With a plain a > b NaN compares false both
// ways, and where a sort puts it is unspecified.
func above(a, b float32) bool {
	if a != a {
		return b == b
	}
	return a > b
}

// CheckProbabilities makes sure a model's output row is a probability
// distribution, as softmax gives: every value in [0, 1] and the sum 1
// within float32 rounding (1e-3). The error says what the row holds and
// that reader, which reads the digits (e.g. "goras predict", "the studio"),
// needs a model ending in softmax.
func CheckProbabilities(row []float32, reader string) error {
	sum := 0.0
	for _, v := range row {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("the model's outputs are not probabilities (one is %v); %s needs a model ending in softmax", v, reader)
		}
		sum += float64(v)
	}
	if math.Abs(sum-1) > 1e-3 {
		return fmt.Errorf("the model's outputs sum to %.4f, not 1; %s needs a model ending in softmax", sum, reader)
	}
	return nil
}

// digitShapes are the per-sample input shapes a model reading MNIST's
// 28×28 digits may take.
var digitShapes = [][]int{{28, 28}, {28, 28, 1}, {784}}

// CheckModel makes sure m reads 28×28 grayscale digits: its input is
// (28, 28), (28, 28, 1) or (784), and its output one value per class,
// (classes). An unbuilt model is built first (a loaded one is built). The
// error starts with model, the model's name for the user (a file,
// `model "lenet5"`), and says what reader needs, e.g.
//
//	big.safetensors takes inputs of shape (None, 32, 32); goras predict reads 28×28 grayscale digits, so the model must take (28, 28), (28, 28, 1) or (784)
func CheckModel(m *goras.Model, model, reader string) error {
	if err := m.Build(); err != nil {
		return fmt.Errorf("%s: %w", model, err)
	}
	in := m.InputShape()
	digits := false
	for _, s := range digitShapes {
		digits = digits || tensor.SameShape(in, s)
	}
	if !digits {
		return fmt.Errorf("%s takes inputs of shape %s; %s reads 28×28 grayscale digits, "+
			"so the model must take (28, 28), (28, 28, 1) or (784)", model, tensor.ShapeString(in, true), reader)
	}
	if out := m.OutputShape(); len(out) != 1 || out[0] < 1 {
		return fmt.Errorf("%s outputs shape %s; %s needs one probability per class, (classes)", model, tensor.ShapeString(out, true), reader)
	}
	return nil
}

// colorModes are the colour modes of datasets/imagefolder by channel count.
var colorModes = map[int]string{1: "grayscale", 3: "rgb", 4: "rgba"}

// PictureInput says how m, built, takes pictures: the height, width and
// colour mode (datasets/imagefolder's "grayscale", "rgb" or "rgba") of an
// input of shape (height, width), (height, width, 1), (…, 3) or (…, 4). It
// is what `goras train --data` resizes a folder's pictures to unless told
// otherwise, and `goras predict` a picture for a model with class names.
// Any other input, such as MNIST's flat (784), is an error that starts with
// model, the model's name for the user, and says what reader needs.
func PictureInput(m *goras.Model, model, reader string) (height, width int, colorMode string, err error) {
	if err := m.Build(); err != nil {
		return 0, 0, "", fmt.Errorf("%s: %w", model, err)
	}
	in := m.InputShape()
	switch {
	case len(in) == 2:
		return in[0], in[1], "grayscale", nil
	case len(in) == 3 && colorModes[in[2]] != "":
		return in[0], in[1], colorModes[in[2]], nil
	}
	return 0, 0, "", fmt.Errorf("%s takes inputs of shape %s, not pictures; %s needs a model taking (height, width) or (height, width, channels) with 1, 3 or 4 channels",
		model, tensor.ShapeString(in, true), reader)
}
