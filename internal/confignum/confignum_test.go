package confignum

import (
	"encoding/json"
	"testing"
)

func TestFloat(t *testing.T) {
	for _, c := range []struct {
		v    any
		want float64
		ok   bool
	}{
		{0.25, 0.25, true}, {float32(0.5), 0.5, true}, {3, 3, true}, {int32(-2), -2, true},
		{int64(7), 7, true}, {json.Number("1e-3"), 1e-3, true},
		{json.Number("abc"), 0, false}, {"0.1", 0, false}, {nil, 0, false}, {true, 0, false},
	} {
		got, ok := Float(c.v)
		if got != c.want || ok != c.ok {
			t.Errorf("Float(%#v) = %v, %v; want %v, %v", c.v, got, ok, c.want, c.ok)
		}
	}
}
