package onnx

import (
	"fmt"
	"math"

	"github.com/goras-ml/goras/activations"
	"github.com/goras-ml/goras/autograd"
)

// activate applies the activation of goras's name to x. Softmax and
// LogSoftmax work on the last axis of goras's layout, which is axis 1 of a
// channels-first image (nchw); the others are element-wise.
func (g *Graph) activate(name, x string, nchw bool) (string, error) {
	axis := -1
	if nchw {
		axis = 1
	}
	switch name {
	case "linear", "":
		return x, nil
	case "relu":
		return g.Node("Relu", []string{x}), nil
	case "sigmoid":
		return g.Node("Sigmoid", []string{x}), nil
	case "tanh":
		return g.Node("Tanh", []string{x}), nil
	case "softplus":
		return g.Node("Softplus", []string{x}), nil
	case "softmax":
		return g.Node("Softmax", []string{x}, AttrInt("axis", axis)), nil
	case "log_softmax":
		return g.Node("LogSoftmax", []string{x}, AttrInt("axis", axis)), nil
	case "leaky_relu":
		return g.Node("LeakyRelu", []string{x}, AttrFloat("alpha", activations.LeakyReLUSlope)), nil
	case "elu":
		return g.Node("Elu", []string{x}, AttrFloat("alpha", activations.ELUAlpha)), nil
	case "selu":
		return g.Node("Selu", []string{x}, AttrFloat("alpha", autograd.SELUAlpha), AttrFloat("gamma", autograd.SELUScale)), nil
	case "silu", "swish":
		return g.Node("Mul", []string{x, g.Node("Sigmoid", []string{x})}), nil
	case "gelu":
		// x·(1 + erf(x/√2))/2, the exact GELU (ONNX's Gelu operator
		// arrives only in opset 20).
		e := g.Node("Erf", []string{g.Node("Div", []string{x, g.scalar("sqrt2", math.Sqrt2)})})
		y := g.Node("Mul", []string{x, g.Node("Add", []string{e, g.scalar("one", 1)})})
		return g.Node("Mul", []string{y, g.scalar("half", 0.5)}), nil
	}
	return "", fmt.Errorf("activation %q has no ONNX export; exported activations: linear, relu, sigmoid, tanh, softmax, log_softmax, leaky_relu, elu, selu, gelu, silu, softplus", name)
}

// scalar adds a float32 scalar initializer named after the layer.
func (g *Graph) scalar(name string, v float32) string {
	return g.addFloats(g.prefix+"/"+name, []float32{v}, nil)
}

// Readers of a layer's Keras config. Configs made by goras's layers hold
// Go ints, floats, strings and []any; after a trip through JSON, numbers
// are float64. A missing or mistyped key is an error naming it.

func cfgString(cfg map[string]any, key string) (string, error) {
	v, ok := cfg[key].(string)
	if !ok {
		return "", fmt.Errorf("config %q should be a string, got %v (%T)", key, cfg[key], cfg[key])
	}
	return v, nil
}

func cfgFloat(cfg map[string]any, key string) (float64, error) {
	switch v := cfg[key].(type) {
	case float64:
		return v, nil
	case float32:
		return float64(v), nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	}
	return 0, fmt.Errorf("config %q should be a number, got %v (%T)", key, cfg[key], cfg[key])
}

func cfgInt(cfg map[string]any, key string) (int, error) {
	f, err := cfgFloat(cfg, key)
	if err != nil || f != math.Trunc(f) {
		return 0, fmt.Errorf("config %q should be an integer, got %v (%T)", key, cfg[key], cfg[key])
	}
	return int(f), nil
}

func cfgInts(cfg map[string]any, key string) ([]int, error) {
	switch v := cfg[key].(type) {
	case []int:
		return v, nil
	case []any:
		out := make([]int, len(v))
		for i, x := range v {
			n, err := cfgInt(map[string]any{key: x}, key)
			if err != nil {
				return nil, fmt.Errorf("config %q should be a list of integers, got %v", key, v)
			}
			out[i] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("config %q should be a list of integers, got %v (%T)", key, cfg[key], cfg[key])
}
