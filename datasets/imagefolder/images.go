package imagefolder

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
)

// Images is the pictures of a Dataset as a goras.Data of shape (N, height,
// width, channels), decoded and resized from their files. Values are the
// bytes times Rescale (default 1/255: [0, 1]).
//
// Memory follows CacheBytes: when every resized picture fits, Load decodes
// them all once and a batch is a copy; otherwise a batch decodes the
// pictures it needs (in parallel, one goroutine per core) and the first
// ones decoded are kept until the budget is used; those are then never
// evicted, because Fit visits the pictures in a new random order every
// epoch and no eviction rule would save decodes.
//
// Its methods may run concurrently.
type Images struct {
	cfg    *config
	paths  []string
	size   int          // bytes of one resized picture
	scale  [256]float32 // byte → value
	mu     sync.Mutex
	cache  [][]uint8 // resized pictures kept, nil where not
	budget int64     // bytes the cache may still take
	all    atomic.Bool
}

func newImages(c *config, paths []string, budget int64) *Images {
	im := &Images{cfg: c, paths: paths, size: c.height * c.width * c.channels(), budget: budget}
	for v := range im.scale {
		im.scale[v] = float32(float64(v) * c.rescale)
		if c.rescale == 1.0/255 {
			im.scale[v] = float32(v) / 255 // bit for bit package mnist's x/255
		}
	}
	im.cache = make([][]uint8, len(paths))
	return im
}

// Shape is (N, height, width, channels).
func (im *Images) Shape() []int {
	return []int{len(im.paths), im.cfg.height, im.cfg.width, im.cfg.channels()}
}

// Finite says the values are finite (bytes times a finite factor), so that
// goras's Fit need not look for NaN (goras.FiniteData).
func (im *Images) Finite() bool { return true }

// Paths returns the files of the pictures, in the order of the data set.
func (im *Images) Paths() []string { return append([]string(nil), im.paths...) }

// Gather writes pictures rows, one after another, into dst (goras.Data).
// A picture that cannot be decoded any more (its file changed or was
// damaged since Load checked it) makes Gather panic with the file's name
// and the fault: a goras.Data cannot return an error, and training on a
// blank instead would hide it. Verify checks every file beforehand.
func (im *Images) Gather(dst []float32, rows []int) {
	if len(dst) != len(rows)*im.size {
		panic(fmt.Sprintf("imagefolder: Gather of %d pictures into %d values, want %d", len(rows), len(dst), len(rows)*im.size))
	}
	if im.all.Load() { // every picture is cached and the cache is final
		for i, r := range rows {
			im.write(dst[i*im.size:(i+1)*im.size], im.cache[r])
		}
		return
	}
	pics := make([][]uint8, len(rows))
	var todo []int // positions in rows of pictures to decode
	im.mu.Lock()
	for i, r := range rows {
		if pics[i] = im.cache[r]; pics[i] == nil {
			todo = append(todo, i)
		}
	}
	im.mu.Unlock()
	paths := make([]int, len(todo))
	for k, i := range todo {
		paths[k] = rows[i]
	}
	got, errs := im.decodeAll(paths)
	if err := joinErrors(errs, len(paths)); err != nil {
		panic(err.Error())
	}
	im.mu.Lock()
	for k, i := range todo {
		pics[i] = got[k]
		if r := rows[i]; im.cache[r] == nil && im.budget >= int64(im.size) {
			im.cache[r] = got[k]
			im.budget -= int64(im.size)
		}
	}
	im.mu.Unlock()
	for i, px := range pics {
		im.write(dst[i*im.size:(i+1)*im.size], px)
	}
}

func (im *Images) write(dst []float32, px []uint8) {
	for j, v := range px[:len(dst)] {
		dst[j] = im.scale[v]
	}
}

// decodeAll decodes the pictures rows into new buffers, with one goroutine
// per core; errs[i] is the error of rows[i], naming its file.
func (im *Images) decodeAll(rows []int) (got [][]uint8, errs []error) {
	got = make([][]uint8, len(rows))
	errs = im.each(rows, func(i int, path string) error {
		px := make([]uint8, im.size)
		if err := im.cfg.decode(px, path); err != nil {
			return err
		}
		got[i] = px
		return nil
	})
	return got, errs
}

// each runs do(i, path) for every picture rows[i], with one goroutine per
// core, and returns the error of each, naming its file. A panic in do (a
// decoder's bug) is that picture's error, not the end of the process: on a
// goroutine of its own no recover of the caller's could stop it, and
// Gather turns the error back into a panic on the caller's goroutine,
// which Fit's recover reports.
func (im *Images) each(rows []int, do func(i int, path string) error) []error {
	errs := make([]error, len(rows))
	var next atomic.Int64
	var stacked atomic.Bool // the first panic's error holds its stack, not every file's
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(rows)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(rows); i = int(next.Add(1) - 1) {
				path := im.paths[rows[i]]
				if err := try(&stacked, func() error { return do(i, path) }); err != nil {
					errs[i] = fmt.Errorf("%s: %v", path, err)
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// try runs f, returning a panic in it as an error, with its stack unless
// stacked says an earlier panic's error has one.
func try(stacked *atomic.Bool, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while reading the picture (a bug in goras or Go's decoders: please report it): %v", r)
			if stacked.CompareAndSwap(false, true) {
				err = fmt.Errorf("%w\n%s", err, debug.Stack())
			}
		}
	}()
	return f()
}

// allRows is every picture's row: 0, 1, ..., N-1.
func (im *Images) allRows() []int {
	rows := make([]int, len(im.paths))
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// Verify decodes every picture and returns an error listing those that
// cannot be read, so that a long training does not stop on a damaged file
// (Load reads every file's header, and the whole file when the set fits
// CacheBytes). It keeps what it decodes within the budget.
func (im *Images) Verify() error {
	if im.all.Load() {
		return nil
	}
	rows := im.allRows()
	got, errs := im.decodeAll(rows)
	im.mu.Lock()
	defer im.mu.Unlock()
	for i, px := range got {
		if px != nil && im.cache[i] == nil && im.budget >= int64(im.size) {
			im.cache[i] = px
			im.budget -= int64(im.size)
		}
	}
	return joinErrors(errs, len(rows))
}

// joinErrors reports the files that failed, at most ten of them by name.
func joinErrors(errs []error, n int) error {
	var lines []string
	bad := 0
	for _, err := range errs {
		if err != nil {
			if bad++; bad <= 10 {
				lines = append(lines, "  "+err.Error())
			}
		}
	}
	if bad == 0 {
		return nil
	}
	if bad > 10 {
		lines = append(lines, fmt.Sprintf("  … and %d more", bad-10))
	}
	return fmt.Errorf("imagefolder: %d of %d pictures cannot be read:\n%s\nfix or remove these files", bad, n, strings.Join(lines, "\n"))
}

// preload decodes every picture into the cache (the set fits the budget),
// or else reads every file's header; either way it reports every file that
// cannot be read.
func (im *Images) preload() error {
	if int64(len(im.paths))*int64(im.size) <= im.budget {
		if err := im.Verify(); err != nil {
			return err
		}
		im.all.Store(true)
		return nil
	}
	errs := im.each(im.allRows(), func(_ int, path string) error { return probe(path) })
	return joinErrors(errs, len(im.paths))
}
