package mnist

import (
	"fmt"
	"io"

	"github.com/goras-ml/goras/datasets/internal/idx"
)

// The IDX format itself is read by datasets/internal/idx, shared with
// datasets/fashionmnist; this file adds MNIST's rule on labels and the
// package's name to its errors.

// ReadImages decodes an IDX3 image file (magic 0x00000803), gzip-compressed
// or raw; the gzip magic decides. name is used in error messages only.
//
// Every inconsistency is an error naming the file and the problem: wrong
// magic, a header that is cut short, more than 10,000,000 images, sides
// outside 1..1024 or more than 1 GiB of pixels, fewer pixel bytes than the
// header announces, bytes after them, an empty file or a corrupt gzip
// stream. Memory follows the data actually present: a header announcing
// more than the file can hold (judged from its size, compressed or not,
// when r can tell it) fails before anything big is allocated.
func ReadImages(r io.Reader, name string) (*Images, error) {
	return readImages(r, name, idx.SizeOf(r))
}

// ReadLabels decodes an IDX1 label file (magic 0x00000801), gzip-compressed
// or raw. It rejects the same faults as ReadImages, and any label above 9.
func ReadLabels(r io.Reader, name string) (Labels, error) {
	return readLabels(r, name, idx.SizeOf(r))
}

// ReadImagesFile is ReadImages on the file at path; errors name the path.
func ReadImagesFile(path string) (*Images, error) {
	f, size, err := idx.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	return readImages(f, path, size)
}

// ReadLabelsFile is ReadLabels on the file at path; errors name the path.
func ReadLabelsFile(path string) (Labels, error) {
	f, size, err := idx.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	defer f.Close()
	return readLabels(f, path, size)
}

func readImages(r io.Reader, name string, size int64) (*Images, error) {
	im, err := idx.ReadImages(r, name, size)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	return fromIDX(im), nil
}

func fromIDX(im *idx.Images) *Images {
	return &Images{N: im.N, Rows: im.Rows, Cols: im.Cols, Pixels: im.Pixels}
}

func readLabels(r io.Reader, name string, size int64) (Labels, error) {
	y, err := idx.ReadLabels(r, name, size)
	if err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	if err := idx.CheckLabels(y, name, 10, "a digit"); err != nil {
		return nil, fmt.Errorf("mnist: %w", err)
	}
	return Labels(y), nil
}
