package arrays

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/goras-ml/goras/tensor"
)

// FuzzReadNPY feeds arbitrary bytes to the .npy reader: it must return an
// array or an error, never panic, and an array it returns must have as many
// values as its shape says, with memory bounded by the input.
func FuzzReadNPY(f *testing.F) {
	for _, name := range []string{"f4.npy", "f2.npy", "v2.npy", "scalar.npy", "empty.npy", "fortran.npy"} {
		if b, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Add(npy("{'descr': '>i2', 'fortran_order': False, 'shape': (1, 1), }", []byte{0, 1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadNPY(bytes.NewReader(b), "fuzz.npy")
		if err != nil {
			return
		}
		if x.Len() != tensor.Numel(x.Shape()) || x.Len()*1 > len(b) {
			t.Fatalf("shape %v with %d values from %d bytes", x.Shape(), x.Len(), len(b))
		}
	})
}

// FuzzReadCSV feeds arbitrary text to the CSV reader: a table it returns is
// rectangular and has at most as many columns as the header.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "1;2\n3;4\n", "# c\n1\n", "1,\"2\"\n", "x\n\n1e40\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := ReadCSV(strings.NewReader(s), "fuzz.csv")
		if err != nil {
			return
		}
		if tab.X.Rank() != 2 || tab.X.Len() == 0 || tab.Columns != nil && len(tab.Columns) != tab.X.Dim(1) {
			t.Fatalf("table %v with columns %v", tab.X.Shape(), tab.Columns)
		}
	})
}
