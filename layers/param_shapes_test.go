package layers

import (
	"slices"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// Every layer that tells its weights' shapes without making them tells
// the ones Build makes, in Params' order.
func TestParamShapesMatchBuild(t *testing.T) {
	cases := []struct {
		l     Layer
		input []int
	}{
		{Dense(7), []int{5}},
		{Dense(3, WithUseBias(false)), []int{4}},
		{Conv2D(6, 5, WithPadding("same")), []int{12, 12, 2}},
		{Conv2D(4, 3, WithStrides(2), WithUseBias(false)), []int{9, 8, 3}},
		{BatchNormalization(), []int{6, 6, 5}},
	}
	for i, c := range cases {
		c.l.SetName("l")
		ps, out, err := c.l.(ParamShaper).ParamShapes(c.input)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.l.Build(c.input, tensor.NewRNG(1))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out, got) {
			t.Errorf("case %d (%s): ParamShapes' output %v, Build's %v", i, c.l.ClassName(), out, got)
		}
		params := c.l.Params()
		if len(params) != len(ps) {
			t.Fatalf("case %d (%s): %d shapes for %d weights", i, c.l.ClassName(), len(ps), len(params))
		}
		for j, p := range params {
			if p.Name != ps[j].Name || !slices.Equal(p.Value.Shape(), ps[j].Shape) {
				t.Errorf("case %d: weight %s %v, ParamShapes says %s %v", i, p.Name, p.Value.Shape(), ps[j].Name, ps[j].Shape)
			}
		}
	}
}
