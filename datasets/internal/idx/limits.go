package idx

// Magic numbers: two zero bytes, a type byte (0x08 = unsigned byte) and
// the number of dimensions.
const (
	ImagesMagic = 0x00000803 // three dimensions: count, rows, columns
	LabelsMagic = 0x00000801 // one dimension: count
)

// Limits that keep a hostile or corrupt file from making the reader
// allocate, or decompress, gigabytes before it finds out the data is not
// there.
const (
	maxCount = 10_000_000 // images or labels in one file
	maxSide  = 1024       // rows or columns of one image
	// maxPayload bounds the pixel bytes of one file: 1 GiB, twice the
	// largest IDX set in use (EMNIST ByClass, 698k images, 547 MB;
	// MNIST's training images are 47 MB).
	maxPayload = 1 << 30
	// maxRatio is the most deflate can expand: 1032 output bytes per input
	// byte. A gzip file of M bytes cannot hold more than M×maxRatio.
	maxRatio = 1032
	// growFrom is the first buffer for data whose presence the reader
	// cannot check in advance (gzip, pipes); the buffer doubles as data
	// actually arrives, so memory follows the data, not the header.
	growFrom = 1 << 20
	// maxTrailing is how many bytes past the data the reader counts for
	// its "trailing garbage" message before it stops reading.
	maxTrailing = 1 << 16
	// upfrontRatio bounds the unpacked/packed ratio up to which body trusts
	// a gzip's declared size enough to allocate it at once.
	upfrontRatio = 64
)
