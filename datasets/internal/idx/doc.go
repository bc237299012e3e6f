// Package idx reads the IDX files of LeCun's MNIST format, which MNIST,
// Fashion-MNIST and their kin share: a big-endian magic number (two zero
// bytes, the element type 0x08 for unsigned bytes, the number of
// dimensions), one 32-bit size per dimension, then the bytes, gzipped or
// not.
//
// The readers check every size against limits and against the bytes that
// are actually there before they allocate, so that a corrupt or hostile
// file fails fast instead of making them allocate, or decompress,
// gigabytes. Errors name the file and the fault, without a package prefix:
// the data-set package that calls them adds its own.
package idx
