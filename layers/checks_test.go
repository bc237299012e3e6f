package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// Checks the layers' tests share beside the harness (harness_test.go): the
// config round trip, and Build's errors, in one copy so that every layer's
// tests check the same thing.

// checkRoundTrip: Config → JSON → FromConfig → Config gives the same class
// and the same JSON, whichever number form the JSON decoder produces
// (float64, or json.Number under UseNumber), as when a model file is read.
func checkRoundTrip(t *testing.T, ls ...Layer) {
	t.Helper()
	for _, l := range ls {
		want, err := json.Marshal(l.Config())
		if err != nil {
			t.Fatal(err)
		}
		for _, useNumber := range []bool{false, true} {
			back, err := FromConfig(l.ClassName(), decodeConfig(t, l.Config(), useNumber))
			if err != nil {
				t.Fatalf("%s %s: %v", l.ClassName(), want, err)
			}
			got, _ := json.Marshal(back.Config())
			if back.ClassName() != l.ClassName() || string(got) != string(want) {
				t.Errorf("%s round trip (json.Number %v):\n got %s %s\nwant %s", l.ClassName(), useNumber, back.ClassName(), got, want)
			}
		}
	}
}

// decodeConfig turns a config into JSON and back, as a model file does;
// useNumber picks the decoder's number form.
func decodeConfig(t *testing.T, cfg map[string]any, useNumber bool) map[string]any {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if useNumber {
		d.UseNumber()
	}
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// buildErrCase is a layer Build must refuse for input with an error saying
// want.
type buildErrCase struct {
	layer Layer
	input []int
	want  string
}

// checkBuildErrors: Build refuses each layer, named "under_test", with an
// error that names it and its class (buildError's prefix) and says want.
func checkBuildErrors(t *testing.T, cases []buildErrCase) {
	t.Helper()
	for _, c := range cases {
		c.layer.SetName("under_test")
		_, err := c.layer.Build(c.input, tensor.NewRNG(1))
		prefix := fmt.Sprintf("layer %q (%s)", "under_test", c.layer.ClassName())
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), prefix) {
			t.Errorf("%s.Build(%v) error %v, want one naming the layer and saying %q", c.layer.ClassName(), c.input, err, c.want)
		}
	}
}
