package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// Cropping2DLayer is Keras's Cropping2D: it removes rows and columns from
// the sides of each channels-last image, (H, W, C) → (H-top-bottom,
// W-left-right, C). It has no weights.
type Cropping2DLayer struct {
	base
	crop [2][2]int // (top, bottom), (left, right)
}

// Cropping2D removes top rows from the top of each image, bottom from its
// bottom, left and right columns, as keras.layers.Cropping2D(((top,
// bottom), (left, right))). It takes only WithName.
func Cropping2D(top, bottom, left, right int, opts ...Option) *Cropping2DLayer {
	o, err := apply("Cropping2D", opts)
	if err == nil && (top < 0 || bottom < 0 || left < 0 || right < 0) {
		err = fmt.Errorf("Cropping2D needs amounts ≥ 0, got ((%d, %d), (%d, %d))", top, bottom, left, right)
	}
	return &Cropping2DLayer{base: base{name: o.name, err: err}, crop: [2][2]int{{top, bottom}, {left, right}}}
}

func (l *Cropping2DLayer) ClassName() string { return "Cropping2D" }

// Cropping is ((top, bottom), (left, right)).
func (l *Cropping2DLayer) Cropping() [2][2]int { return l.crop }

func (l *Cropping2DLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if len(input) != 3 {
		return nil, buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s)", shapeList(input))
	}
	h, w := input[0]-l.crop[0][0]-l.crop[0][1], input[1]-l.crop[1][0]-l.crop[1][1]
	if h <= 0 || w <= 0 {
		return nil, buildError(l, "cropping %v leaves nothing of a %dx%d image; crop less", sidesConfig(l.crop), input[0], input[1])
	}
	return []int{h, w, input[2]}, nil
}

func (l *Cropping2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.Pad2D(x, -l.crop[0][0], -l.crop[0][1], -l.crop[1][0], -l.crop[1][1])
}

func (l *Cropping2DLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "cropping": sidesConfig(l.crop), "data_format": "channels_last"}
}

func init() {
	Register("Cropping2D", func(c map[string]any) (Layer, error) {
		name, s, err := readSides("Cropping2D", "cropping", c)
		if err != nil {
			return nil, err
		}
		return Cropping2D(s[0][0], s[0][1], s[1][0], s[1][1], WithName(name)), nil
	})
}
