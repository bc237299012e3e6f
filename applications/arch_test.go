package applications

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goras-ml/goras/layers"
	"github.com/goras-ml/goras/regularizers"
)

// classes lists the layers' class names, with Dropout's rate.
func classes(ls []layers.Layer) string {
	var s []string
	for _, l := range ls {
		name := l.ClassName()
		if name == "Dropout" {
			name = fmt.Sprintf("Dropout(%v)", l.Config()["rate"])
		}
		s = append(s, name)
	}
	return strings.Join(s, " ")
}

func TestSetDropout(t *testing.T) {
	for _, c := range []struct {
		name string
		ls   []layers.Layer
		rate float64
		want string
	}{
		// Never on the pixels: the first Dense follows Flatten of the input.
		{"mlp", MLP(), 0.3, "InputLayer Flatten Dense Dropout(0.3) Dense"},
		{"lenet5", LeNet5(), 0.5, "InputLayer Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dropout(0.5) Dense Dropout(0.5) Dense Dropout(0.5) Dense"},
		// keras-convnet's own Dropout(0.5) is replaced, not doubled ...
		{"keras-convnet", KerasConvnet(), 0.2, "InputLayer Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dropout(0.2) Dense"},
		// ... and rate 0 removes it.
		{"keras-convnet 0", KerasConvnet(), 0, "InputLayer Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dense"},
		{"mlp 0", MLP(), 0, "InputLayer Flatten Dense Dense"},
	} {
		if got := classes(SetDropout(c.ls, c.rate)); got != c.want {
			t.Errorf("%s: %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestSetKernelRegularizer(t *testing.T) {
	ls := LeNet5()
	out, err := SetKernelRegularizer(ls, regularizers.L2(0.0005))
	if err != nil {
		t.Fatal(err)
	}
	if classes(out) != classes(ls) {
		t.Fatalf("layers changed: %s, want %s", classes(out), classes(ls))
	}
	for i, l := range out {
		reg := l.Config()["kernel_regularizer"]
		switch l.ClassName() {
		case "Dense", "Conv2D":
			cfg, _ := reg.(map[string]any)
			inner, _ := cfg["config"].(map[string]any)
			if cfg["class_name"] != "L2" || fmt.Sprint(inner["l2"]) != "0.0005" {
				t.Errorf("layer %d (%s): kernel_regularizer %v, want L2(0.0005)", i, l.ClassName(), reg)
			}
			// Every other setting is the network's.
			a, b := l.Config(), ls[i].Config()
			delete(a, "kernel_regularizer")
			delete(b, "kernel_regularizer")
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("layer %d (%s): config %v, want %v", i, l.ClassName(), a, b)
			}
		default:
			if l != ls[i] {
				t.Errorf("layer %d (%s) was rebuilt", i, l.ClassName())
			}
		}
	}
}
