package fashionmnist

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Several goroutines loading the data set at once, into one empty cache
// from one mirror, all get it, and the cache ends up holding whole,
// verified copies: each store is atomic, each call has its own resolver
// (run under -race).
func TestLoadDataFromManyGoroutines(t *testing.T) {
	fx := newFixture()
	srv := fx.mirror(t)
	cache := t.TempDir()
	opts := fx.opts(t, "/nonexistent/debian", WithCacheDir(cache), WithMirrors(srv.URL+"/fm"))
	const goroutines = 8
	errs := make(chan error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			train, test, err := LoadData(opts...)
			switch {
			case err != nil:
				errs <- err
			case !bytes.Equal(train.X.Pixels, fx.raw[0][16:]) || !bytes.Equal(train.Y, fx.raw[1][8:]) ||
				!bytes.Equal(test.X.Pixels, fx.raw[2][16:]) || !bytes.Equal(test.Y, fx.raw[3][8:]):
				errs <- fmt.Errorf("goroutine %d: the data differ from the files'", g)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, f := range fx.files {
		if b, err := os.ReadFile(filepath.Join(cache, f.Name)); err != nil || !bytes.Equal(b, fx.gz[i]) {
			t.Errorf("cache copy of %s: %v", f.Name, err)
		}
	}
	if entries, _ := os.ReadDir(cache); len(entries) != len(fx.files) {
		t.Errorf("the cache holds %d entries, want the %d files (no temporary ones left)", len(entries), len(fx.files))
	}
}
