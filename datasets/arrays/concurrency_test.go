package arrays

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// A data loader reads its files from several goroutines: LoadNPY, LoadNPZ
// and LoadCSV of the same files at once give what one goroutine gets, bit
// for bit (run under -race).
func TestLoadFromManyGoroutines(t *testing.T) {
	read := func() ([]any, error) {
		var out []any
		for _, f := range []string{"f4.npy", "f2.npy", "u1.npy", "i8.npy", "f8_big_endian.npy"} {
			x, err := LoadNPY(filepath.Join("testdata", f))
			if err != nil {
				return nil, err
			}
			out = append(out, x.Shape(), x.Data())
		}
		for _, f := range []string{"named.npz", "compressed.npz"} {
			xs, err := LoadNPZ(filepath.Join("testdata", f))
			if err != nil {
				return nil, err
			}
			for _, name := range Names(xs) {
				out = append(out, name, xs[name].Shape(), xs[name].Data())
			}
		}
		tab, err := LoadCSV(filepath.Join("testdata", "table.csv"))
		if err != nil {
			return nil, err
		}
		return append(out, tab.Columns, tab.X.Shape(), tab.X.Data()), nil
	}
	want, err := read()
	if err != nil {
		t.Fatal(err)
	}
	const goroutines = 8
	errs := make(chan error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			got, err := read()
			switch {
			case err != nil:
				errs <- err
			case !reflect.DeepEqual(got, want):
				errs <- fmt.Errorf("goroutine %d read other values than one goroutine", g)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
