package layers

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNilInitializerIsAnError gives each layer that takes an initializer
// option a nil one: Build and ParamShapes must return an error naming the
// layer and the option, and Config must not panic. Conv2D's Build panicked
// on WithBiasInitializer(nil).
func TestNilInitializerIsAnError(t *testing.T) {
	img, vec, seq := []int{6, 6, 2}, []int{4}, []int{8, 2}
	for _, c := range []struct {
		option string
		layer  Layer
		input  []int
	}{
		{"WithKernelInitializer", Dense(3, WithName("x"), WithKernelInitializer(nil)), vec},
		{"WithBiasInitializer", Dense(3, WithName("x"), WithBiasInitializer(nil)), vec},
		{"WithKernelInitializer", Conv2D(3, 3, WithName("x"), WithKernelInitializer(nil)), img},
		{"WithBiasInitializer", Conv2D(3, 3, WithName("x"), WithBiasInitializer(nil)), img},
		{"WithKernelInitializer", Conv1D(3, 3, WithName("x"), WithKernelInitializer(nil)), seq},
		{"WithBiasInitializer", Conv1D(3, 3, WithName("x"), WithBiasInitializer(nil)), seq},
		{"WithKernelInitializer", Conv2DTranspose(3, 3, WithName("x"), WithKernelInitializer(nil)), img},
		{"WithBiasInitializer", Conv2DTranspose(3, 3, WithName("x"), WithBiasInitializer(nil)), img},
		{"WithKernelInitializer", DepthwiseConv2D(3, WithName("x"), WithKernelInitializer(nil)), img},
		{"WithBiasInitializer", DepthwiseConv2D(3, WithName("x"), WithBiasInitializer(nil)), img},
		{"WithDepthwiseInitializer", SeparableConv2D(3, 3, WithName("x"), WithDepthwiseInitializer(nil)), img},
		{"WithPointwiseInitializer", SeparableConv2D(3, 3, WithName("x"), WithPointwiseInitializer(nil)), img},
		{"WithBiasInitializer", SeparableConv2D(3, 3, WithName("x"), WithBiasInitializer(nil)), img},
		{"WithBetaInitializer", BatchNormalization(WithName("x"), WithBetaInitializer(nil)), img},
		{"WithGammaInitializer", BatchNormalization(WithName("x"), WithGammaInitializer(nil)), img},
		{"WithMovingMeanInitializer", BatchNormalization(WithName("x"), WithMovingMeanInitializer(nil)), img},
		{"WithMovingVarianceInitializer", BatchNormalization(WithName("x"), WithMovingVarianceInitializer(nil)), img},
		{"WithBetaInitializer", LayerNormalization(WithName("x"), WithBetaInitializer(nil)), vec},
		{"WithGammaInitializer", LayerNormalization(WithName("x"), WithGammaInitializer(nil)), vec},
		{"WithAlphaInitializer", PReLU(WithName("x"), WithAlphaInitializer(nil)), vec},
	} {
		what := fmt.Sprintf("%s(%s(nil))", c.layer.ClassName(), c.option)
		want := []string{`layer "x" (` + c.layer.ClassName() + ")", c.option + "(nil)"}
		check := func(step string, f func() error) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: %s panicked: %v", what, step, r)
				}
			}()
			err := f()
			if err == nil {
				t.Errorf("%s: %s gave no error", what, step)
				return
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: %s: error %q does not say %q", what, step, err, w)
				}
			}
		}
		if ps, ok := c.layer.(ParamShaper); ok {
			check("ParamShapes", func() error { _, _, err := ps.ParamShapes(c.input); return err })
		}
		check("Build", func() error { _, err := c.layer.Build(c.input, rand.New(rand.NewPCG(1, 2))); return err })
		check("Config", func() error { c.layer.Config(); return fmt.Errorf("%s %s", want[0], want[1]) })
	}
}
