// Package arrays reads the arrays Python users have: numpy's .npy and .npz
// files and CSV tables of numbers, into goras tensors (float32), so that
// data prepared with numpy or pandas trains in goras as it is.
//
//	x, err := arrays.LoadNPY("x_train.npy")           // np.save("x_train.npy", x)
//	all, err := arrays.LoadNPZ("mnist.npz")           // all["x_train"], all["y_train"], ...
//	tab, err := arrays.LoadCSV("iris.csv")            // tab.X (rows, columns), tab.Columns
//
// Arrays keep their shape and their values: a uint8 image array of 0..255
// stays 0..255 (divide by 255 as a Keras program does). The .npy reader
// accepts C-ordered arrays of numbers (float16/32/64, signed and unsigned
// integers of 8 to 64 bits, bool), little- or big-endian, in the format's
// versions 1.0 to 3.0, and refuses what it cannot hold exactly (integers
// beyond ±2^24, float64 beyond float32's range) rather than round it
// silently. Every size a file declares is checked against the bytes that
// follow before memory is allocated for it, and every error names the
// file (and, in an .npz, the member) and what was wrong with it.
package arrays
