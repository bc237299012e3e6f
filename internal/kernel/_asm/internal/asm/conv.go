package asm

// The flags of a convolution's epilogue, as conv_tile.go names them: the
// direct tile and the Winograd output transform take the same ones.
const (
	ConvReLU  = 1
	ConvShift = 2
	ConvScale = 4
)
