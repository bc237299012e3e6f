package applications

import (
	"slices"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
)

// NewFor fits each network to another input and class count; the weight
// counts are worked out by hand from the layers' sizes.
func TestNewFor(t *testing.T) {
	cases := []struct {
		name    string
		input   []int
		classes int
		weights int
	}{
		// 16·16·3 = 768 → 50 → 3: 768·50 + 50 + 50·3 + 3.
		{"mlp", []int{16, 16, 3}, 3, 38603},
		// conv 5·5·3·6 + 6 = 456 on 32×32 (same) → pool 16×16 → conv 5·5·6·16 + 16
		// = 2,416 → 12×12 → pool 6×6×16 = 576 → 576·120 + 120 = 69,240 →
		// 120·84 + 84 = 10,164 → 84·5 + 5 = 425.
		{"lenet5", []int{32, 32, 3}, 5, 82701},
		// conv 3·3·3·32 + 32 = 896 → 14×14 → pool 7×7 → conv 3·3·32·64 + 64 =
		// 18,496 → 5×5 → pool 2×2×64 = 256 → 256·4 + 4 = 1,028.
		{"keras-convnet", []int{16, 16, 3}, 4, 20420},
	}
	for _, c := range cases {
		s, err := Get(c.name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.NewFor(1, c.input, c.classes)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(m.InputShape(), c.input) || !slices.Equal(m.OutputShape(), []int{c.classes}) {
			t.Errorf("%s: input %v, output %v; want %v and [%d]", c.name, m.InputShape(), m.OutputShape(), c.input, c.classes)
		}
		if got := m.CountParams(); got != c.weights {
			t.Errorf("%s: %d weights, want %d", c.name, got, c.weights)
		}
		ls := m.Layers()
		if act := ls[len(ls)-1].Config()["activation"]; act != "softmax" {
			t.Errorf("%s: the rebuilt last Dense has activation %v, want softmax kept", c.name, act)
		}
		// The zoo's own network is untouched.
		if orig, _ := s.New(1); orig.CountParams() == c.weights || orig.OutputShape()[0] != 10 {
			t.Errorf("%s: New after NewFor gives %d weights, output %v", c.name, orig.CountParams(), orig.OutputShape())
		}
	}
}

// A network too small for its convolutions says which layer fails and the
// smallest size it takes (LeNet-5: 12 → pool 6 → conv 5 valid 2 → pool 1).
func TestNewForTooSmall(t *testing.T) {
	cases := []struct{ name, want string }{
		{"lenet5", "the smallest square pictures it takes are 12×12"},
		{"keras-convnet", "the smallest square pictures it takes are 10×10"},
	}
	for _, c := range cases {
		s, _ := Get(c.name)
		_, err := s.NewFor(1, []int{8, 8, 3}, 3)
		if err == nil {
			t.Fatalf("%s on 8×8: no error", c.name)
		}
		for _, want := range []string{"applications: " + c.name + " cannot take inputs of shape (None, 8, 8, 3): layer ", c.want} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q lacks %q", c.name, err, want)
			}
		}
	}
}

func TestSetShapeErrors(t *testing.T) {
	mlp := MLP()
	cases := []struct {
		ls      []layers.Layer
		input   []int
		classes int
		want    string
	}{
		{mlp, []int{16, 0, 3}, 3, "input shape (16, 0, 3): want one or more sizes ≥ 1"},
		{mlp, nil, 3, "input shape (): want one or more sizes ≥ 1"},
		{mlp, []int{16, 16, 3}, 0, "0 classes: want at least 1"},
		{mlp[1:], []int{16, 16, 3}, 3, "the first layer is a Flatten, not an Input"},
		{[]layers.Layer{layers.Input(4), layers.Flatten()}, []int{4}, 3, "no Dense layer whose units are the classes"},
	}
	for _, c := range cases {
		if _, err := SetShape(c.ls, c.input, c.classes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetShape(%v, %d): %v, want %q", c.input, c.classes, err, c.want)
		}
	}
}
