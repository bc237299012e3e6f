package arrays

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestCSV(t *testing.T) {
	c, err := LoadCSV("testdata/commented.csv", Comma(';'))
	if err != nil {
		t.Fatal(err)
	}
	if c.Columns != nil || !slices.Equal(c.X.Shape(), []int{2, 2}) || !slices.Equal(c.X.Data(), []float32{1, 2, 3, 4}) {
		t.Errorf("numpy.savetxt file: columns %v, %v %v", c.Columns, c.X.Shape(), c.X.Data())
	}
	tab, err := ReadCSV(strings.NewReader(" x , y\n1, nan\n-inf ,2e-3\n"), "mem.csv")
	if err != nil {
		t.Fatal(err)
	}
	d := tab.X.Data()
	if !slices.Equal(tab.Columns, []string{"x", "y"}) || d[0] != 1 || !math.IsNaN(float64(d[1])) || !math.IsInf(float64(d[2]), -1) || d[3] != 0.002 {
		t.Errorf("columns %v data %v", tab.Columns, d)
	}
	// A byte-order mark (Excel's "CSV UTF-8") is not part of the first
	// field: a table without a header keeps its first row.
	for text, cols := range map[string][]string{"\ufeff1,2\n3,4\n": nil, "\ufeffa,b\n1,2\n3,4\n": {"a", "b"}} {
		tab, err := ReadCSV(strings.NewReader(text), "bom.csv")
		if err != nil || !slices.Equal(tab.Columns, cols) || !slices.Equal(tab.X.Data(), []float32{1, 2, 3, 4}) {
			t.Errorf("%q: %v, %v, want columns %q and 1 2 3 4", text, tab, err, cols)
		}
	}
	for _, c := range []struct{ text, want string }{
		{"1,2\n3\n", "mem.csv: line 2 has a different number of fields from the first row"},
		{"a,b\n1,2\n3,x\n", "mem.csv: line 3, column 3: \"x\" is not a number"},
		{"1,,3\n", "mem.csv: line 1, column 3: empty field; write nan for a missing value"},
		{"a,b\n", "mem.csv: no rows of numbers"},
		{"", "mem.csv: no rows of numbers"},
		{"1,\"2\n", "mem.csv: "},
	} {
		_, err := ReadCSV(strings.NewReader(c.text), "mem.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "arrays: ") {
			t.Errorf("%q: error %v, want one containing %q", c.text, err, c.want)
		}
	}
	if _, err := ReadCSV(strings.NewReader("1\n"), "m", Comma('"')); err == nil || !strings.Contains(err.Error(), "cannot separate fields") {
		t.Errorf("quote as separator: %v", err)
	}
}
