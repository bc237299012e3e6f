package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/goras-ml/goras/autograd"
)

// ZeroPadding2DLayer is Keras's ZeroPadding2D: rows and columns of zeros
// around each channels-last image, (H, W, C) → (H+top+bottom,
// W+left+right, C). It has no weights.
type ZeroPadding2DLayer struct {
	base
	pad [2][2]int // (top, bottom), (left, right)
}

// ZeroPadding2D pads each image with top rows of zeros above, bottom
// below, left and right columns, as keras.layers.ZeroPadding2D(((top,
// bottom), (left, right))). It takes only WithName.
func ZeroPadding2D(top, bottom, left, right int, opts ...Option) *ZeroPadding2DLayer {
	o, err := apply("ZeroPadding2D", opts)
	if err == nil && (top < 0 || bottom < 0 || left < 0 || right < 0) {
		err = fmt.Errorf("ZeroPadding2D needs paddings ≥ 0, got ((%d, %d), (%d, %d))", top, bottom, left, right)
	}
	return &ZeroPadding2DLayer{base: base{name: o.name, err: err}, pad: [2][2]int{{top, bottom}, {left, right}}}
}

func (l *ZeroPadding2DLayer) ClassName() string { return "ZeroPadding2D" }

// Padding is ((top, bottom), (left, right)).
func (l *ZeroPadding2DLayer) Padding() [2][2]int { return l.pad }

func (l *ZeroPadding2DLayer) Build(input []int, _ *rand.Rand) ([]int, error) {
	if l.err != nil {
		return nil, buildError(l, "%v", l.err)
	}
	if len(input) != 3 {
		return nil, buildError(l, "expects images of shape (height, width, channels), got input of shape (None, %s)", shapeList(input))
	}
	return []int{input[0] + l.pad[0][0] + l.pad[0][1], input[1] + l.pad[1][0] + l.pad[1][1], input[2]}, nil
}

func (l *ZeroPadding2DLayer) Call(p *autograd.Plan, x *autograd.Var) *autograd.Var {
	return p.Pad2D(x, l.pad[0][0], l.pad[0][1], l.pad[1][0], l.pad[1][1])
}

func (l *ZeroPadding2DLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "padding": sidesConfig(l.pad), "data_format": "channels_last"}
}

func sidesConfig(s [2][2]int) []any {
	return []any{[]any{s[0][0], s[0][1]}, []any{s[1][0], s[1][1]}}
}

func init() {
	Register("ZeroPadding2D", func(c map[string]any) (Layer, error) {
		name, s, err := readSides("ZeroPadding2D", "padding", c)
		if err != nil {
			return nil, err
		}
		return ZeroPadding2D(s[0][0], s[0][1], s[1][0], s[1][1], WithName(name)), nil
	})
}

// readSides reads the config of ZeroPadding2D or Cropping2D: the name and
// the amounts under key (see parseSides).
func readSides(class, key string, config map[string]any) (string, [2][2]int, error) {
	r := NewConfigReader(class, config)
	r.Require(key)
	name := r.Name()
	v, _ := r.get(key)
	r.Accept("data_format", "channels_last")
	if err := r.Err(); err != nil {
		return "", [2][2]int{}, err
	}
	s, err := parseSides(class, key, v)
	return name, s, err
}

// parseSides reads amounts for the four sides of an image as Keras takes
// them: one integer for every side, (rows, columns) for both sides of each,
// or ((top, bottom), (left, right)).
func parseSides(class, key string, v any) ([2][2]int, error) {
	bad := fmt.Errorf("layers: %s config: %q must be an integer, [rows, columns] or [[top, bottom], [left, right]], got %s", class, key, configShow(v))
	if n, ok := configInt(v); ok {
		return [2][2]int{{n, n}, {n, n}}, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) != 2 {
		return [2][2]int{}, bad
	}
	var s [2][2]int
	for i, e := range list {
		if n, ok := configInt(e); ok {
			s[i] = [2]int{n, n}
			continue
		}
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			return s, bad
		}
		for j, f := range pair {
			if s[i][j], ok = configInt(f); !ok {
				return s, bad
			}
		}
	}
	return s, nil
}
