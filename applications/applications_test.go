package applications

import (
	"slices"
	"strings"
	"testing"
)

// Every network builds with the weight count its description states
// (Keras's counts: LeNet-5 61,706, the keras.io convnet 34,826, ...).
func TestZooBuildsWithItsParameterCounts(t *testing.T) {
	want := map[string]int{"mlp": 39760, "lenet5": 61706, "keras-convnet": 34826, "best": 862634, "best-long": 862634, "fast": 207450, "fashion": 422314, "sprint": 862634}
	if got := Names(); !slices.Equal(got, []string{"best", "best-long", "fashion", "fast", "keras-convnet", "lenet5", "mlp", "sprint"}) {
		t.Fatalf("Names() = %v", got)
	}
	for name, n := range want {
		s, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.New(1)
		if err != nil {
			t.Fatal(err)
		}
		// BatchNormalization's moving statistics count too, as in Keras.
		if got := m.CountParams(); got != n && !(s.Recipe != nil && got > n) {
			t.Errorf("%s: %d weights, want %d", name, got, n)
		}
		if !strings.Contains(s.Description, "batch") && s.Recipe == nil {
			t.Errorf("%s: the description does not say how it trains", name)
		}
	}
	if _, err := Get("resnet"); err == nil || !strings.Contains(err.Error(), "known models: best, best-long, fashion, fast, keras-convnet, lenet5, mlp") {
		t.Errorf("unknown name: %v", err)
	}
}
