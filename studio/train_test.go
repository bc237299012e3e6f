package studio

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The run settings' dropout and l2 change the network as goras train's
// --dropout and --l2 do; 0 leaves it as it is.
func TestTrainSettingsLayers(t *testing.T) {
	for _, c := range []struct {
		settings TrainSettings
		want     string
	}{
		{TrainSettings{Network: "keras-convnet"}, "InputLayer Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dropout(0.5) Dense"},
		{TrainSettings{Network: "keras-convnet", Dropout: 0.25}, "InputLayer Conv2D MaxPooling2D Conv2D MaxPooling2D Flatten Dropout(0.25) Dense"},
		{TrainSettings{Network: "mlp", Dropout: 0.2, L2: 0.001}, "InputLayer Flatten Dense+L2(0.001) Dropout(0.2) Dense+L2(0.001)"},
	} {
		spec, err := c.settings.resolve(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ls, err := c.settings.layers(spec)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range ls {
			cfg := l.Config()
			s := l.ClassName()
			if s == "Dropout" {
				s += fmt.Sprintf("(%v)", cfg["rate"])
			}
			if reg, ok := cfg["kernel_regularizer"].(map[string]any); ok {
				s += fmt.Sprintf("+%v(%v)", reg["class_name"], reg["config"].(map[string]any)["l2"])
			}
			got = append(got, s)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%+v:\n got %s\nwant %s", c.settings, g, c.want)
		}
	}
}
