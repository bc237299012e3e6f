package callbacks

import (
	"math"
	"strings"
	"testing"

	"github.com/goras-ml/goras"
)

// TestPyRepr holds pyRepr against Python's repr(float) for each case
// (values from CPython 3).
func TestPyRepr(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0.0", 1: "1.0", -2: "-2.0", 0.5: "0.5", 0.1: "0.1", 1.0 / 3: "0.3333333333333333",
		0.0001: "0.0001", 0.00012: "0.00012", 1e-05: "1e-05", 1.5e-7: "1.5e-07",
		123456.0: "123456.0", 1e15: "1000000000000000.0", 1e16: "1e+16", 2.5e17: "2.5e+17",
		float64(float32(0.001)): "0.0010000000474974513", math.Inf(1): "inf", math.Inf(-1): "-inf",
	} {
		if got := pyRepr(v); got != want {
			t.Errorf("pyRepr(%v) = %q, want %q", v, got, want)
		}
	}
	if pyRepr(math.NaN()) != "nan" {
		t.Error("NaN")
	}
}

// TestTemplate holds the file name templates against Python's str.format
// (expected strings from CPython 3).
func TestTemplate(t *testing.T) {
	logs := goras.Logs{"val_loss": 0.123456, "loss": 2.5, "acc": 0.98765, "neg": -1.5}
	for tmpl, want := range map[string]string{
		"model.safetensors":                              "model.safetensors",
		"{epoch:02d}-{val_loss:.2f}.safetensors":         "07-0.12.safetensors",
		"ck/{epoch}/{val_loss}":                          "ck/7/0.123456",
		"{epoch:03d}_{loss:.4e}":                         "007_2.5000e+00",
		"{acc:.1%}":                                      "98.8%",
		"{acc:g}|{loss:g}|{val_loss:.3g}":                "0.98765|2.5|0.123",
		"{{epoch}}-{epoch:>}":                            "",
		"{neg:08.3f}|{loss:+.1f}|{epoch:5d}|{loss:7.2f}": "-001.500|+2.5|    7|   2.50",
		"{loss:f}":    "2.500000",
		"{epoch:.2f}": "7.00",
	} {
		p, err := parseTemplate(tmpl)
		if want == "" { // unsupported spec: an error, not a wrong name
			if err == nil {
				t.Errorf("%q: no error for an unsupported spec", tmpl)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tmpl, err)
			continue
		}
		got, err := p.format(7, logs)
		if err != nil || got != want {
			t.Errorf("%q → %q (%v), want %q", tmpl, got, err, want)
		}
	}
	p, _ := parseTemplate("{{literal}}-{epoch}")
	if got, _ := p.format(1, nil); got != "{literal}-1" {
		t.Errorf("escaped braces → %q", got)
	}
	for tmpl, msg := range map[string]string{
		"{epoch":      "unclosed",
		"a}b":         "single '}'",
		"{:02d}":      "has no name",
		"{epoch:.2d}": "precision is not allowed",
		"{epoch:02x}": "unsupported format spec",
	} {
		if _, err := parseTemplate(tmpl); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: error %v, want %q", tmpl, err, msg)
		}
	}
	p, _ = parseTemplate("{val_acc:.2f}")
	if _, err := p.format(1, logs); err == nil || !strings.Contains(err.Error(), "available: epoch, acc, loss, neg, val_loss") {
		t.Errorf("missing key: %v", err)
	}
	p, _ = parseTemplate("{loss:02d}")
	if _, err := p.format(1, logs); err == nil || !strings.Contains(err.Error(), "needs an integer") {
		t.Errorf("d on a float: %v", err)
	}
}
