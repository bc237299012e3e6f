package predict

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/tensor"
)

func TestTop(t *testing.T) {
	row := []float32{0.1, 0.3, 0.05, 0.3, 0.25}
	p := Top("a.png", row, 3)
	// Classes 1 and 3 tie: class order, as ArgMax, so class 1 is read.
	want := []Probability{{Class: 1, Probability: 0.3}, {Class: 3, Probability: 0.3}, {Class: 4, Probability: 0.25}}
	if p.File != "a.png" || p.Class != 1 || len(p.Top) != 3 {
		t.Fatalf("Top = %+v", p)
	}
	for i := range want {
		if p.Top[i] != want[i] {
			t.Errorf("Top[%d] = %+v, want %+v", i, p.Top[i], want[i])
		}
	}
	if p.Class != tensor.ArgMaxRow(row) {
		t.Errorf("Class %d, ArgMaxRow %d", p.Class, tensor.ArgMaxRow(row))
	}
	if all := Top("b", row, 99); len(all.Top) != len(row) || all.Top[4] != (Probability{Class: 2, Probability: 0.05}) {
		t.Errorf("k beyond the classes: %+v", all.Top)
	}
	// k ≤ 0 (an unchecked --top, a pipeline's option) used to panic
	// (makeslice: cap out of range) for k < 0: now no classes, as k = 0.
	for _, k := range []int{0, -1} {
		if p := Top("c", row, k); p.Class != 1 || len(p.Top) != 0 {
			t.Errorf("k = %d: %+v, want class 1 and no Top", k, p)
		}
	}
}

// The JSON is goras predict --json's: its field names and order, and
// float32 probabilities in their shortest form.
func TestPredictionJSON(t *testing.T) {
	b, err := json.Marshal(Top("seven.png", []float32{0.0121, 0.9812, 0.0067}, 2))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"file":"seven.png","class":1,"top":[{"class":1,"probability":0.9812},{"class":0,"probability":0.0121}]}`
	if string(b) != want {
		t.Errorf("JSON\n%s\nwant\n%s", b, want)
	}
}

func TestCheckProbabilities(t *testing.T) {
	for _, c := range []struct {
		row  []float32
		want string // "" for no error
	}{
		{[]float32{0.25, 0.75}, ""},
		{[]float32{1, 0, 0}, ""},
		{[]float32{0.3333, 0.3333, 0.3336}, ""},
		{[]float32{0.5, 0.4995}, ""}, // 1e-3 off after float32 rounding: still a distribution
		{[]float32{-0.1, 1.1}, "the model's outputs are not probabilities (one is -0.1); goras predict needs a model ending in softmax"},
		{[]float32{float32(math.NaN()), 1}, "(one is NaN)"},
		{[]float32{3, 0.5}, "(one is 3)"},
		{[]float32{0.5, 0.6}, "the model's outputs sum to 1.1000, not 1; goras predict needs a model ending in softmax"},
		{[]float32{0.1, 0.1}, "sum to 0.2000"},
	} {
		err := CheckProbabilities(c.row, "goras predict")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.row, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want one holding %q", c.row, err, c.want)
		}
	}
}

func TestCheckModel(t *testing.T) {
	softmax := layers.WithActivation("softmax")
	for _, c := range []struct {
		name string
		ls   []layers.Layer
		want string
	}{
		{"mlp", []layers.Layer{layers.Input(28, 28), layers.Flatten(), layers.Dense(10, softmax)}, ""},
		{"cnn", []layers.Layer{layers.Input(28, 28, 1), layers.Flatten(), layers.Dense(10, softmax)}, ""},
		{"flat", []layers.Layer{layers.Input(784), layers.Dense(3, softmax)}, ""},
		{"big.safetensors", []layers.Layer{layers.Input(32, 32), layers.Flatten(), layers.Dense(10, softmax)},
			"big.safetensors takes inputs of shape (None, 32, 32); the studio reads 28×28 grayscale digits, so the model must take (28, 28), (28, 28, 1) or (784)"},
		{`model "maps"`, []layers.Layer{layers.Input(28, 28, 1), layers.Conv2D(4, 3)},
			`model "maps" outputs shape (None, 26, 26, 4); the studio needs one probability per class, (classes)`},
		{"broken", []layers.Layer{layers.Input(28, 28), layers.Dense(10)}, "broken: goras: layer \"dense\" (Dense)"},
	} {
		err := CheckModel(goras.NewSequential(c.ls...), c.name, "the studio")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want && (c.want == "" || !strings.HasPrefix(got, c.want)) {
			t.Errorf("%s: error %q, want %q", c.name, got, c.want)
		}
	}
}

// A model with class names answers with them, in the struct and the JSON;
// one without keeps the JSON as it was.
func TestWithClassNames(t *testing.T) {
	row := []float32{0.1, 0.7, 0.2}
	p := Top("boot.png", row, 2)
	named := p.WithClassNames([]string{"bag", "ankle boot", "sandal"})
	if named.ClassName != "ankle boot" || named.Top[0].ClassName != "ankle boot" || named.Top[1].ClassName != "sandal" {
		t.Errorf("WithClassNames: %+v", named)
	}
	if p.Top[0].ClassName != "" {
		t.Errorf("WithClassNames changed the prediction it was called on: %+v", p)
	}
	b, err := json.Marshal(named)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"file":"boot.png","class":1,"class_name":"ankle boot","top":[{"class":1,"class_name":"ankle boot","probability":0.7},{"class":2,"class_name":"sandal","probability":0.2}]}`
	if string(b) != want {
		t.Errorf("JSON\n%s\nwant\n%s", b, want)
	}
	b, _ = json.Marshal(p.WithClassNames(nil))
	if want := `{"file":"boot.png","class":1,"top":[{"class":1,"probability":0.7},{"class":2,"probability":0.2}]}`; string(b) != want {
		t.Errorf("without names, JSON\n%s\nwant\n%s", b, want)
	}
	if short := p.WithClassNames([]string{"bag"}); short.ClassName != "" || short.Top[1].ClassName != "" {
		t.Errorf("classes past the names got names: %+v", short)
	}
}

func TestPictureInput(t *testing.T) {
	cases := []struct {
		input []int
		h, w  int
		mode  string
		err   string
	}{
		{[]int{28, 28}, 28, 28, "grayscale", ""},
		{[]int{28, 28, 1}, 28, 28, "grayscale", ""},
		{[]int{16, 24, 3}, 16, 24, "rgb", ""},
		{[]int{8, 8, 4}, 8, 8, "rgba", ""},
		{[]int{784}, 0, 0, "", "m.safetensors takes inputs of shape (None, 784), not pictures; goras predict needs a model taking (height, width) or (height, width, channels) with 1, 3 or 4 channels"},
		{[]int{8, 8, 2}, 0, 0, "", "takes inputs of shape (None, 8, 8, 2), not pictures"},
	}
	for _, c := range cases {
		m := goras.NewSequential(layers.Input(c.input...), layers.Flatten(), layers.Dense(2))
		h, w, mode, err := PictureInput(m, "m.safetensors", "goras predict")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: %v, want %q", c.input, err, c.err)
			}
			continue
		}
		if err != nil || h != c.h || w != c.w || mode != c.mode {
			t.Errorf("%v: %d, %d, %q, %v; want %d, %d, %q", c.input, h, w, mode, err, c.h, c.w, c.mode)
		}
	}
}
