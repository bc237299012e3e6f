package idx

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// testHookDecode, when a test sets it, runs first on the goroutine that
// decodes file i, so that the test can make it panic.
var testHookDecode func(i int)

// Set is a data set in the layout of MNIST: training and test images with
// one label each.
type Set struct {
	TrainX, TestX *Images
	TrainY, TestY []byte
}

// DecodeSet decodes the four files of an MNIST-like data set, given in the
// order train images, train labels, test images, test labels, with where
// naming each for errors, in parallel. Every error starts with pkg, the
// calling package's name. Labels must be below classes (what
// says what a label is, for the error: "a digit"). The images and labels of
// each split must agree in number.
func DecodeSet(pkg string, blobs [][]byte, where []string, classes int, what string) (*Set, error) {
	if len(blobs) != 4 || len(where) != 4 {
		panic(fmt.Sprintf("idx: DecodeSet of %d files named %d ways, want 4", len(blobs), len(where)))
	}
	var (
		images [4]*Images
		labels [4][]byte
		errs   [4]error
		wg     sync.WaitGroup
	)
	for i := range blobs {
		wg.Go(func() {
			// A panic here (a reader's bug) would end the process from a
			// goroutine no recover of the caller's can reach: it is the
			// file's error instead.
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("%s: panic while reading the file (a bug in goras: please report it): %v\n%s", where[i], r, debug.Stack())
				}
			}()
			if testHookDecode != nil {
				testHookDecode(i)
			}
			br := bytes.NewReader(blobs[i])
			if i%2 == 0 {
				images[i], errs[i] = ReadImages(br, where[i], br.Size())
				return
			}
			if labels[i], errs[i] = ReadLabels(br, where[i], br.Size()); errs[i] == nil {
				errs[i] = CheckLabels(labels[i], where[i], classes, what)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			errs[i] = fmt.Errorf("%s: %w", pkg, err)
		}
	}
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	for _, x := range []int{0, 2} {
		if n, m := images[x].N, len(labels[x+1]); n != m {
			return nil, fmt.Errorf("%s: %s holds %d images but %s holds %d labels", pkg, where[x], n, where[x+1], m)
		}
	}
	return &Set{TrainX: images[0], TrainY: labels[1], TestX: images[2], TestY: labels[3]}, nil
}
